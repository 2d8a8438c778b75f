"""Fine-tuning with ``Seq2SeqTrainer``: the workshop's ``bart_finetuning.py``, fixed and portable.

:func:`train` is what ``python -m kit train`` (and so the Slurm job) runs. It
keeps the original script's intent (bart-base, English to Japanese on ALT,
lr 5e-5, one epoch, batch 16, max length 120, evaluation and a checkpoint each
epoch, two checkpoints kept, the best model loaded at the end, BLEU and ten
sample translations) and fixes what it got wrong:

* **Dynamic padding** (``DataCollatorForSeq2Seq``) instead of padding every
  example to 120 tokens: several times more samples per second.
* **-100 in the padded label positions**, not the pad id, so the loss counts
  only real tokens (padding made the original's loss look tiny).
* **Both argument spellings**: ``eval_strategy`` (current transformers) and
  ``evaluation_strategy`` (4.35-era images), and the other renames
  (``processing_class``/``tokenizer``, ``use_cpu``/``no_cuda``,
  ``train_sampling_strategy``/``group_by_length``) chosen by looking at the
  installed signature, never by guessing from the version string.
* ``save_state()`` so the run folder has ``trainer_state.json`` (for the plot),
  **resume** from the newest checkpoint when the folder has one (a job killed
  at its time limit and resubmitted continues), a **wall-clock budget**
  (``max_minutes``) and a clean stop on SIGTERM (what Slurm sends at the limit).
* BLEU with sacrebleu (no ``evaluate.load`` download) on outputs matched to
  their sources by index, never by position after length grouping.

A run folder holds the model (``save_pretrained``), ``trainer_state.json``,
``metrics.json``, ``samples.txt`` (入力 / 正解 / 生成文), the test
translations, ``loss.png`` and ``run.json`` (the settings and status).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import logging
import math
import os
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.errors import ConfigError, TrainError

if TYPE_CHECKING:
    from kit.data import Corpus
    from kit.model import Seq2SeqBundle
    from kit.sites import Site

log = logging.getLogger("kit.train")

RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.txt"
PREDICTIONS_FILE = "test_predictions.txt"
REFERENCES_FILE = "test_references.txt"
SOURCES_FILE = "test_sources.txt"
STATE_FILE = "trainer_state.json"
PLOT_FILE = "loss.png"
# What a rerun with force=True may delete (the kit's own outputs); anything else in the folder is left alone.
_OWN_FILES = (RUN_FILE, METRICS_FILE, SAMPLES_FILE, PREDICTIONS_FILE, REFERENCES_FILE, SOURCES_FILE, STATE_FILE,
              PLOT_FILE, "training_args.bin")


# --- configuration -------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything a training run needs. Profiles in :data:`PROFILES`; a TOML file may override any field.

    Attributes:
        profile: Name of the profile these values started from.
        model: Hub id, local folder, or ``tiny`` (a small BART built from the corpus).
        target_tokenizer: Separate tokenizer for the Japanese labels ('' = the model's own).
        data: Corpus source (see :func:`kit.data.load_corpus`).
        epochs: Passes over the training data.
        max_steps: Stop after this many optimizer steps (-1: use ``epochs``).
        learning_rate: Peak learning rate.
        batch_size: Examples per step (per device).
        eval_batch_size: Examples per evaluation step (0: same as ``batch_size``).
        max_length: Longest input and label, in tokens (longer ones are truncated).
        warmup_steps: Linear warm-up steps.
        weight_decay: AdamW weight decay.
        lr_scheduler: ``linear``, ``cosine``, ``constant_with_warmup``, ...
        label_smoothing: Label smoothing factor.
        eval_strategy: When to compute the evaluation loss: ``epoch``, ``steps`` or ``no``.
        eval_steps: Steps between evaluations when ``eval_strategy`` is ``steps``.
        save_strategy: When to write a checkpoint (must match ``eval_strategy`` when loading the best model).
        save_steps: Steps between checkpoints when ``save_strategy`` is ``steps``.
        save_total_limit: Checkpoints kept (0: all).
        load_best_model_at_end: Keep the checkpoint with the lowest evaluation loss as the final model.
        logging_steps: Steps between training-loss log entries.
        group_by_length: Batch examples of similar length together (less padding).
        max_minutes: Wall-clock budget for training (0: none); a checkpoint is written when it runs out.
        decay_by_time: With ``max_minutes``, decay the learning rate linearly to zero over the budget
            (warm-up still by steps) instead of following ``lr_scheduler``.
        seed: Random seed.
        precision: ``auto`` (bf16 on Ampere+ GPUs, fp16 on older GPUs, fp32 on CPU), ``fp32``, ``fp16``, ``bf16``.
        use_cpu: Train on the CPU even when a GPU is present.
        num_beams: Beam width for the test translations (1: greedy).
        gen_max_length: Longest generated translation (0: ``max_length``).
        num_samples: Test translations written to samples.txt.
        train_limit: Use only the first N training pairs (0: all).
        eval_limit: Use only the first N validation pairs for the evaluation loss (0: all).
        test_limit: Translate and score only the first N test pairs (0: all).
        bleu_tokenize: sacrebleu tokeniser (``auto`` chooses from the data).
        dataloader_workers: Data-loading worker processes.
        tiny: Settings of the tiny model (fields of :class:`kit.model.TinySettings`) when ``model = "tiny"``.
    """

    profile: str = "workshop"
    model: str = "facebook/bart-base"
    target_tokenizer: str = ""
    data: str = "hub:mutiyama/alt"
    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 5e-5
    batch_size: int = 16
    eval_batch_size: int = 0
    max_length: int = 120
    warmup_steps: int = 0
    weight_decay: float = 0.0
    lr_scheduler: str = "linear"
    label_smoothing: float = 0.0
    eval_strategy: str = "epoch"
    eval_steps: int = 0
    save_strategy: str = "epoch"
    save_steps: int = 0
    save_total_limit: int = 2
    load_best_model_at_end: bool = True
    logging_steps: int = 50
    group_by_length: bool = True
    max_minutes: float = 0.0
    decay_by_time: bool = False
    seed: int = 42
    precision: str = "auto"
    use_cpu: bool = False
    num_beams: int = 1
    gen_max_length: int = 0
    num_samples: int = 10
    train_limit: int = 0
    eval_limit: int = 0
    test_limit: int = 0
    bleu_tokenize: str = "auto"
    dataloader_workers: int = 0
    tiny: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, where: str = "overrides", **values: Any) -> TrainConfig:
        """A copy with some fields replaced; ``None`` values are ignored, old names accepted.

        Raises:
            ConfigError: an unknown field or a value of the wrong type (names ``where``).
        """
        return _apply(self, {k: v for k, v in values.items() if v is not None}, where)

    def validate(self) -> TrainConfig:
        """Check values that would otherwise fail deep inside transformers.

        Raises:
            ConfigError: naming the field and the allowed values.
        """
        strategies = ("no", "epoch", "steps")
        for name in ("eval_strategy", "save_strategy"):
            if getattr(self, name) not in strategies:
                raise ConfigError(f"{name} = {getattr(self, name)!r} is not valid", hint=f"use one of {strategies}")
        if self.eval_strategy == "steps" and self.eval_steps <= 0:
            raise ConfigError("eval_strategy = 'steps' needs eval_steps > 0")
        if self.save_strategy == "steps" and self.save_steps <= 0:
            raise ConfigError("save_strategy = 'steps' needs save_steps > 0")
        if self.load_best_model_at_end and (self.eval_strategy == "no" or self.eval_strategy != self.save_strategy
                                            or self.eval_steps != self.save_steps):
            raise ConfigError(
                "load_best_model_at_end needs evaluation and checkpoints at the same moments "
                f"(eval_strategy={self.eval_strategy!r}/{self.eval_steps}, "
                f"save_strategy={self.save_strategy!r}/{self.save_steps})",
                hint="set save_strategy and save_steps like eval_strategy and eval_steps, "
                     "or load_best_model_at_end = false",
            )
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise ConfigError(f"precision = {self.precision!r} is not valid", hint="use auto, fp32, fp16 or bf16")
        for name in ("batch_size", "max_length", "num_beams", "logging_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError("set epochs > 0 or max_steps > 0")
        if self.max_minutes < 0:
            raise ConfigError("max_minutes must be >= 0 (0: no budget)")
        if self.decay_by_time and not self.max_minutes:
            raise ConfigError("decay_by_time needs a time budget", hint="set max_minutes > 0 (--max-minutes)")
        return self


# Old or transformers-style names accepted in config files and overrides.
ALIASES = {
    "evaluation_strategy": "eval_strategy",
    "num_train_epochs": "epochs",
    "per_device_train_batch_size": "batch_size",
    "per_device_eval_batch_size": "eval_batch_size",
    "max_len": "max_length",
    "lr": "learning_rate",
    "lr_scheduler_type": "lr_scheduler",
    "label_smoothing_factor": "label_smoothing",
    "data_source": "data",
}


def _apply(config: TrainConfig, values: dict[str, Any], where: str) -> TrainConfig:
    kinds = {f.name: f.type for f in fields(TrainConfig)}
    updates: dict[str, Any] = {}
    for key, value in values.items():
        name = ALIASES.get(key, key)
        if name not in kinds:
            raise ConfigError(f"{where}: unknown training setting {key!r}",
                              hint=f"use one of: {', '.join(kinds)} (see kit.train.TrainConfig)")
        current = getattr(config, name)
        if name == "tiny":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'tiny' must be a table ([tiny] d_model = 128 ...)")
            from kit.model import TinySettings

            TinySettings.from_dict(value, f"{where} [tiny]")  # validates the keys
            updates[name] = {**current, **value}
            continue
        kind = kinds[name]  # the field's declared type (a string: annotations are postponed)
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(f"{where}: {key} must be {kind}, got {value!r}",
                              hint=f"for example {name} = {current!r}")
        updates[name] = value
    return replace(config, **updates)


PROFILES: dict[str, TrainConfig] = {
    # The original workshop: facebook/bart-base fine-tuned on ALT on one GPU.
    "workshop": TrainConfig(profile="workshop"),
    # CI and the lessons: a tiny BART built from the shipped sample corpus; about 30-50 s on 2 CPU cores.
    # lr 1e-3 with batch 32 is what this post-LN model tolerates: at 2e-3 its encoder collapses (the outputs
    # stop depending on the input). No length grouping: on template sentences it makes every batch one
    # template, and the model then learns the templates but never looks at the source (BLEU ~11 vs ~45).
    "smoke": TrainConfig(
        profile="smoke", model="tiny", data="sample", epochs=12, learning_rate=1e-3, warmup_steps=30,
        batch_size=32, max_length=64, logging_steps=10, save_total_limit=1, num_samples=10, group_by_length=False,
        tiny={"vocab_size": 2000, "d_model": 128, "layers": 2, "heads": 4, "ffn_dim": 256},
    ),
    # A useful model on two CPU cores in ten minutes (bench/quality.py; pass --data DIR). Measured on
    # small_parallel_enja: dev BLEU 9.8 after 2 minutes, 17.6 after 4, 24.3 after 8, 26.0 after 10. The learning rate
    # decays to zero over the time budget whatever the machine's speed; lr 5e-4 because post-LN BART collapses at
    # 1e-3 from scratch (arch="mbart", pre-LN, takes 1e-3 and lands at the same BLEU); bf16 autocast is ~25% faster
    # on CPUs with AVX512-BF16 (slower on CPUs without: use precision="fp32" there); no length grouping (random
    # batches learn faster per step here); the last model is kept, not the best evaluated one.
    "quality": TrainConfig(
        profile="quality", model="tiny", data="sample", epochs=50, learning_rate=5e-4, warmup_steps=200,
        batch_size=32, max_length=64, label_smoothing=0.1, eval_strategy="steps", eval_steps=500,
        save_strategy="no", load_best_model_at_end=False, logging_steps=50, max_minutes=10.0, decay_by_time=True,
        eval_limit=500, precision="bf16", group_by_length=False,
        tiny={"vocab_size": 8000, "d_model": 256, "layers": 2, "heads": 4, "ffn_dim": 512},
    ),
}


def get_profile(name: str) -> TrainConfig:
    """A copy of a named profile.

    Raises:
        ConfigError: unknown profile (lists the known ones).
    """
    if name not in PROFILES:
        raise ConfigError(f"no training profile {name!r}", hint=f"use one of: {', '.join(PROFILES)}")
    return copy.deepcopy(PROFILES[name])


def read_config_file(path: str | os.PathLike[str], base: TrainConfig | None = None) -> TrainConfig:
    """Read a TOML file of :class:`TrainConfig` fields (optionally ``profile = "..."`` as the base).

    Raises:
        ConfigError: unreadable TOML, unknown key or wrong type (names the file).
    """
    from kit.sites import _toml  # tomllib, or tomli on the image's Python 3.8

    toml = _toml()
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = toml.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"no such config file: {path}", hint="check the --config path") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the syntax at the line shown") from None
    if "profile" in data:
        base = get_profile(str(data["profile"]))
    config = base or get_profile("workshop")
    return _apply(config, data, str(path))


