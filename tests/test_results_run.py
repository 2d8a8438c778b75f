"""Lesson 04's run (kit.runs.results_run): never a workshop-size training in the kernel.

With no finished run it trains the smoke profile (the tiny BART) for a bounded time; with lesson 03's
job cancelled it says so, says how to resume, and reads the newest finished run instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kit import slurm
from kit.runs import results_run
from kit.sites import load_site


def workshop_site(tmp_path: Path):
    """ie-ryukyu, whose training profile is the workshop's (bart-base on ALT), in a temporary work folder."""
    site = load_site("ie-ryukyu", overrides={"work_dir": str(tmp_path / "work")})
    assert site.train.profile == "workshop"
    return site


def cancelled_job_folder(site) -> str:
    """Lesson 03's job, cancelled before it wrote results: its runs/job-<id> holds no metrics.json."""
    job = slurm.submit(slurm.JobSpec(job_name="cancelled", output="logs/%x-%j.log", body=["sleep 120"]),
                       site=load_site("ci"), cwd=site.work_dir)
    slurm.cancel(job)
    slurm.wait(job, timeout=120, follow=False, raise_on_failure=False)
    (site.work_dir / "runs" / f"job-{job.id}").mkdir(parents=True)  # what the program had made before the cancel
    return job.id


@pytest.mark.slow
@pytest.mark.slurm
def test_a_cancelled_job_and_no_finished_run_train_the_tiny_model_for_a_bounded_time(
        slurm_cluster: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = workshop_site(tmp_path)
    job_id = cancelled_job_folder(site)
    cwd = os.getcwd()
    try:
        run = results_run(site, fallback_minutes=0.1)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert f"ジョブ {job_id} の結果はまだありません（状態: CANCELLED）" in out
    assert "小さなモデルで最大 0.1 分だけ学習します" in out
    # 6 s is far less than the smoke profile needs on a CPU: the budget stops it, and the run is then
    # evaluated at its checkpoint instead of leaving lesson 04 without results.
    assert "0.1 分で止めたので、ステップ" in out
    assert run.name.startswith("fallback-") and (run / "metrics.json").is_file()
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert config["d_model"] < 768 and config["vocab_size"] < 50265  # not bart-base
    args = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert args["train_runtime_s"] < 60


@pytest.mark.slurm
def test_a_cancelled_job_is_reported_and_the_newest_finished_run_read(slurm_cluster: None, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site = workshop_site(tmp_path)
    finished = site.work_dir / "runs" / "fallback-20261128-000000"
    finished.mkdir(parents=True)
    (finished / "metrics.json").write_text('{"bleu": 1.0}', encoding="utf-8")
    os.utime(finished, (1, 1))  # older than the job's folder
    job_id = cancelled_job_folder(site)
    assert results_run(site) == finished
    out = capsys.readouterr().out
    assert f"ジョブ {job_id} の結果はまだありません（状態: CANCELLED）" in out
    assert f"--output_dir runs/job-{job_id}" in out
    assert "学習します" not in out
    assert sorted(p.name for p in (site.work_dir / "runs").iterdir()) == sorted([finished.name, f"job-{job_id}"])


def test_new_run_folders_started_in_the_same_second_are_distinct(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from kit import runs

    monkeypatch.setattr(runs, "run_name", lambda prefix: f"{prefix}-20261128-120000")
    site = load_site("local", overrides={"work_dir": str(tmp_path / "work")})
    first, second = runs.new_run_dir(site, "smoke"), runs.new_run_dir(site, "smoke")
    assert (first.name, second.name) == ("smoke-20261128-120000", "smoke-20261128-120000-2")
    assert first.is_dir() and second.is_dir()  # made at once: a third caller cannot take them
