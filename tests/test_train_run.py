"""Training end to end: the smoke profile through the CLI, overfitting, resuming, the time budget."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kit.data import Corpus, load_corpus
from kit.errors import TrainError
from kit.proc import run
from kit.sites import PROJECT_ROOT
from kit.train import get_profile, load_run, train


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``python -m kit train`` as the CI site's Slurm job runs it (smoke profile, tiny model, sample corpus)."""
    out = tmp_path_factory.mktemp("smoke") / "run"
    proc = run([sys.executable, "-m", "kit", "train", "--site", "ci", "--output-dir", str(out)], cwd=PROJECT_ROOT,
               timeout=600)
    return out, proc.stdout


def test_smoke_profile_end_to_end(smoke_run: tuple[Path, str]) -> None:
    out, stdout = smoke_run
    assert "run finished" in stdout and f"metrics:           {out / 'metrics.json'}" in stdout
    assert "step 10/" in stdout and "eval at step" in stdout  # plain progress lines: stdout is not a terminal
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("bleu", "bleu01", "bleu_signature", "chrf", "eval_loss", "train_samples_per_second"):
        assert metrics[key] is not None, key
    assert "tok:none" in metrics["bleu_signature"] and metrics["completed"] and metrics["test_sentences"] == 100
    samples = load_run(out).samples
    assert len(samples) == 10 and samples[0].source.startswith("Flaming debris")
    text = (out / "samples.txt").read_text(encoding="utf-8")
    assert text.count("入力: ") == text.count("正解: ") == text.count("生成文: ") == 10
    predictions = (out / "test_predictions.txt").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == 100 and predictions[0] == samples[0].output


def test_trainer_state_has_train_and_eval_losses_and_plot(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    history = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
    assert any("loss" in entry for entry in history) and any("eval_loss" in entry for entry in history)
    assert (out / "loss.png").stat().st_size > 10_000
    checkpoint = next(out.glob("checkpoint-*"))
    proc = run([sys.executable, "-m", "kit", "plot", str(checkpoint), "--out", str(out / "ckpt.png")],
               cwd=PROJECT_ROOT)
    assert proc.stdout.strip() == str(out / "ckpt.png") and (out / "ckpt.png").stat().st_size > 10_000


def test_translate_cli_one_line_per_input(smoke_run: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = smoke_run
    source = tmp_path / "in.en"
    source.write_text("The mayor said that no one was hurt.\nA new museum opened in Naha on Monday.\n\n",
                      encoding="utf-8")
    proc = run([sys.executable, "-m", "kit", "translate", "--model", str(out), "--file", str(source), "--beam", "2"],
               cwd=PROJECT_ROOT)
    lines = proc.stdout.split("\n")[:-1]
    assert len(lines) == 3 and lines[0] and lines[1] and lines[2] == ""


def _overfit_corpus(n: int) -> Corpus:
    pairs = load_corpus("sample").train[:n]
    return Corpus(pairs, pairs, pairs, source=f"first {n} sample pairs", ja_tokenized=True)


def test_tiny_model_overfits_32_pairs_to_bleu_100(tmp_path: Path) -> None:
    # An under-trained model may emit one constant sentence; memorising 32 pairs shows that the whole
    # chain (tokenizer, labels, decoder start, generation, decoding, BLEU) is right.
    config = get_profile("smoke").with_overrides(
        max_steps=450, batch_size=8, learning_rate=1e-3, warmup_steps=0, eval_strategy="no", save_strategy="no",
        load_best_model_at_end=False, logging_steps=50)
    result = train(config, tmp_path / "run", corpus=_overfit_corpus(32), work_dir=tmp_path, plot=False,
                   log_fn=lambda _: None)
    assert result.metrics["parameters"] < 1_000_000
    assert result.metrics["bleu"] > 99.0
    exact = sum(s.output == s.reference for s in result.samples)
    assert exact >= 9, [s.output for s in result.samples]


def test_time_budget_stops_with_a_checkpoint_and_rerun_resumes(tmp_path: Path) -> None:
    corpus = _overfit_corpus(64)
    config = get_profile("smoke").with_overrides(
        max_steps=12, batch_size=8, eval_strategy="steps", eval_steps=6, save_strategy="steps", save_steps=6,
        logging_steps=1, max_minutes=1e-6, tiny={"d_model": 32, "ffn_dim": 64, "layers": 1, "heads": 2})
    out = tmp_path / "run"
    first = train(config, out, corpus=corpus, work_dir=tmp_path, plot=False, log_fn=lambda _: None)
    assert not first.completed and first.metrics["stop_reason"] == "time budget"
    assert first.metrics["global_step"] == 1 and (out / "checkpoint-1").is_dir()
    second = train(config.with_overrides(max_minutes=0.0), out, corpus=corpus, work_dir=tmp_path, plot=False,
                   log_fn=lambda _: None)
    assert second.completed and second.metrics["resumed_from"] == "checkpoint-1"
    assert second.metrics["global_step"] == 12
    steps = [e["step"] for e in json.loads((out / "trainer_state.json").read_text())["log_history"] if "loss" in e]
    assert steps[0] == 1 and steps[-1] == 12 and steps == sorted(steps)
    with pytest.raises(TrainError, match="holds a finished run"):
        train(config, out, corpus=corpus, work_dir=tmp_path, plot=False, log_fn=lambda _: None)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TrainError, match="not a kit training run"):
        train(config, tmp_path / "other", corpus=corpus, work_dir=tmp_path, plot=False, log_fn=lambda _: None)
