"""Models and tokenizers: load from the hub or a folder, and build a tiny BART offline.

:func:`make_tiny_bart` builds a small BART from a corpus with no download (the model ``"tiny"`` of a
training profile), saved with ``save_pretrained`` and loaded by the same ``from_pretrained`` calls as
``facebook/bart-base``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
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
    """Size of the tiny BART and its tokenizer (the defaults train in seconds on two CPU cores)."""

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


def checkpoints(folder: Path, holding: str = "config.json") -> list[Path]:
    """``checkpoint-N`` folders holding ``holding`` (a model), oldest first."""
    found = [p for p in folder.glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and (p / holding).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def model_folder(name: str) -> Path | None:
    """The local folder ``name`` names, checked to hold a model; None for a hub id.

    A name that looks like a path (``./nope``, ``/tmp/x``, ``~/runs/a``, more than one ``/``, or one that
    exists here) is never sent to the hub.
    """
    folder = Path(os.path.expanduser(name))
    if not (name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1 or os.path.lexists(folder)):
        return None
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


def _from_pretrained(loader: Any, name: str, what: str) -> Any:
    """``loader.from_pretrained(name)``, with errors naming a damaged file, or the local options when offline."""
    folder = model_folder(name)
    started = time.monotonic()
    online = folder is not None or prepare_hub()
    try:
        return loader.from_pretrained(folder or name)
    except Exception as exc:  # noqa: BLE001 - transformers, tokenizers and safetensors raise many kinds
        evidence = f"{type(exc).__name__}: {exc}"[-600:]
        if folder is not None:
            files = WEIGHT_FILES if what == "model" else TOKENIZER_FILES
            present = [f for f in files if (folder / f).is_file()]
            problem = (f"a file in it, probably {folder / present[0]}, is damaged or incomplete (a job killed while "
                       "saving?)" if present else f"it has no {what} files ({', '.join(files)})")
            raise TrainError(f"cannot load the {what} from {name}: {problem}", details=evidence,
                             hint="use one of the run's checkpoint-N folders, or train again into a new --output_dir"
                             ) from None
        if not isinstance(exc, (OSError, ValueError)):
            raise
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
    """The tokenizer and the seq2seq model of a hub id or a ``save_pretrained`` folder (a run, a checkpoint).

    Raises:
        ConfigError: a path that is not a model folder (names it; a stopped run: its newest checkpoint).
        HubUnreachable: a hub id while offline and not cached.
        TrainError: the model could not be loaded (a damaged file: names it).
    """
    name = os.fspath(name_or_dir)
    model_folder(name)  # a wrong path is said at once, not after seconds of torch's and transformers' imports
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    quiet_hf()
    return _from_pretrained(AutoTokenizer, name, "tokenizer"), _from_pretrained(AutoModelForSeq2SeqLM, name, "model")


# --- the tiny BART -----------------------------------------------------------------


def train_tokenizer(corpus: Corpus, settings: TinySettings) -> Any:
    """A BPE tokenizer trained on both sides of the training pairs, as a transformers fast tokenizer.

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
    tok.train_from_iterator((text for pair in corpus.train for text in pair), trainer=trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                                       special_tokens=[("<s>", bos), ("</s>", eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", mask_token="<mask>", model_max_length=settings.max_positions)


def make_tiny_bart(out_dir: str | os.PathLike[str], corpus: Corpus, settings: TinySettings | None = None) -> Path:
    """Build a small BART and its tokenizer from ``corpus`` into ``out_dir``, saved with ``save_pretrained``.

    Reuses ``out_dir`` when it already holds a tiny model built from the same corpus with the same
    settings (``kit_tiny.json`` records both).

    Raises:
        TrainError: ``out_dir`` holds something else.
    """
    settings = settings or TinySettings()
    out = Path(out_dir)
    marker: dict[str, Any] = {"settings": asdict(settings), "corpus": corpus.fingerprint(), "source": corpus.source}
    marker_path = out / TINY_MARKER
    try:
        existing = json.loads(marker_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        existing = {}
    if existing.get("settings") == marker["settings"] and existing.get("corpus") == marker["corpus"]:
        log.info("reusing the tiny model in %s", out)
        return out
    if out.exists() and any(out.iterdir()):
        raise TrainError(f"{out} already holds a different model (other settings, other corpus, or not a tiny model)",
                         hint="choose another folder, or delete this one")
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    quiet_hf()
    started = time.monotonic()
    tokenizer = train_tokenizer(corpus, settings)
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
    # transformers 5 records TokenizersBackend, which 4.x's AutoTokenizer cannot resolve; this class loads in both.
    tokenizer_config = out / "tokenizer_config.json"
    saved = json.loads(tokenizer_config.read_text(encoding="utf-8"))
    saved["tokenizer_class"] = "PreTrainedTokenizerFast"
    tokenizer_config.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    marker["parameters"] = sum(p.numel() for p in model.parameters())
    marker["vocab"] = len(tokenizer)
    marker_path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    log.info("built a tiny BART (%s parameters, vocab %s) in %s in %.1f s", f"{marker['parameters']:,}",
             marker["vocab"], out, time.monotonic() - started)
    return out
