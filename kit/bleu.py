"""``python -m kit bleu HYP REF``: corpus BLEU of two line-aligned files, as the program and lesson 04 compute
it (``sacrebleu.BLEU(tokenize=...).corpus_score``), with chrF beside it.

The original workshop's ``evaluate.load("bleu")`` downloads the metric at run time (so fails offline)
and reports BLEU on a 0-1 scale: the output gives both scales (its 0.2734 is sacrebleu's 27.34).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence

from kit.errors import ConfigError, DataError
from kit.pathio import read_user_text

TOKENIZERS = ("auto", "none", "13a", "intl", "char", "zh", "ja-mecab", "ko-mecab", "flores101", "flores200")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def looks_tokenized(sentences: Sequence[str]) -> bool:
    """Whether Japanese sentences are split into words with spaces (like ALT's ``jp_tokenized``).

    Raw Japanese has (almost) no spaces between CJK characters; pre-tokenised
    text has one every word or two.
    """
    japanese = [sentence for sentence in sentences if _CJK.search(sentence)][:200]
    spaced = sum(len(sentence.split()) >= max(2, len(sentence) // 8) for sentence in japanese)
    return bool(japanese) and spaced >= len(japanese) / 2


def mecab_available() -> bool:
    """Whether sacrebleu's ``ja-mecab`` tokeniser can run (mecab-python3 and ipadic installed)."""
    return all(importlib.util.find_spec(name) is not None for name in ("MeCab", "ipadic"))


def choose_tokenize(refs: Sequence[str]) -> str:
    """``--tokenize auto``: ``none`` for Japanese already split into words with spaces (ALT, the program's
    outputs), ``ja-mecab`` (when installed) or else ``char`` for raw Japanese, sacrebleu's ``13a`` otherwise."""
    japanese = [ref for ref in refs if _CJK.search(ref)]
    if not japanese or len(japanese) < len(refs) / 2:
        return "13a"
    if looks_tokenized(japanese):
        return "none"
    return "ja-mecab" if mecab_available() else "char"


def bleu_files(hyp_path: str | os.PathLike[str], ref_path: str | os.PathLike[str], *,
               tokenize: str = "auto") -> str:
    """BLEU (on both scales), chrF and sacrebleu's signature for two line-aligned files: what ``kit bleu`` prints.

    Raises:
        ConfigError: a file is missing, a folder, or not UTF-8 (names it); ``ja-mecab`` without MeCab.
        DataError: the line counts differ (names both files), or there is nothing to score.
    """
    import sacrebleu

    hyps = read_user_text(hyp_path, "system output").splitlines()
    refs = read_user_text(ref_path, "reference").splitlines()
    if len(hyps) != len(refs):
        raise DataError(f"{hyp_path} has {len(hyps)} lines but {ref_path} has {len(refs)}",
                        hint="translate every reference line (python -m kit translate --file SOURCE)")
    if not refs:
        raise DataError("nothing to score: no sentences", hint="pass files with one sentence a line")
    if tokenize == "auto":
        tokenize = choose_tokenize(refs)
    if tokenize == "ja-mecab" and not mecab_available():
        raise ConfigError("tokenize='ja-mecab' needs mecab-python3 and ipadic",
                          hint="pip install 'sacrebleu[ja]', or use tokenize='char' (or 'none' for pre-tokenised text)")
    bleu = sacrebleu.BLEU(tokenize=tokenize)
    score = bleu.corpus_score(hyps, [refs])
    chrf = sacrebleu.CHRF().corpus_score(hyps, [refs])
    return (f"BLEU = {score.score:.2f} (0-1 scale: {score.score / 100:.4f}), chrF = {chrf.score:.2f}, "
            f"{len(refs)} sentences\n  {score}\n  signature: {bleu.get_signature()}")
