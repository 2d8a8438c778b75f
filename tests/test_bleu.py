"""kit.bleu: sacrebleu's corpus BLEU, both scales, tokenisation chosen from the data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kit.bleu import bleu_files, choose_tokenize, corpus_bleu
from kit.errors import DataError
from kit.sites import PROJECT_ROOT
from litmarp.proc import run

FIXTURE = Path(__file__).parent / "data" / "bleu"


def test_matches_sacrebleu_command_line() -> None:
    result = bleu_files(FIXTURE / "hyp.ja", FIXTURE / "ref.ja", tokenize="none")
    cli = run([sys.executable, "-m", "sacrebleu", str(FIXTURE / "ref.ja"), "-i", str(FIXTURE / "hyp.ja"),
               "--tokenize", "none", "--metrics", "bleu", "chrf", "--width", "4", "--format", "json"])
    scores = {entry["name"]: entry for entry in json.loads(cli.stdout)}
    assert result.score == pytest.approx(scores["BLEU"]["score"], abs=1e-4)
    assert result.chrf == pytest.approx(scores["chrF2"]["score"], abs=1e-4)
    assert 0 < result.score < 100
    assert result.score01 == pytest.approx(result.score / 100)
    assert "tok:none" in result.signature and result.signature == scores["BLEU"]["signature"]


def test_auto_tokenize_picks_none_for_pre_tokenised_japanese() -> None:
    refs = (FIXTURE / "ref.ja").read_text(encoding="utf-8").splitlines()
    assert choose_tokenize(refs) == "none"
    assert choose_tokenize(["the cat sat on the mat ."]) == "13a"
    assert choose_tokenize(["猫がマットの上に座った。"]) in ("ja-mecab", "char")
    assert corpus_bleu(refs, refs).score == pytest.approx(100.0)


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
