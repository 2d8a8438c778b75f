"""The original script's batching against the program's, measured side by side (a benchmark, not training).

The workshop's original script padded every example to ``max_length`` (120) and
left the pad id in the labels; ``bart_finetuning.py`` pads each batch to its
longest example and puts -100 in the padded labels (``DataCollatorForSeq2Seq``).
:func:`compare_padding` trains two copies of one model both ways, interleaved,
and measures speed and the two losses; lesson 02 shows its table and
``bench/throughput.py`` measures the program itself.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kit.errors import ConfigError

if TYPE_CHECKING:
    from kit.model import Seq2SeqBundle

# --- data: tokenisation and batches ---------------------------------------------------------


def tokenize_pairs(bundle: Seq2SeqBundle, pairs: Sequence[tuple[str, str]],
                   max_length: int) -> list[dict[str, list[int]]]:
    """Token ids for each pair, unpadded: ``input_ids``, ``attention_mask`` and ``labels``.

    Labels come from the target tokenizer through ``text_target=`` (the old
    ``as_target_tokenizer()`` context manager is gone in transformers 5).
    """
    sources = [en for en, _ in pairs]
    targets = [ja for _, ja in pairs]
    enc = bundle.tokenizer(sources, truncation=True, max_length=max_length)
    labels = bundle.target_tokenizer(text_target=targets, truncation=True, max_length=max_length)["input_ids"]
    return [{"input_ids": ids, "attention_mask": mask, "labels": lab}
            for ids, mask, lab in zip(enc["input_ids"], enc["attention_mask"], labels)]  # noqa: B905 (no strict= on the image's Python 3.8)


def make_collator(bundle: Seq2SeqBundle, *, pad_to_multiple_of: int | None = None) -> Any:
    """The kit's batching: pad each batch to its longest example; labels padded with -100 (ignored by the loss)."""
    from transformers import DataCollatorForSeq2Seq

    return DataCollatorForSeq2Seq(bundle.tokenizer, model=bundle.model, label_pad_token_id=-100,
                                  pad_to_multiple_of=pad_to_multiple_of)


def make_batch(bundle: Seq2SeqBundle, pairs: Sequence[tuple[str, str]], *, max_length: int = 120,
               original: bool = False) -> dict[str, Any]:
    """One batch of tensors, the kit's way or the original script's way.

    Args:
        bundle: Model and tokenizers.
        pairs: ``(english, japanese)`` pairs.
        max_length: Truncation length (and, the original way, the padded length).
        original: Pad every example to ``max_length`` and put the pad id in the labels,
            as the workshop's script did (the loss then counts the padding).
    """
    import torch

    if not original:
        return make_collator(bundle)(tokenize_pairs(bundle, pairs, max_length))
    sources = [en for en, _ in pairs]
    targets = [ja for _, ja in pairs]
    enc = bundle.tokenizer(sources, truncation=True, max_length=max_length, padding="max_length", return_tensors="pt")
    labels = bundle.target_tokenizer(text_target=targets, truncation=True, max_length=max_length,
                                     padding="max_length", return_tensors="pt")["input_ids"]
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": labels}
    prepare = getattr(bundle.model, "prepare_decoder_input_ids_from_labels", None)
    if prepare is not None:
        batch["decoder_input_ids"] = prepare(labels=torch.as_tensor(labels))
    return batch


def _bundle(model: str | os.PathLike[str] | Seq2SeqBundle) -> Seq2SeqBundle:
    from kit.model import Seq2SeqBundle, load_model

    return model if isinstance(model, Seq2SeqBundle) else load_model(model)


# --- the original way vs the kit's way ---------------------------------------------------


@dataclass
class WayStats:
    """Measurements of one way of batching."""

    name: str
    samples: int = 0
    seconds: float = 0.0
    real_tokens: int = 0  # non-padding input + label tokens
    computed_tokens: int = 0  # input + label positions actually computed (padding included)
    computed_source: int = 0  # encoder positions computed
    computed_target: int = 0  # decoder positions computed
    losses: list[float] = field(default_factory=list)
    real_token_loss: float = math.nan  # loss on real tokens only, after the steps (same batch for both ways)

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.seconds if self.seconds else math.nan

    @property
    def real_tokens_per_s(self) -> float:
        return self.real_tokens / self.seconds if self.seconds else math.nan

    @property
    def padding_share(self) -> float:
        return 1 - self.real_tokens / self.computed_tokens if self.computed_tokens else math.nan

    @property
    def reported_loss(self) -> float:
        """Mean loss the training loop reports over the last few steps."""
        tail = self.losses[-3:]
        return sum(tail) / len(tail) if tail else math.nan