def resolve_config(profile: str | None = None, *, site: Site | None = None,
                   config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> TrainConfig:
    """Combine a profile, a site, a config file and overrides (later wins).

    With an explicit ``profile`` the profile is self-contained (its model and data);
    without one, the site's ``[train]`` table picks the profile, the model, the
    target tokenizer and the data.
    """
    if profile:
        config = get_profile(profile)
    elif site is not None:
        config = get_profile(site.train.profile).with_overrides(
            f"site {site.name}", model=site.train.model or None, data=site.train.data or None,
            target_tokenizer=site.train.target_tokenizer or None)
    else:
        config = get_profile("workshop")
    if config_file:
        config = read_config_file(config_file, config)
    return config.with_overrides("command line", **overrides).validate()


# --- transformers version differences ---------------------------------------------------

# New name -> older spellings, tried in order when the installed transformers lacks the new one.
RENAMES: dict[str, tuple[str, ...]] = {
    "eval_strategy": ("evaluation_strategy",),  # renamed in 4.41; 4.35 images know only the old one
    "use_cpu": ("no_cuda",),  # use_cpu added in 4.34, no_cuda removed in 5
    "processing_class": ("tokenizer",),  # Trainer(tokenizer=...) became processing_class in 4.46, gone in 5
}


def accepted_arguments(cls: Any) -> set[str]:
    """The keyword arguments ``cls`` (a TrainingArguments dataclass or the Trainer) takes."""
    return {name for name in inspect.signature(cls.__init__).parameters if name != "self"}


def adapt_arguments(kwargs: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """Rename keyword arguments to the spelling the installed transformers accepts.

    Args:
        kwargs: Arguments under their current (5.x) names; ``train_sampling_strategy`` may be
            ``"group_by_length"``, which older versions spell ``group_by_length=True``.
        accepted: Names the target accepts (:func:`accepted_arguments`).

    Returns:
        The renamed arguments.

    Raises:
        TrainError: an argument neither spelling of which is accepted.
    """
    out: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in accepted:
            out[name] = value
            continue
        if name == "train_sampling_strategy" and "group_by_length" in accepted:
            out["group_by_length"] = value == "group_by_length"
            continue
        old = next((alt for alt in RENAMES.get(name, ()) if alt in accepted), None)
        if old is None:
            raise TrainError(f"the installed transformers takes no argument {name!r} (nor an older spelling)",
                             hint="use transformers 4.35 or newer (pip install 'transformers>=4.35,<6')")
        out[old] = value
    return out


def _precision_flags(config: TrainConfig) -> dict[str, bool]:
    import torch

    wanted = config.precision
    if wanted == "auto":
        if config.use_cpu or not torch.cuda.is_available():
            return {}
        wanted = "bf16" if torch.cuda.get_device_capability()[0] >= 8 else "fp16"
    return {"fp16": wanted == "fp16", "bf16": wanted == "bf16"} if wanted != "fp32" else {}


def training_argument_kwargs(config: TrainConfig, output_dir: str | os.PathLike[str], *,
                             progress_bar: bool = True) -> dict[str, Any]:
    """The ``Seq2SeqTrainingArguments`` keyword arguments for ``config``, under their current (5.x) names.

    :func:`adapt_arguments` renames them for older versions; :func:`training_arguments` does both.
    """
    import torch

    kwargs: dict[str, Any] = {
        "output_dir": os.fspath(output_dir),
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.eval_batch_size or config.batch_size,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps if config.max_steps > 0 else -1,
        "warmup_steps": config.warmup_steps,
        "weight_decay": config.weight_decay,
        # With decay_by_time a callback sets the rate every step; the Trainer's own schedule stays flat.
        "lr_scheduler_type": "constant" if config.decay_by_time else config.lr_scheduler,
        "label_smoothing_factor": config.label_smoothing,
        "eval_strategy": config.eval_strategy,
        "save_strategy": config.save_strategy,
        "save_total_limit": config.save_total_limit or None,
        "load_best_model_at_end": config.load_best_model_at_end,
        "logging_strategy": "steps",
        "logging_steps": config.logging_steps,
        "logging_first_step": True,
        "seed": config.seed,
        "report_to": "none",  # no tensorboard/wandb surprises on a shared server
        "disable_tqdm": not progress_bar,
        "dataloader_num_workers": config.dataloader_workers,
        "dataloader_pin_memory": torch.cuda.is_available() and not config.use_cpu,
        "predict_with_generate": False,  # the evaluation loss only; BLEU is computed once, at the end
        "use_cpu": config.use_cpu,
        **_precision_flags(config),
    }
    if not torch.cuda.is_available():
        if kwargs.get("fp16"):
            raise ConfigError("precision = 'fp16' needs a GPU", hint="use bf16 (CPUs with AVX512-BF16/AMX) or fp32")
        if kwargs.get("bf16"):
            kwargs["use_cpu"] = True  # transformers refuses bf16 without a GPU unless told it is a CPU run
    if config.eval_strategy == "steps":
        kwargs["eval_steps"] = config.eval_steps
    if config.save_strategy == "steps":
        kwargs["save_steps"] = config.save_steps
    if config.load_best_model_at_end:
        kwargs["metric_for_best_model"] = "eval_loss"
        kwargs["greater_is_better"] = False
    if config.group_by_length:
        kwargs["train_sampling_strategy"] = "group_by_length"
    return kwargs


def training_arguments(config: TrainConfig, output_dir: str | os.PathLike[str], *, progress_bar: bool = True) -> Any:
    """``Seq2SeqTrainingArguments`` for ``config``, spelled for the installed transformers.

    Args:
        config: The run's settings.
        output_dir: Where checkpoints go.
        progress_bar: tqdm bar (a terminal) or not (a job log: plain progress lines are printed instead).
    """
    from transformers import Seq2SeqTrainingArguments

    kwargs = training_argument_kwargs(config, output_dir, progress_bar=progress_bar)
    return Seq2SeqTrainingArguments(**adapt_arguments(kwargs, accepted_arguments(Seq2SeqTrainingArguments)))


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


def show_tokenization(model: str | os.PathLike[str] | Seq2SeqBundle, pairs: Sequence[tuple[str, str]] | tuple[str, str],
                      *, max_length: int = 120, original: bool = False, width: int = 18) -> str:
    """A text view of how pairs become a batch: tokens, ids, attention masks, labels.

    Args:
        model: A model folder / hub id / run folder, or a loaded bundle.
        pairs: One ``(english, japanese)`` pair or several.
        max_length: Truncation length.
        original: Show the original script's batch (padded to ``max_length``, pad id in labels).
        width: Columns shown per row (the rest is summarised).

    Returns:
        Printable text.
    """
    bundle = _bundle(model)
    if isinstance(pairs, tuple) and len(pairs) == 2 and isinstance(pairs[0], str):
        pairs = [pairs]  # type: ignore[list-item]
    pairs = list(pairs)  # type: ignore[arg-type]
    batch = make_batch(bundle, pairs, max_length=max_length, original=original)
    pad = bundle.tokenizer.pad_token_id

    def row(values: Sequence[int]) -> str:
        shown = " ".join(f"{v:>4}" for v in values[:width])
        more = len(values) - width
        return shown + (f"  ... (+{more} more)" if more > 0 else "")

    way = "original (pad to max_length, pad id in labels)" if original else "kit (dynamic padding, -100 in labels)"
    lines = [f"way: {way}",
             f"batch shape: input_ids {tuple(batch['input_ids'].shape)}, labels {tuple(batch['labels'].shape)}"]
    for i, (en, ja) in enumerate(pairs):
        src_tokens = bundle.tokenizer.convert_ids_to_tokens(bundle.tokenizer(en)["input_ids"])
        tgt_tokens = bundle.target_tokenizer.convert_ids_to_tokens(
            bundle.target_tokenizer(text_target=ja)["input_ids"])
        ids = batch["input_ids"][i].tolist()
        mask = batch["attention_mask"][i].tolist()
        labels = batch["labels"][i].tolist()
        lines += [
            f"[{i}] en: {en}",
            f"    input tokens ({len(src_tokens)}): {' '.join(src_tokens)}",
            f"    input_ids      {row(ids)}",
            f"    attention_mask {row(mask)}",
            f"    ja: {ja}",
            f"    label tokens ({len(tgt_tokens)}): {' '.join(tgt_tokens)}",
            f"    labels         {row(labels)}",
            f"    padding: {mask.count(0)} input positions (attention_mask 0); labels: {labels.count(-100)} x -100, "
            f"{labels.count(pad)} x pad id {pad}",
        ]
    return "\n".join(lines)


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
        head = f"{'':<{w0}}  {'original':>12}  {'kit':>12}"
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


# --- callbacks -------------------------------------------------------------------------------


def _callback_base() -> type:
    from transformers import TrainerCallback

    return TrainerCallback


def _fmt_duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainClock:
    """Wall-clock time of a run that can leave out pauses (a benchmark's evaluation probes, say).

    The time budget (``max_minutes``) and the time-based learning-rate decay read this clock.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._paused = 0.0

    def restart(self) -> None:
        """Start counting again from now (e.g. when training proper begins, after the setup)."""
        self.started = time.monotonic()
        self._paused = 0.0

    def elapsed(self) -> float:
        """Seconds since the start, pauses excluded."""
        return time.monotonic() - self.started - self._paused

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside this block does not count."""
        begun = time.monotonic()
        try:
            yield
        finally:
            self._paused += time.monotonic() - begun


def make_callbacks(*, budget_s: float | None, stop_flag: dict[str, str], plain_progress: bool,
                   clock: TrainClock | None = None, decay_by_time: bool = False, peak_lr: float = 0.0,
                   warmup_steps: int = 0, out: Any = None) -> list[Any]:
    """The kit's TrainerCallbacks: time budget / signal stop, time-based decay, plain progress lines.

    Args:
        budget_s: Stop once ``clock.elapsed()`` reaches this (None: no budget).
        stop_flag: Shared dict; a signal handler sets ``stop_flag["reason"]``; the callbacks record theirs.
        plain_progress: Print one line per log entry (instead of a tqdm bar).
        clock: The run's clock (default: one started now).
        decay_by_time: Set the learning rate each step to ``peak_lr`` x warm-up x (1 - fraction of the
            budget used), so a budgeted run ends with a fully decayed learning rate whatever its speed.
        peak_lr: Peak learning rate for ``decay_by_time``.
        warmup_steps: Linear warm-up steps for ``decay_by_time``.
        out: Stream for the progress lines (default: stdout).
    """
    base = _callback_base()
    clock = clock or TrainClock()

    class StopCallback(base):  # type: ignore[misc, valid-type]
        """Stop (and checkpoint) when the wall-clock budget runs out or a signal arrived."""

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if budget_s is not None and clock.elapsed() >= budget_s and "reason" not in stop_flag:
                stop_flag["reason"] = "time budget"
            if "reason" in stop_flag:
                control.should_training_stop = True
                control.should_save = True  # so a resubmitted job resumes from here
            return control

    class TimeDecay(base):  # type: ignore[misc, valid-type]
        """Linear decay over the time budget instead of over a step count nobody knows in advance."""

        def __init__(self) -> None:
            self.begun: float | None = None

        def on_step_begin(self, args: Any, state: Any, control: Any, optimizer: Any = None,
                          **kwargs: Any) -> Any:
            if optimizer is None or not budget_s:
                return control
            if self.begun is None:  # the first step: the decay spans what is left of the budget from here
                self.begun = clock.elapsed()
            span = max(budget_s - self.begun, 1e-9)
            left = max(0.0, 1.0 - (clock.elapsed() - self.begun) / span)
            warm = min(1.0, (state.global_step + 1) / warmup_steps) if warmup_steps else 1.0
            for group in optimizer.param_groups:
                # The Trainer's (constant) scheduler resets the rate after each step; this sets it before the next.
                group["lr"] = peak_lr * warm * left
            return control

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            return self.on_step_begin(args, state, control, **kwargs)  # so the logged rate is the one in use

    class PlainProgress(base):  # type: ignore[misc, valid-type]
        """One readable line per log entry: what a Slurm job log needs (tqdm bars turn into noise there)."""

        def __init__(self) -> None:
            self.started = time.monotonic()
            self.first_step = 0

        def _print(self, text: str) -> None:
            print(text, file=out or sys.stdout, flush=True)

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            self.started = time.monotonic()
            self.first_step = state.global_step
            resumed = f", resuming at step {state.global_step}" if state.global_step else ""
            self._print(f"training: {state.max_steps} steps, {args.num_train_epochs:g} epoch(s) at most, "
                        f"batch {args.per_device_train_batch_size}{resumed}")
            return control

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> Any:
            logs = logs or {}
            elapsed = time.monotonic() - self.started
            done = state.global_step - self.first_step
            rate = done / elapsed if elapsed > 0 and done else 0.0
            eta = (state.max_steps - state.global_step) / rate if rate else 0.0
            pct = 100 * state.global_step / state.max_steps if state.max_steps else 0.0
            if "loss" in logs:
                optimizer = kwargs.get("optimizer")
                lr = optimizer.param_groups[0]["lr"] if optimizer is not None else logs.get("learning_rate")
                self._print(
                    f"step {state.global_step}/{state.max_steps} ({pct:.0f}%) epoch {state.epoch or 0:.2f} "
                    f"loss {logs['loss']:.4f}" + (f" lr {lr:.2e}" if lr is not None else "")
                    + f" | {rate * args.per_device_train_batch_size:.1f} samples/s"
                    f" | elapsed {_fmt_duration(elapsed)} eta {_fmt_duration(eta)}")
            elif "eval_loss" in logs:
                self._print(f"eval at step {state.global_step} (epoch {state.epoch or 0:.2f}): "
                            f"eval_loss {logs['eval_loss']:.4f}")
            return control

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            self._print(f"checkpoint saved: {Path(args.output_dir) / f'checkpoint-{state.global_step}'}")
            return control

    callbacks: list[Any] = [StopCallback()]
    if decay_by_time and budget_s:
        callbacks.append(TimeDecay())
    if plain_progress:
        callbacks.append(PlainProgress())
    return callbacks


class _SignalStop:
    """While active, SIGTERM/SIGUSR1 ask training to stop at the next step (Slurm sends SIGTERM at the limit)."""

    SIGNALS = ("SIGTERM", "SIGUSR1")

    def __init__(self, flag: dict[str, str]) -> None:
        self.flag = flag
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalStop:
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                signum = getattr(signal, name, None)
                if signum is not None:
                    self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.flag["reason"] = f"signal {signal.Signals(signum).name}"
        print(f"received {signal.Signals(signum).name}: stopping after this step and writing a checkpoint",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


# --- the run ----------------------------------------------------------------------------


@dataclass
class Sample:
    """One test translation: source, reference, model output."""

    source: str
    reference: str
    output: str


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        output_dir: The run folder (also the model folder for :func:`kit.model.translate`).
        metrics: The contents of metrics.json.
        completed: False when the run stopped early (time budget, signal); rerun to resume.
    """

    output_dir: Path
    metrics: dict[str, Any]
    completed: bool
    samples: list[Sample] = field(default_factory=list)

    @property
    def model_dir(self) -> Path:
        return self.output_dir

    @property
    def metrics_path(self) -> Path:
        return self.output_dir / METRICS_FILE

    @property
    def samples_path(self) -> Path:
        return self.output_dir / SAMPLES_FILE

    @property
    def trainer_state_path(self) -> Path:
        return self.output_dir / STATE_FILE

    @property
    def predictions_path(self) -> Path:
        return self.output_dir / PREDICTIONS_FILE

    @property
    def plot_path(self) -> Path | None:
        path = self.output_dir / PLOT_FILE
        return path if path.is_file() else None

    def summary(self) -> str:
        m = self.metrics
        status = "finished" if self.completed else f"stopped early ({m.get('stop_reason')}); run again to resume"
        lines = [f"run {status}: {self.output_dir}"]
        if m.get("bleu") is not None:
            lines.append(f"  BLEU {m['bleu']:.2f} (0-1 scale {m['bleu01']:.4f}), chrF {m['chrf']:.2f} on "
                         f"{m['test_sentences']} {m['test_split']} sentences  [{m['bleu_signature']}]")
        if m.get("eval_loss") is not None:
            lines.append(f"  eval loss {m['eval_loss']:.4f}, train loss {m.get('train_loss', math.nan):.4f}, "
                         f"{m.get('train_samples_per_second', 0):.1f} samples/s, step {m.get('global_step')}")
        lines.append("  outputs:")
        for label, path in (("model", self.output_dir), ("metrics", self.metrics_path),
                            ("samples", self.samples_path), ("trainer state", self.trainer_state_path),
                            ("test translations", self.predictions_path), ("loss plot", self.plot_path)):
            if path is not None and Path(path).exists():
                lines.append(f"    {label + ':':<19}{path}")
        return "\n".join(lines)

    __str__ = summary


def format_samples(samples: Sequence[Sample]) -> str:
    """The workshop's sample block: 入力 (input) / 正解 (reference) / 生成文 (output), blank line between."""
    return "".join(f"入力: {s.source}\n正解: {s.reference}\n生成文: {s.output}\n\n" for s in samples)


def parse_samples(text: str) -> list[Sample]:
    """Read back :func:`format_samples` output."""
    samples, current = [], {}
    for line in text.splitlines():
        for key, prefix in (("source", "入力: "), ("reference", "正解: "), ("output", "生成文: ")):
            if line.startswith(prefix):
                current[key] = line[len(prefix):]
        if len(current) == 3:
            samples.append(Sample(**current))
            current = {}
    return samples


@dataclass
class RunSummary:
    """A finished (or stopped) run read back from disk: see :func:`load_run`."""

    run_dir: Path
    metrics: dict[str, Any]
    samples: list[Sample]
    config: dict[str, Any]

    @property
    def samples_text(self) -> str:
        return format_samples(self.samples)

    def __str__(self) -> str:
        return TrainResult(self.run_dir, self.metrics, bool(self.metrics.get("completed")), self.samples).summary()


def load_run(run_dir: str | os.PathLike[str]) -> RunSummary:
    """Read a run folder's metrics.json, samples.txt and run.json.

    Raises:
        TrainError: the folder has no metrics.json (not a finished kit run).
    """
    run = Path(run_dir)
    metrics_path = run / METRICS_FILE
    if not metrics_path.is_file():
        raise TrainError(f"{run} has no {METRICS_FILE}: not a finished training run",
                         hint="pass the --output-dir of `python -m kit train`, after the job finished")
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    samples_path = run / SAMPLES_FILE
    samples = parse_samples(samples_path.read_text(encoding="utf-8")) if samples_path.is_file() else []
    run_file = run / RUN_FILE
    config = json.loads(run_file.read_text(encoding="utf-8")).get("config", {}) if run_file.is_file() else {}
    return RunSummary(run, metrics, samples, config)


def _prepare_output_dir(output_dir: Path, force: bool) -> str | None:
    """Decide between a fresh start and a resume; refuse to clobber what is not ours.

    Returns:
        The checkpoint to resume from, or None.
    """
    from transformers.trainer_utils import get_last_checkpoint

    if not output_dir.exists():
        return None
    if not output_dir.is_dir():
        raise TrainError(f"{output_dir} exists and is not a folder", hint="pass another --output-dir")
    run_file = output_dir / RUN_FILE
    status = None
    if run_file.is_file():
        try:
            status = json.loads(run_file.read_text(encoding="utf-8")).get("status")
        except json.JSONDecodeError:
            status = "unknown"
    if force:
        for child in output_dir.iterdir():
            if child.is_dir() and (child.name.startswith("checkpoint-") or child.name == "target_tokenizer"):
                shutil.rmtree(child)
            elif child.name in _OWN_FILES:
                child.unlink()
        return None
    if status == "completed":
        raise TrainError(f"{output_dir} holds a finished run",
                         hint="pass --force to train again from scratch (its checkpoints and results are replaced), "
                              "or choose another --output-dir")
    last = get_last_checkpoint(os.fspath(output_dir))
    if last:
        return last
    if status is None and any(output_dir.iterdir()):
        raise TrainError(f"{output_dir} is not empty and is not a kit training run (no {RUN_FILE})",
                         hint="choose a new or empty --output-dir, or pass --force to write into it anyway")
    return None


def cpu_threads() -> int | None:
    """CPU threads this process may use: the Slurm allocation when inside a job, else the CPU affinity.

    PyTorch sizes its thread pool by the machine, not by the job: a job given one CPU on a busy node then runs
    two or more spinning threads against other jobs' threads, which we measured at 18x slower.
    """
    for name in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else None


def _device_description(model: Any) -> str:
    import torch

    device = next(model.parameters()).device
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"{device.type} ({torch.get_num_threads()} threads)"


def train(config: TrainConfig, output_dir: str | os.PathLike[str], *, corpus: Corpus | None = None,
          work_dir: str | os.PathLike[str] | None = None, force: bool = False, resume: bool = True,
          progress: str = "auto", callbacks: Sequence[Any] = (), plot: bool = True,
          log_fn: Callable[[str], None] | None = None, clock: TrainClock | None = None) -> TrainResult:
    """Fine-tune, evaluate, translate the test set, score it, and write everything to ``output_dir``.

    Args:
        config: Settings (:data:`PROFILES`, :func:`resolve_config`).
        output_dir: The run folder. If it holds checkpoints of an unfinished run, training resumes
            from the newest one.
        corpus: Use these pairs instead of loading ``config.data``.
        work_dir: Where a ``tiny`` model is built (``<work_dir>/models``); default: ``output_dir``'s parent.
        force: Start from scratch even if ``output_dir`` holds a run (its checkpoints and results are deleted).
        resume: Resume from the newest checkpoint when there is one.
        progress: ``bar`` (tqdm), ``log`` (plain lines: job logs, notebooks), ``none``, or ``auto``
            (a bar on a terminal, lines otherwise).
        callbacks: Extra ``TrainerCallback`` objects.
        plot: Also write ``loss.png``.
        log_fn: Where the kit's own status lines go (default: print).
        clock: The clock ``max_minutes`` is measured on (default: started when ``train`` is called);
            pass one to leave out pauses (:meth:`TrainClock.paused`).

    Returns:
        Paths and metrics of the run.

    Raises:
        TrainError: the output folder is not ours, or training failed.
        DataError, HubUnreachable, ConfigError: from the data, model or settings.
    """
    clock = clock or TrainClock()
    started = time.monotonic()
    config = copy.deepcopy(config).validate()
    say = log_fn or (lambda text: print(text, flush=True))
    output_dir = Path(output_dir)
    checkpoint = _prepare_output_dir(output_dir, force)
    if checkpoint and not resume:
        raise TrainError(f"{output_dir} holds checkpoints of an unfinished run (newest: {Path(checkpoint).name})",
                         hint="drop --no-resume to continue it, pass --force to discard it, or use another "
                              "--output-dir")
    import torch

    threads = cpu_threads()
    if threads and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
        say(f"cpu threads: {threads} (the CPUs this job was given)")

    from kit.bleu import corpus_bleu
    from kit.data import load_corpus
    from kit.model import TARGET_TOKENIZER_DIR, TinySettings, generate, load_model, resolve_model

    if corpus is None:
        corpus = load_corpus(config.data)
    say(corpus.describe())
    if config.train_limit or config.eval_limit or config.test_limit:
        corpus = corpus.subset(config.train_limit or None, config.eval_limit or None, config.test_limit or None)
    models_dir = Path(work_dir) / "models" if work_dir else output_dir.parent / "models"
    model_name = resolve_model(config.model, corpus, models_dir, TinySettings.from_dict(config.tiny))
    bundle = load_model(model_name, target_tokenizer=config.target_tokenizer or None)
    if config.use_cpu:
        bundle.model.to("cpu")
    say(f"model: {config.model}" + (f" -> {model_name}" if model_name != config.model else "")
        + f" ({bundle.num_parameters():,} parameters)"
        + (f", labels tokenised with {config.target_tokenizer}" if bundle.separate_target else ""))

    output_dir.mkdir(parents=True, exist_ok=True)
    run_info = {"status": "running", "config": asdict(config), "model_path": model_name, "data": corpus.source,
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    previous = output_dir / RUN_FILE
    if checkpoint and previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8")).get("config", {})
        changed = sorted(k for k, v in asdict(config).items() if old.get(k) != v)
        if changed:
            say(f"note: settings differ from the interrupted run: {', '.join(changed)}")
    _write_json(previous, run_info)

    from transformers import Seq2SeqTrainer

    train_features = tokenize_pairs(bundle, corpus.train, config.max_length)
    eval_features = tokenize_pairs(bundle, corpus.validation, config.max_length)
    bar = progress == "bar" or (progress == "auto" and sys.stdout.isatty())
    args = training_arguments(config, output_dir, progress_bar=bar)
    collator = make_collator(bundle, pad_to_multiple_of=8 if torch.cuda.is_available() and not config.use_cpu
                             else None)
    stop_flag: dict[str, str] = {}
    kit_callbacks = make_callbacks(
        budget_s=config.max_minutes * 60 if config.max_minutes else None, stop_flag=stop_flag,
        plain_progress=progress in ("log", "auto") and not bar, clock=clock, decay_by_time=config.decay_by_time,
        peak_lr=config.learning_rate, warmup_steps=config.warmup_steps)
    trainer_kwargs = adapt_arguments(
        {"model": bundle.model, "args": args, "data_collator": collator, "train_dataset": train_features,
         "eval_dataset": eval_features, "processing_class": bundle.tokenizer,
         "callbacks": [*kit_callbacks, *callbacks]},
        accepted_arguments(Seq2SeqTrainer))
    trainer = Seq2SeqTrainer(**trainer_kwargs)
    if not bar:
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        trainer.remove_callback(PrinterCallback)  # it prints raw dicts; PlainProgress prints lines
        trainer.remove_callback(ProgressCallback)
    if checkpoint:
        say(f"resuming from {checkpoint}")
    say(f"writing to {output_dir}")
    try:
        with _SignalStop(stop_flag):
            train_output = trainer.train(resume_from_checkpoint=checkpoint)
    except KeyboardInterrupt:
        raise
    except (RuntimeError, ValueError) as exc:
        run_info["status"] = "failed"
        _write_json(previous, run_info)
        raise TrainError(f"training failed: {type(exc).__name__}: {str(exc)[:300]}",
                         hint="a checkpoint, if any, is kept: fix the cause and run the same command to resume",
                         details=str(exc)[-1500:]) from exc
    stop_reason = stop_flag.get("reason")
    completed = stop_reason is None
    trainer.save_model(os.fspath(output_dir))
    if bundle.separate_target:
        bundle.target_tokenizer.save_pretrained(output_dir / TARGET_TOKENIZER_DIR)
    metrics: dict[str, Any] = {
        "completed": completed, "stop_reason": stop_reason or "finished", "profile": config.profile,
        "model": config.model, "model_path": model_name, "data": corpus.source,
        "parameters": bundle.num_parameters(), "device": _device_description(bundle.model),
        "global_step": trainer.state.global_step, "epoch": trainer.state.epoch,
        "train_loss": train_output.metrics.get("train_loss"),
        "train_runtime_s": train_output.metrics.get("train_runtime"),
        "train_samples_per_second": train_output.metrics.get("train_samples_per_second"),
        "resumed_from": Path(checkpoint).name if checkpoint else None,
        "best_checkpoint": Path(trainer.state.best_model_checkpoint).name
        if getattr(trainer.state, "best_model_checkpoint", None) else None,
    }
    if stop_reason and stop_reason.startswith("signal"):
        # Slurm gives ~30 s between SIGTERM and SIGKILL: keep the checkpoint and state, skip the long evaluation.
        trainer.save_state()
        metrics.update(_versions())
        _write_json(output_dir / METRICS_FILE, metrics)
        run_info.update(status="stopped", stop_reason=stop_reason)
        _write_json(previous, run_info)
        return TrainResult(output_dir, metrics, completed=False)
    if config.eval_strategy != "no" and corpus.validation:
        eval_metrics = trainer.evaluate()
        metrics["eval_loss"] = eval_metrics.get("eval_loss")
    trainer.save_state()

    test_pairs = corpus.test
    gen_started = time.monotonic()
    hyps = generate(bundle, [en for en, _ in test_pairs], beam=config.num_beams,
                    batch_size=config.eval_batch_size or config.batch_size * 2,
                    max_length=config.gen_max_length or config.max_length)
    refs = [ja for _, ja in test_pairs]
    tokenize = config.bleu_tokenize
    if tokenize == "auto" and corpus.ja_tokenized:
        tokenize = "none"
    bleu = corpus_bleu(hyps, refs, tokenize=tokenize)
    metrics.update({
        "bleu": bleu.score, "bleu01": bleu.score01, "bleu_signature": bleu.signature, "bleu_tokenize": bleu.tokenize,
        "chrf": bleu.chrf, "chrf_signature": bleu.chrf_signature, "test_sentences": len(test_pairs),
        "test_split": "validation" if test_pairs == corpus.validation else "test",
        "generation_s": round(time.monotonic() - gen_started, 2),
        "num_beams": config.num_beams, "total_runtime_s": round(time.monotonic() - started, 2),
    })
    metrics.update(_versions())
    samples = [Sample(en, ja, hyp) for (en, ja), hyp in zip(test_pairs[: config.num_samples], hyps)]  # noqa: B905 (no strict= on the image's Python 3.8)
    (output_dir / SAMPLES_FILE).write_text(format_samples(samples), encoding="utf-8")
    (output_dir / PREDICTIONS_FILE).write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
    (output_dir / REFERENCES_FILE).write_text("".join(r + "\n" for r in refs), encoding="utf-8")
    (output_dir / SOURCES_FILE).write_text("".join(en + "\n" for en, _ in test_pairs), encoding="utf-8")
    _write_json(output_dir / METRICS_FILE, metrics)
    if plot:
        from kit.plot import plot_loss

        try:
            plot_loss(output_dir, output_dir / PLOT_FILE)
        except Exception as exc:  # a plot must never sink a finished training run
            say(f"note: loss plot not written: {exc}")
    run_info.update(status="completed" if completed else "stopped", stop_reason=stop_reason,
                    finished=time.strftime("%Y-%m-%d %H:%M:%S"))
    _write_json(previous, run_info)
    return TrainResult(output_dir, metrics, completed=completed, samples=samples)


def _versions() -> dict[str, str]:
    import torch
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
