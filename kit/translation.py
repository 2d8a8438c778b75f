"""Translating with a trained run: batches by length, outputs in input order, long inputs cut with a note.

:func:`translate` takes a run folder, a ``checkpoint-*`` folder, any ``save_pretrained``
folder or a hub id (loaded through :func:`kit.model.load_model`, which never sends a
path to the hub).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from kit.errors import ConfigError
from kit.model import Seq2SeqBundle, load_model, model_folder

log = logging.getLogger("kit.translation")

_CACHE: dict[tuple[str, str], Seq2SeqBundle] = {}


def generate(bundle: Seq2SeqBundle, sentences: Sequence[str], *, beam: int = 1, batch_size: int = 32,
             max_length: int = 120) -> list[str]:
    """Translate with a loaded model; outputs in the same order as ``sentences``.

    Sentences are batched by length (less padding, faster) and put back in their
    original order by index, never by position in the batches.
    """
    import torch

    model, tokenizer, target = bundle.model, bundle.tokenizer, bundle.target_tokenizer
    # Empty lines stay empty (one output line per input line); the rest go longest first.
    order = sorted((i for i in range(len(sentences)) if sentences[i].strip()), key=lambda i: len(sentences[i]),
                   reverse=True)
    outputs: list[str] = [""] * len(sentences)
    limit = input_limit(bundle)
    _note_long_inputs(tokenizer, sentences, order, limit)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                enc = tokenizer([sentences[i] for i in idx], return_tensors="pt", padding=True, truncation=True,
                                max_length=limit)
                enc.pop("token_type_ids", None)
                enc = {k: v.to(device) for k, v in enc.items()}
                generated = model.generate(**enc, num_beams=beam, max_length=max_length,
                                           early_stopping=beam > 1)
                texts = target.batch_decode(generated, skip_special_tokens=True, clean_up_tokenization_spaces=False)
                for i, text in zip(idx, texts):  # noqa: B905 (no strict= on the image's Python 3.8)
                    outputs[i] = " ".join(text.split())
    finally:
        model.train(was_training)
    return outputs


def input_limit(bundle: Seq2SeqBundle) -> int:
    """The most input tokens the model reads (its position embeddings, or the tokenizer's limit if lower)."""
    limits = [getattr(bundle.model.config, "max_position_embeddings", None),
              getattr(bundle.tokenizer, "model_max_length", None)]
    return min([int(n) for n in limits if n and n < 1_000_000] or [1024])


def _note_long_inputs(tokenizer: Any, sentences: Sequence[str], order: Sequence[int], limit: int) -> None:
    """Say which inputs are longer than the model reads: they are cut, and only their start is translated."""
    if not order:
        return
    lengths = [len(ids) for ids in tokenizer([sentences[i] for i in order], verbose=False)["input_ids"]]
    long = sorted(i + 1 for i, n in zip(order, lengths) if n > limit)  # noqa: B905 (Python 3.8)
    if long:
        shown = ", ".join(map(str, long[:10])) + (" ..." if len(long) > 10 else "")
        which = f"input line {shown} is" if len(long) == 1 else f"input lines {shown} are"
        log.warning("%s longer than the %d tokens this model reads: cut to the first %d tokens, so only that "
                    "part is translated (split long sentences to translate all of them)", which, limit, limit)


def translate(model_dir: str | os.PathLike[str], sentences: Sequence[str], *, beam: int = 1, batch_size: int = 32,
              max_length: int = 120, target_tokenizer: str | None = None) -> list[str]:
    """Translate English sentences with a trained run (or any seq2seq model folder / hub id).

    Args:
        model_dir: A run folder written by :func:`kit.train.train`, a ``checkpoint-*`` folder,
            any ``save_pretrained`` folder, or a hub id.
        sentences: English sentences.
        beam: Beam width (1 = greedy).
        batch_size: Sentences per ``generate`` call.
        max_length: Longest output, in tokens.
        target_tokenizer: Decode with this tokenizer instead of the folder's own.

    Returns:
        One Japanese line per input sentence, in order.
    """
    if beam < 1 or batch_size < 1 or max_length < 2:
        raise ConfigError(f"beam ({beam}), batch_size ({batch_size}) must be >= 1 and max_length ({max_length}) >= 2")
    if not sentences:
        return []
    name = os.fspath(model_dir)
    local = model_folder(name)
    if local is not None:
        folder = local.resolve()
        # The newest file time is part of the key, so a retrained run folder is loaded afresh.
        stamp = max((p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()), default=0)
        key = (f"{folder}@{stamp}", target_tokenizer or "")
    else:
        key = (name, target_tokenizer or "")
    bundle = _CACHE.get(key)
    if bundle is None:
        bundle = load_model(model_dir, target_tokenizer=target_tokenizer)
        _CACHE.clear()  # keep one model in memory
        _CACHE[key] = bundle
    return generate(bundle, list(sentences), beam=beam, batch_size=batch_size, max_length=max_length)