@dataclass
class PaddingComparison:
    """The original script's batching against the kit's, on the same model, data and steps."""

    original: WayStats
    kit: WayStats
    batch_size: int
    steps: int
    max_length: int
    device: str

    @property
    def speedup(self) -> float:
        """How many times more samples per second the kit's way trains."""
        return self.kit.samples_per_s / self.original.samples_per_s

    def as_dict(self) -> dict[str, Any]:
        def way(w: WayStats) -> dict[str, Any]:
            return {"samples_per_s": w.samples_per_s, "real_tokens_per_s": w.real_tokens_per_s,
                    "padding_share": w.padding_share, "reported_loss": w.reported_loss,
                    "real_token_loss": w.real_token_loss, "samples": w.samples, "seconds": w.seconds}

        return {"original": way(self.original), "kit": way(self.kit), "speedup": self.speedup,
                "batch_size": self.batch_size, "steps": self.steps, "max_length": self.max_length,
                "device": self.device}

    def __str__(self) -> str:
        o, k = self.original, self.kit
        rows = [
            ("samples/s", f"{o.samples_per_s:.1f}", f"{k.samples_per_s:.1f}"),
            ("real tokens/s", f"{o.real_tokens_per_s:,.0f}", f"{k.real_tokens_per_s:,.0f}"),
            ("padding share of computed tokens", f"{o.padding_share:.0%}", f"{k.padding_share:.0%}"),
            ("loss the training loop reports", f"{o.reported_loss:.3f}", f"{k.reported_loss:.3f}"),
            ("loss on real tokens only", f"{o.real_token_loss:.3f}", f"{k.real_token_loss:.3f}"),
        ]
        w0 = max(len(r[0]) for r in rows)
        head = f"{'':<{w0}}  {'original':>12}  {'program':>12}"
        body = "\n".join(f"{a:<{w0}}  {b:>12}  {c:>12}" for a, b, c in rows)
        return (f"{self.steps} steps of batch {self.batch_size} each way, max_length {self.max_length}, "
                f"on {self.device}\n{head}\n{body}\nspeed-up (samples/s): {self.speedup:.1f}x")


