"""Models and tokenizers: load from the hub or a folder, and build a tiny BART offline.

The workshop fine-tunes ``facebook/bart-base`` from the Hugging Face hub. :func:`load_model`
(for ``kit translate``) also takes a local folder (anything written by ``save_pretrained``), and
:func:`make_tiny_bart` builds a small BART from a corpus with no download at all: a BPE tokenizer
trained with the ``tokenizers`` library and a small ``BartConfig``, saved with ``save_pretrained``
and loaded back through the same ``from_pretrained`` calls as the real model. The model name
``"tiny"`` in a training profile means exactly that.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.errors import ConfigError, HubUnreachable, TrainError
from kit.hub import hub_endpoint, prepare_hub

if TYPE_CHECKING:
    from kit.data import Corpus

log = logging.getLogger("kit.model")

TINY_MARKER = "kit_tiny.json"
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # BART's ids 0..4
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "sentencepiece.bpe.model")


@dataclass(frozen=True)
class TinySettings:
    """Size of the tiny BART and its tokenizer.

    The defaults (about 2 M parameters with the sample corpus) train in seconds on
    two CPU cores; the quality benchmark uses a larger one.
    """

    vocab_size: int = 2000
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ffn_dim: int = 256
    max_positions: int = 128
    dropout: float = 0.1
    min_frequency: int = 2
    seed: int = 0

    def key(self) -> str:
        """A short, stable name for these settings (folder names)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:8]


# --- loading -----------------------------------------------------------------------


def quiet_hf() -> None:
    """Silence transformers' per-load progress bars and info chatter (the kit prints what matters)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_warning()


def _looks_local(name: str) -> bool:
    """A path, never a hub id: it starts with ``/``, ``.`` or ``~``, has more than one ``/``, or exists here."""
    return (name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1
            or os.path.lexists(os.path.expanduser(name)))


def checkpoints(folder: Path) -> list[Path]:
    """``checkpoint-N`` folders holding a model, oldest first."""
    found = [p for p in folder.glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and (p / "config.json").is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def model_folder(name: str) -> Path | None:
    """The local folder ``name`` names, checked to hold a model; None for a hub id.

    A name that looks like a path (``./nope``, ``/tmp/x``, ``~/runs/a``) is never sent to the hub.

    Raises:
        ConfigError: no such folder, a file, or a folder without a model in it (names the newest
            checkpoint when a run stopped before saving its final model).
    """
    if not _looks_local(name):
        return None
    folder = Path(os.path.expanduser(name))
    if not folder.exists():
        raise ConfigError(f"no model folder {name}: it does not exist",
                          hint="pass a finished run folder (runs/job-<id>), one of its checkpoint-N folders, "
                               "or a hub id such as facebook/bart-base")
    if not folder.is_dir():
        raise ConfigError(f"{name} is a file, not a model folder", hint="pass the folder that holds the model")
    if not (folder / "config.json").is_file():
        found = checkpoints(folder)
        hint = (f"the run has no final model yet (it stopped before the end?): use its newest checkpoint, "
                f"{found[-1]}" if found else
                "a model folder holds config.json, model.safetensors and the tokenizer files, as save_pretrained "
                "writes them (the program's --output_dir once its run finished)")
        raise ConfigError(f"{name} is not a model folder: it has no config.json", hint=hint)
    return folder


def _load_local(loader: Any, folder: Path, name: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(folder)``, with a message naming the folder when a file in it is damaged."""
    try:
        return loader.from_pretrained(folder, **kwargs)
    except Exception as exc:  # noqa: BLE001 - transformers, tokenizers and safetensors raise many kinds
        evidence = f"{type(exc).__name__}: {exc}"[-600:]
        weights = [f for f in WEIGHT_FILES if (folder / f).is_file()]
        if what == "model" and not weights:
            problem = f"it has no weights ({WEIGHT_FILES[0]})"
        elif what == "model" and ("safetensor" in evidence.lower() or "torch.load" in evidence
                                  or "unpickl" in evidence.lower()):
            problem = f"its weights, {folder / weights[0]}, are damaged or incomplete (a job killed while saving?)"
        elif "tokenizer" in what and not any((folder / f).is_file() for f in TOKENIZER_FILES):
            problem = f"it has no tokenizer files ({', '.join(TOKENIZER_FILES)})"
        else:
            problem = "a file in it is damaged or incomplete (a job killed while saving?)"
        raise TrainError(f"cannot load the {what} from {name}: {problem}", details=evidence,
                         hint="use one of the run's checkpoint-N folders, or train again into a new --output_dir"
                         ) from None


