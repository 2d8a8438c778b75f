"""kit bleu: sacrebleu's corpus BLEU of two files, both scales, tokenisation chosen from the data."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from kit.bleu import bleu_files, choose_tokenize
from kit.errors import DataError
from kit.sites import PROJECT_ROOT
from litmarp.proc import run

FIXTURE = Path(__file__).parent / "data" / "bleu"


def test_matches_sacrebleu_command_line() -> None:
    text = bleu_files(FIXTURE / "hyp.ja", FIXTURE / "ref.ja", tokenize="none")
    cli = run([sys.executable, "-m", "sacrebleu", str(FIXTURE / "ref.ja"), "-i", str(FIXTURE / "hyp.ja"),
               "--tokenize", "none", "--metrics", "bleu", "chrf", "--width", "4", "--format", "json"])
    scores = {entry["name"]: entry for entry in json.loads(cli.stdout)}
    found = re.match(r"BLEU = ([0-9.]+) \(0-1 scale: ([0-9.]+)\), chrF = ([0-9.]+), 6 sentences\n", text)
    assert found, text
    bleu, bleu01, chrf = map(float, found.groups())
    assert bleu == pytest.approx(scores["BLEU"]["score"], abs=0.005) and 0 < bleu < 100
    assert chrf == pytest.approx(scores["chrF2"]["score"], abs=0.005)
    assert bleu01 == pytest.approx(bleu / 100, abs=1e-4)
    assert "tok:none" in text and text.endswith(f"signature: {scores['BLEU']['signature']}")


def test_auto_tokenize_picks_none_for_pre_tokenised_japanese() -> None:
    refs = (FIXTURE / "ref.ja").read_text(encoding="utf-8").splitlines()
    assert choose_tokenize(refs) == "none"
    assert choose_tokenize(["the cat sat on the mat ."]) == "13a"
    assert choose_tokenize(["猫がマットの上に座った。"]) in ("ja-mecab", "char")
    assert bleu_files(FIXTURE / "ref.ja", FIXTURE / "ref.ja").startswith("BLEU = 100.00 ")


def test_cli_and_mismatched_lines(tmp_path: Path) -> None:
    proc = run([sys.executable, "-m", "kit", "bleu", str(FIXTURE / "hyp.ja"), str(FIXTURE / "ref.ja")],
               cwd=PROJECT_ROOT)
    assert "BLEU = " in proc.stdout and "0-1 scale" in proc.stdout and "tok:none" in proc.stdout
    short = tmp_path / "short.ja"
    short.write_text("一 行 だけ 。\n", encoding="utf-8")
    with pytest.raises(DataError, match="has 1 lines but"):
        bleu_files(short, FIXTURE / "ref.ja")


@pytest.mark.parametrize("tokenize", ["none", "char", "13a"])
def test_local_evaluate_metric_equals_sacrebleu_offline(tokenize: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluate
    import sacrebleu

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # evaluate.load of a path must not touch the hub
    hyps = (FIXTURE / "hyp.ja").read_text(encoding="utf-8").splitlines()
    refs = (FIXTURE / "ref.ja").read_text(encoding="utf-8").splitlines()
    metric = evaluate.load(str(PROJECT_ROOT / "metrics" / "sacrebleu_bleu"))
    result = metric.compute(predictions=hyps, references=[[r] for r in refs], tokenize=tokenize)
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize=tokenize)
    assert result["score"] == pytest.approx(expected.score) and 0 < result["score"] < 100
    assert result["bleu"] == pytest.approx(expected.score / 100)
    assert f"tok:{tokenize}" in result["signature"]