def _length_grouped(pairs: list[tuple[str, str]], lengths: list[int], batch_size: int,
                    rng: random.Random) -> list[list[int]]:
    """Batches of indices: shuffle, then sort inside mega-batches of 50 batches (what LengthGroupedSampler does)."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    mega = batch_size * 50
    grouped: list[int] = []
    for start in range(0, len(order), mega):
        grouped += sorted(order[start:start + mega], key=lambda i: -lengths[i])
    batches = [grouped[i:i + batch_size] for i in range(0, len(grouped), batch_size)]
    rng.shuffle(batches)
    return batches


def compare_padding(model: str | os.PathLike[str] | Seq2SeqBundle, pairs: Sequence[tuple[str, str]], *,
                    steps: int = 20, batch_size: int = 16, max_length: int = 120, learning_rate: float = 2e-3,
                    block: int = 2, seed: int = 0, group_by_length: bool = True, device: str | None = None,
                    warmup: int = 1, autocast: str | None = None) -> PaddingComparison:
    """Train two copies of a model, the original way and the kit's way, interleaved; measure both.

    The original way pads every example to ``max_length`` and puts the pad id in
    the labels; the kit's way pads each batch to its longest example, puts -100
    in the padded labels and (``group_by_length``) batches similar lengths
    together. Both see the same examples, the same number of steps, from the
    same starting weights; blocks of ``block`` steps alternate so that machine
    noise hits both alike.

    Args:
        model: Model folder, hub id, or loaded bundle (it is copied, not changed).
        pairs: Training pairs; ``steps * batch_size`` of them are used.
        steps: Optimizer steps per way (timed).
        batch_size: Examples per step.
        max_length: Truncation length, and the original's padded length.
        learning_rate: AdamW learning rate of both copies.
        block: Steps per turn when interleaving.
        seed: Shuffling seed.
        group_by_length: Length-grouped batches for the kit's way.
        device: ``cpu``/``cuda`` (default: where the model is).
        warmup: Untimed steps per way first (allocations, caches).
        autocast: ``"bf16"`` to run forward passes under bf16 autocast (GPUs), None for fp32.

    Returns:
        The measurements (``str()`` gives a table).
    """
    import torch

    bundle = _bundle(model)
    need = (steps + warmup) * batch_size
    if len(pairs) < batch_size:
        raise ConfigError(f"compare_padding needs at least batch_size={batch_size} pairs, got {len(pairs)}")
    rng = random.Random(seed)
    chosen = [pairs[i % len(pairs)] for i in rng.sample(range(len(pairs)), min(need, len(pairs)))]
    while len(chosen) < need:
        chosen.append(pairs[rng.randrange(len(pairs))])
    target_device = torch.device(device) if device else next(bundle.model.parameters()).device
    models = {}
    for name in ("original", "kit"):
        m = copy.deepcopy(bundle.model).to(target_device)
        m.train()
        models[name] = (m, torch.optim.AdamW(m.parameters(), lr=learning_rate))
    pad = bundle.tokenizer.pad_token_id
    features = tokenize_pairs(bundle, chosen, max_length)
    lengths = [len(f["input_ids"]) for f in features]
    if group_by_length:
        kit_batches = _length_grouped(chosen, lengths, batch_size, random.Random(seed + 1))
    else:
        kit_batches = [list(range(i, min(i + batch_size, need))) for i in range(0, need, batch_size)]
    orig_batches = [list(range(i, i + batch_size)) for i in range(0, need, batch_size)]
    collate = make_collator(bundle)

    def prepared(kind: str, idx: list[int]) -> tuple[dict[str, Any], int, tuple[int, int]]:
        if kind == "kit":
            batch = collate([features[i] for i in idx])
            real = int(batch["attention_mask"].sum()) + int((batch["labels"] != -100).sum())
        else:
            batch = make_batch(bundle, [chosen[i] for i in idx], max_length=max_length, original=True)
            real = int(batch["attention_mask"].sum()) + int((batch["labels"] != pad).sum())
        computed = (batch["input_ids"].numel(), batch["labels"].numel())
        return {k: v.to(target_device) for k, v in batch.items()}, real, computed

    # Batches are built before timing: the comparison is about the model's work, not tokenisation.
    queues = {"original": [prepared("original", b) for b in orig_batches],
              "kit": [prepared("kit", b) for b in kit_batches]}
    stats = {name: WayStats(name) for name in queues}
    sync = torch.cuda.synchronize if target_device.type == "cuda" else (lambda: None)

    def autocast_context() -> Any:
        if autocast == "bf16":
            return torch.autocast(device_type=target_device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def run_step(name: str, index: int, timed: bool) -> None:
        m, opt = models[name]
        batch, real, computed = queues[name][index]
        sync()
        started = time.perf_counter()
        with autocast_context():
            loss = m(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        if timed:
            s = stats[name]
            s.seconds += time.perf_counter() - started
            s.samples += batch["input_ids"].shape[0]
            s.real_tokens += real
            s.computed_tokens += computed[0] + computed[1]
            s.computed_source += computed[0]
            s.computed_target += computed[1]
            s.losses.append(float(loss.detach()))

    torch.manual_seed(seed)
    for i in range(warmup):
        for name in queues:
            run_step(name, i, timed=False)
    for start in range(warmup, warmup + steps, block):
        for name in ("original", "kit"):
            for i in range(start, min(start + block, warmup + steps)):
                run_step(name, i, timed=True)
    # The honest yardstick: both models' loss on the same real tokens (-100 on padding).
    check = collate(features[: min(len(features), 4 * batch_size)])
    check = {k: v.to(target_device) for k, v in check.items()}
    with torch.no_grad():
        for name, (m, _) in models.items():
            m.eval()
            stats[name].real_token_loss = float(m(**check).loss)
    return PaddingComparison(stats["original"], stats["kit"], batch_size, steps, max_length, str(target_device))


