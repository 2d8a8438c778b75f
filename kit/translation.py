"""``python -m kit translate``: translate with a trained run as lesson 04 does (``from_pretrained`` on the
run folder, ``generate``, ``batch_decode``), batch by batch, one output line per input line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from kit.errors import ConfigError
from kit.model import load_model

log = logging.getLogger("kit.translation")


def translate(model_dir: str | os.PathLike[str], sentences: Sequence[str], *, beam: int = 1, batch_size: int = 32,
              max_length: int = 120) -> list[str]:
    """Translate English sentences with a run, a checkpoint, any ``save_pretrained`` folder or a hub id.

    An empty sentence gives an empty line; one longer than the model reads is cut, with a note naming its line.
    """
    if beam < 1 or batch_size < 1 or max_length < 2:
        raise ConfigError(f"beam ({beam}), batch_size ({batch_size}) must be >= 1 and max_length ({max_length}) >= 2")
    if not sentences:
        return []
    tokenizer, model = load_model(model_dir)
    import torch
    # The most input tokens the model reads: its position embeddings, or the tokenizer's limit if lower.
    limits = [getattr(model.config, "max_position_embeddings", None), getattr(tokenizer, "model_max_length", None)]
    limit = min([int(n) for n in limits if n and n < 1_000_000] or [1024])
    todo = [i for i, sentence in enumerate(sentences) if sentence.strip()]
    lengths = [len(ids) for ids in tokenizer([sentences[i] for i in todo], verbose=False)["input_ids"]] if todo else []
    long = [i + 1 for i, n in zip(todo, lengths, strict=True) if n > limit]
    if long:
        shown = ", ".join(map(str, long[:10])) + (" ..." if len(long) > 10 else "")
        which = f"input line {shown} is" if len(long) == 1 else f"input lines {shown} are"
        log.warning("%s longer than the %d tokens this model reads: cut to the first %d tokens, so only that "
                    "part is translated (split long sentences to translate all of them)", which, limit, limit)
    outputs = [""] * len(sentences)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            inputs = tokenizer([sentences[i] for i in batch], return_tensors="pt", padding=True, truncation=True,
                               max_length=limit)
            inputs.pop("token_type_ids", None)
            generated = model.generate(**inputs, num_beams=beam, max_length=max_length, early_stopping=beam > 1)
            for i, text in zip(batch, tokenizer.batch_decode(generated, skip_special_tokens=True), strict=True):
                outputs[i] = " ".join(text.split())
    return outputs
