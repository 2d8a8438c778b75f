"""Corpus BLEU and chrF through sacrebleu, with the signature that makes a score reproducible.

The original workshop used ``evaluate.load("bleu")``, which downloads the
metric at run time (and so fails offline) and reports BLEU on a 0-1 scale. Here
sacrebleu is called directly; :class:`BleuResult` carries both scales (the
original's 0.2734 is 27.34 on sacrebleu's usual 0-100 scale).

Tokenisation matters as much as the model: ALT's ``jp_tokenized`` and other
pre-tokenised Japanese are scored with ``tokenize="none"`` (the spaces already
separate the words); raw Japanese needs a word segmenter (``ja-mecab``, when
mecab-python3 and ipadic are installed) or, failing that, ``char``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from kit.errors import ConfigError, DataError

TOKENIZERS = ("auto", "none", "13a", "intl", "char", "zh", "ja-mecab", "ko-mecab", "flores101", "flores200")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class BleuResult:
    """A corpus BLEU score with its context.

    Attributes:
        score: BLEU on the 0-100 scale (sacrebleu's).
        signature: sacrebleu's signature, e.g. ``nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0``.
        tokenize: The tokeniser used.
        chrf: chrF on the 0-100 scale.
        chrf_signature: chrF's signature.
        precisions: The 1- to 4-gram precisions (0-100).
        brevity_penalty: BLEU's brevity penalty.
        n: Number of sentences scored.
        text: sacrebleu's one-line summary.
    """

    score: float
    signature: str
    tokenize: str
    chrf: float
    chrf_signature: str
    precisions: tuple[float, ...]
    brevity_penalty: float
    n: int
    text: str

    @property
    def score01(self) -> float:
        """BLEU on the 0-1 scale the original workshop quoted (``evaluate``'s ``bleu``)."""
        return self.score / 100.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields (for metrics.json)."""
        data = asdict(self)
        data["score01"] = self.score01
        data["precisions"] = list(self.precisions)
        return data

    def __str__(self) -> str:
        return (f"BLEU = {self.score:.2f} (0-1 scale: {self.score01:.4f}), chrF = {self.chrf:.2f}, "
                f"{self.n} sentences\n  {self.text}\n  signature: {self.signature}")


def looks_tokenized(sentences: Sequence[str]) -> bool:
    """Whether Japanese sentences are split into words with spaces (like ALT's ``jp_tokenized``).

    Raw Japanese has (almost) no spaces between CJK characters; pre-tokenised
    text has one every word or two.
    """
    count = spaced = 0
    for sentence in sentences:
        if not _CJK.search(sentence):
            continue
        count += 1
        tokens = sentence.split()
        spaced += len(tokens) >= max(2, len(sentence) // 8)
        if count >= 200:
            break
    return count > 0 and spaced / count >= 0.5


def mecab_available() -> bool:
    """Whether sacrebleu's ``ja-mecab`` tokeniser can run (mecab-python3 and ipadic installed)."""
    return all(importlib.util.find_spec(name) is not None for name in ("MeCab", "ipadic"))


def choose_tokenize(refs: Sequence[str]) -> str:
    """Pick a sacrebleu tokeniser for these references.

    Japanese already split with spaces gets ``none``; raw Japanese gets
    ``ja-mecab`` when installed, else ``char``; anything else gets ``13a``
    (sacrebleu's default).
    """
    japanese = [ref for ref in refs if _CJK.search(ref)]
    if not japanese or len(japanese) < len(refs) / 2:
        return "13a"
    if looks_tokenized(japanese):
        return "none"
    return "ja-mecab" if mecab_available() else "char"


def corpus_bleu(hyps: Sequence[str], refs: Sequence[str], *, tokenize: str = "auto") -> BleuResult:
    """Corpus BLEU and chrF of ``hyps`` against one reference each.

    Args:
        hyps: System outputs, one per sentence.
        refs: References, aligned with ``hyps``.
        tokenize: A sacrebleu tokeniser name, or ``auto`` (see :func:`choose_tokenize`).

    Returns:
        The scores and signatures.

    Raises:
        DataError: different numbers of hypotheses and references, or none at all.
        ConfigError: an unknown tokeniser, or ``ja-mecab`` without MeCab installed.
    """
    from sacrebleu.metrics import BLEU, CHRF

    hyps, refs = list(hyps), list(refs)
    if len(hyps) != len(refs):
        raise DataError(f"{len(hyps)} hypotheses but {len(refs)} references",
                        hint="every output line needs the reference on the same line")
    if not refs:
        raise DataError("nothing to score: no sentences", hint="pass at least one hypothesis/reference pair")
    if tokenize not in TOKENIZERS:
        raise ConfigError(f"unknown BLEU tokenizer {tokenize!r}", hint=f"use one of: {', '.join(TOKENIZERS)}")
    if tokenize == "auto":
        tokenize = choose_tokenize(refs)
    if tokenize == "ja-mecab" and not mecab_available():
        raise ConfigError("tokenize='ja-mecab' needs mecab-python3 and ipadic",
                          hint="pip install 'sacrebleu[ja]', or use tokenize='char' (or 'none' for pre-tokenised text)")
    bleu = BLEU(tokenize=tokenize)
    result = bleu.corpus_score(hyps, [refs])
    chrf = CHRF()
    chrf_result = chrf.corpus_score(hyps, [refs])
    return BleuResult(
        score=float(result.score), signature=str(bleu.get_signature()), tokenize=tokenize,
        chrf=float(chrf_result.score), chrf_signature=str(chrf.get_signature()),
        precisions=tuple(float(p) for p in result.precisions), brevity_penalty=float(result.bp),
        n=len(refs), text=str(result),
    )


def _read(path: Path, what: str) -> list[str]:
    from kit.pathio import read_user_text

    text = read_user_text(path, what)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def bleu_files(hyp_path: str | os.PathLike[str], ref_path: str | os.PathLike[str], *,
               tokenize: str = "auto") -> BleuResult:
    """Corpus BLEU of two line-aligned text files (system output, reference).

    Raises:
        ConfigError: a file is missing, a folder, or not UTF-8 (names it).
        DataError: the line counts differ (names both files).
    """
    hyps, refs = _read(Path(hyp_path), "system output"), _read(Path(ref_path), "reference")
    if len(hyps) != len(refs):
        raise DataError(f"{hyp_path} has {len(hyps)} lines but {ref_path} has {len(refs)}",
                        hint="translate every reference line (python -m kit translate --file SOURCE)")
    return corpus_bleu(hyps, refs, tokenize=tokenize)