def _from_pretrained(loader: Any, name: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(name)``; for hub ids, fail fast and clearly when offline."""
    folder = model_folder(name)
    if folder is not None:
        return _load_local(loader, folder, name, what, **kwargs)
    started = time.monotonic()
    online = prepare_hub()
    try:
        return loader.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as exc:
        evidence = f"{type(exc).__name__}: {exc}"[-600:]
        if not online:
            raise HubUnreachable(
                f"cannot load the {what} {name!r}: {hub_endpoint()} is unreachable and it is not in the local "
                f"cache (gave up after {time.monotonic() - started:.1f} s)",
                hint="use --model tiny (a small BART built here from the corpus), or a local folder: download it "
                     f"where there is internet (huggingface-cli download {name} --local-dir DIR), copy DIR here "
                     "and pass --model DIR",
                details=evidence,
            ) from None
        raise TrainError(f"cannot load the {what} {name!r}", details=evidence,
                         hint="check the name on the hub, or pass a local folder") from None


def load_model(name_or_dir: str | os.PathLike[str]) -> tuple[Any, Any]:
    """The tokenizer and the seq2seq model of a hub id or a local folder, as the program's ``load_model``.

    Args:
        name_or_dir: Hub id (``facebook/bart-base``) or a folder written by ``save_pretrained``
            (the program's run folder, one of its checkpoints).

    Raises:
        ConfigError: a path that is not a model folder (names it; a stopped run: its newest checkpoint).
        HubUnreachable: a hub id while offline and not cached.
        TrainError: the model could not be loaded (a damaged file: names it).
    """
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    quiet_hf()
    name = os.fspath(name_or_dir)
    return _from_pretrained(AutoTokenizer, name, "tokenizer"), _from_pretrained(AutoModelForSeq2SeqLM, name, "model")


# --- the tiny BART -----------------------------------------------------------------


def _corpus_texts(corpus: Corpus) -> Iterator[str]:
    for en, ja in corpus.train:
        yield en
        yield ja


def train_tokenizer(corpus: Corpus, settings: TinySettings, max_length: int) -> Any:
    """Train a BPE tokenizer on both sides of the training pairs; return a transformers fast tokenizer.

    Metaspace pre-tokenisation (SentencePiece's ``▁`` marks a preceding space) keeps
    the spaces of pre-tokenised Japanese exactly, so decoded outputs can be scored
    with ``tokenize="none"``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=settings.vocab_size, min_frequency=settings.min_frequency,
                                  special_tokens=SPECIAL_TOKENS, show_progress=False)
    tok.train_from_iterator(_corpus_texts(corpus), trainer=trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                                       special_tokens=[("<s>", bos), ("</s>", eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", mask_token="<mask>", model_max_length=max_length)


def make_tiny_bart(out_dir: str | os.PathLike[str], corpus: Corpus, settings: TinySettings | None = None) -> Path:
    """Build a small BART and its tokenizer from ``corpus``, saved with ``save_pretrained``.

    Reuses ``out_dir`` when it already holds a tiny model built from the same
    corpus with the same settings (a marker file records both).

    Args:
        out_dir: Folder to write (config, weights, tokenizer files, ``kit_tiny.json``).
        corpus: Its training pairs train the tokenizer.
        settings: Model and tokenizer size (default :class:`TinySettings`).

    Returns:
        ``out_dir``, ready for ``from_pretrained`` / :func:`load_model`.

    Raises:
        TrainError: ``out_dir`` holds something else.
    """
    settings = settings or TinySettings()
    out = Path(out_dir)
    marker = {"settings": asdict(settings), "corpus": corpus.fingerprint(), "source": corpus.source}
    marker_path = out / TINY_MARKER
    if marker_path.is_file():
        try:
            existing = json.loads(marker_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = None
        if existing and existing.get("settings") == marker["settings"] and existing.get("corpus") == marker["corpus"]:
            log.info("reusing the tiny model in %s", out)
            return out
    if out.exists() and any(out.iterdir()):
        raise TrainError(f"{out} already holds a different model (other settings, other corpus, or not a tiny model)",
                         hint="choose another folder, or delete this one")
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    quiet_hf()
    started = time.monotonic()
    tokenizer = train_tokenizer(corpus, settings, settings.max_positions)
    torch.manual_seed(settings.seed)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=settings.d_model,
        encoder_layers=settings.layers, decoder_layers=settings.layers,
        encoder_attention_heads=settings.heads, decoder_attention_heads=settings.heads,
        encoder_ffn_dim=settings.ffn_dim, decoder_ffn_dim=settings.ffn_dim,
        max_position_embeddings=settings.max_positions, dropout=settings.dropout,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = BartForConditionalGeneration(config)
    model.generation_config.max_length = settings.max_positions
    model.generation_config.num_beams = 1
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    _portable_tokenizer_class(out)
    marker["parameters"] = sum(p.numel() for p in model.parameters())
    marker["vocab"] = len(tokenizer)
    marker_path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    log.info("built a tiny BART (%s parameters, vocab %s) in %s in %.1f s", f"{marker['parameters']:,}",
             marker["vocab"], out, time.monotonic() - started)
    return out


def _portable_tokenizer_class(folder: Path) -> None:
    """Name the generic fast tokenizer class every transformers version knows.

    transformers 5 records ``TokenizersBackend``, which 4.x's ``AutoTokenizer`` cannot
    resolve; ``PreTrainedTokenizerFast`` loads in both.
    """
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
