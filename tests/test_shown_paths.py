"""What the kit prints carries no trace of the presenter's machine: no login in the queue, no home paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.slurm import Job, JobLogs, Queue, QueueRow
from kit.textutil import work_path
from litmarp.paths import home_path

ROW = QueueRow(job_id="12", partition="debug", user="alice", state="RUNNING", time="0:05", time_limit="1:00:00",
               nodes="1", nodelist="vm", reason="", name="bart-finetune")


def test_queue_of_ones_own_jobs_has_no_user_column() -> None:
    text = str(Queue([ROW]))
    assert "USER" not in text and "alice" not in text
    assert text.splitlines()[0].split() == ["JOBID", "PARTITION", "NAME", "STATE", "TIME", "LIMIT", "NODES",
                                            "NODELIST(REASON)"]
    assert text.splitlines()[1].split()[:4] == ["12", "debug", "bart-finetune", "RUNNING"]


def test_everyones_queue_keeps_the_user_column() -> None:
    text = str(Queue([ROW], all_users=True))
    assert text.splitlines()[0].split()[3] == "USER" and "alice" in text


def test_work_path_relative_to_the_work_folder_else_home_else_as_is(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home" / "alice"
    work = home / "workshop2024"
    monkeypatch.setenv("HOME", str(home))
    assert work_path(work / "logs" / "bart-12.log", work) == "logs/bart-12.log"
    assert work_path(work, work) == "."
    assert work_path(home / "sif" / "x.sif", work) == "~/sif/x.sif"
    assert work_path("/opt/images/x.sif", work) == "/opt/images/x.sif"
    assert work_path("runs/job-12", work) == "runs/job-12"
    monkeypatch.chdir(tmp_path)
    assert work_path(tmp_path / "a.txt") == "a.txt"  # default: the current folder
    assert home_path(work) == "~/workshop2024" and home_path(home) == "~"
    assert home_path(tmp_path / "home" / "alicex") == str(tmp_path / "home" / "alicex")  # not inside ~
    assert home_path("/") == "/" and home_path("relative/x") == "relative/x"


def test_submitted_job_and_its_logs_are_shown_inside_the_work_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home" / "alice"
    work = home / "workshop2024"
    (work / "logs").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    log = work / "logs" / "bart-finetune-12.log"
    log.write_text("step 1\n")
    job = Job("12", "bart-finetune", work / "train.sbatch", log, work / "logs" / "bart-finetune-12.err", work,
              "slurm")
    described = job.describe()
    assert "script: train.sbatch" in described and "output: logs/bart-finetune-12.log" in described
    assert str(home) not in described and "alice" not in described
    shown = str(JobLogs(job.stdout, job.stderr, "step 1", "", False, job.cwd))
    assert "--- output: logs/bart-finetune-12.log ---" in shown and str(home) not in shown


def test_storage_clean_shows_paths_from_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kit import storage
    from kit.sites import load_site

    home = tmp_path / "home" / "alice"
    run = home / "runs" / "smoke"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text("{}")
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    site = load_site("ie-ryukyu", overrides={"work_dir": str(home), "container": {"sif_dir": str(home / "sif")}})
    text = str(storage.clean([run], site=site, home=home, env={}))
    assert "~/runs/smoke  (run)" in text and str(home) not in text and run.exists()
    monkeypatch.chdir(home)  # from inside the work folder: relative to it
    assert "  runs/smoke  (run)" in str(storage.clean([run], site=site, home=home, env={}))


def test_shown_path_prefers_the_nearer_of_project_and_home(tmp_path: Path) -> None:
    from litmarp.paths import shown_path

    project = tmp_path / "kit"
    home_inside = project / "build" / "rehearsal" / "home"  # the rehearsal's throwaway home
    assert shown_path(home_inside / "workshop2024", project, home=home_inside) == "~/workshop2024"
    assert shown_path(project / "build" / "work" / "ci", project, home=home_inside) == "build/work/ci"
    home_around = tmp_path  # a presenter's checkout under ~
    assert shown_path(project / "build" / "work" / "local", project, home=home_around) == "build/work/local"
    assert shown_path(tmp_path / ".cache" / "pip", project, home=home_around) == "~/.cache/pip"
    assert shown_path("/opt/images/x.sif", project, home=home_around) == "/opt/images/x.sif"
