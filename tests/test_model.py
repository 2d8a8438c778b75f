"""kit.model: the tiny BART built offline, reused when nothing changed, loaded back through the auto classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.data import Corpus, load_corpus
from kit.errors import TrainError
from kit.model import TinySettings, make_tiny_bart
from kit.translation import translate

SMALL = TinySettings(vocab_size=300, d_model=32, layers=1, heads=2, ffn_dim=64)


def test_tiny_bart_is_reused_and_translates_one_line_per_input(tmp_path: Path) -> None:
    pairs = load_corpus("sample").train[:100]
    corpus = Corpus(pairs, pairs[:10], pairs[:10], source="100 pairs")
    folder = make_tiny_bart(tmp_path / "m", corpus, SMALL)
    assert make_tiny_bart(folder, corpus, SMALL) == folder  # the same settings and corpus: reused
    assert "BartForConditionalGeneration" in (folder / "config.json").read_text(encoding="utf-8")
    lines = translate(folder, ["Police arrested two men.", "", "The mayor spoke."], max_length=8, batch_size=1)
    assert len(lines) == 3 and lines[1] == ""  # one line per input line, an empty one stays empty
    with pytest.raises(TrainError, match="already holds a different model"):
        make_tiny_bart(folder, corpus, TinySettings(vocab_size=300, d_model=64, layers=1, heads=2, ffn_dim=64))
