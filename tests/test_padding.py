"""Batches: dynamic padding with -100 labels (the program) vs pad-to-120 with pad-id labels (the original)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.data import load_corpus
from kit.errors import TrainError
from kit.model import Seq2SeqBundle, load_model, make_tiny_bart
from kit.padding import compare_padding, make_batch
from kit.translation import translate


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Seq2SeqBundle:
    corpus = load_corpus("sample").subset(300, 20, 20)
    folder = make_tiny_bart(tmp_path_factory.mktemp("tiny"), corpus, vocab_size=600, d_model=32, layers=1,
                            heads=2, ffn_dim=64)
    assert make_tiny_bart(folder, corpus, vocab_size=600, d_model=32, layers=1, heads=2, ffn_dim=64) == folder
    return load_model(folder)


PAIRS = [("Police arrested two men.", "警察 は 2 人 の 男 を 逮捕 し た 。"),
         ("The mayor said that the economy is growing.", "市長 は 経済 は 成長 し て いる と 述べ た 。")]


def test_kit_batch_pads_labels_with_minus_100(tiny: Seq2SeqBundle) -> None:
    batch = make_batch(tiny, PAIRS, max_length=120)
    pad = tiny.tokenizer.pad_token_id
    lengths = [len(tiny.target_tokenizer(text_target=ja)["input_ids"]) for _, ja in PAIRS]
    assert batch["labels"].shape[1] == max(lengths) < 120  # padded to the longest in the batch, not to 120
    for row, length in zip(batch["labels"].tolist(), lengths, strict=True):
        assert row[length:] == [-100] * (len(row) - length) and -100 not in row[:length]
    for row, mask in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist(), strict=True):
        assert all((token == pad) == (m == 0) for token, m in zip(row, mask, strict=True))
    # The decoder input is the labels shifted right, with the pad id (never -100) in the padding.
    assert (batch["decoder_input_ids"] >= 0).all()


def test_original_batch_pads_to_max_length_with_pad_id(tiny: Seq2SeqBundle) -> None:
    batch = make_batch(tiny, PAIRS, max_length=120, original=True)
    assert batch["input_ids"].shape[1] == batch["labels"].shape[1] == 120
    assert (batch["labels"] == tiny.tokenizer.pad_token_id).sum() > 150 and not (batch["labels"] == -100).any()


def test_compare_padding_measures_both_ways_on_the_same_steps(tiny: Seq2SeqBundle) -> None:
    result = compare_padding(tiny, load_corpus("sample").train[:200], steps=4, batch_size=8, learning_rate=3e-3)
    assert result.original.samples == result.kit.samples == 32
    assert result.original.padding_share > 0.7 > result.kit.padding_share
    assert result.speedup > 0  # measured, not asserted: speed targets live in bench/throughput.py
    assert "speed-up" in str(result) and set(result.as_dict()) >= {"original", "kit", "speedup"}


def test_tiny_mbart_variant_loads_through_auto_classes(tmp_path: Path) -> None:
    corpus = load_corpus("sample").subset(100, 10, 10)
    folder = make_tiny_bart(tmp_path / "m", corpus, vocab_size=300, d_model=32, layers=1, heads=2, ffn_dim=64,
                            arch="mbart")
    bundle = load_model(folder)
    assert type(bundle.model).__name__ == "MBartForConditionalGeneration"
    assert len(translate(folder, ["Police arrested two men.", ""], max_length=8)) == 2
    with pytest.raises(TrainError, match="already holds a different model"):
        make_tiny_bart(folder, corpus, vocab_size=300, d_model=64, layers=1, heads=2, ffn_dim=64, arch="mbart")
