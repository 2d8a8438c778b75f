"""kit.slurm's parsers on real Slurm 22.05.8 output captured by tests/data/slurm/capture.sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import slurm
from kit.errors import SlurmError

DATA = Path(__file__).parent / "data" / "slurm"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_sbatch_parsable() -> None:
    assert slurm.parse_sbatch_parsable(read("sbatch_parsable.txt")) == ("2", None)
    assert slurm.parse_sbatch_parsable("1234;cluster2\n") == ("1234", "cluster2")  # the multi-cluster form
    with pytest.raises(SlurmError, match="job id"):
        slurm.parse_sbatch_parsable(read("sbatch_gpus_unavailable.stderr"))


def test_squeue_while_jobs_run_and_wait() -> None:
    rows = {r.job_id: r for r in slurm.parse_squeue(read("squeue_active.txt"))}
    assert rows["1"].state == "RUNNING" and rows["1"].nodelist == "vm" and rows["1"].time_limit == "1:00"
    assert rows["9"].name == "running" and rows["9"].reason is None
    pending = rows["10"]
    assert (pending.state, pending.reason, pending.nodelist) == ("PENDING", "Resources", None)
    assert rows["6"].name == "two words"
    assert (rows["5"].state, rows["5"].reason) == ("FAILED", "JobLaunchFailure")
    # A refused --gpus request still leaves a FAILED job record behind.
    assert (rows["7"].name, rows["7"].reason) == ("gpu99", "BadConstraints")


def test_squeue_after_the_end() -> None:
    states = {r.job_id: (r.state, r.reason) for r in slurm.parse_squeue(read("squeue_all.txt"))}
    assert states["1"] == ("TIMEOUT", "TimeLimit")
    assert states["2"] == ("COMPLETED", None)
    assert states["3"] == ("FAILED", "NonZeroExitCode")
    assert states["9"] == ("CANCELLED", None)
    assert states["10"] == ("CANCELLED", None)
    assert all(slurm.status_from_queue_row(r).terminal for r in slurm.parse_squeue(read("squeue_all.txt")))


def test_squeue_rejects_other_formats() -> None:
    with pytest.raises(SlurmError, match="unexpected squeue line"):
        slurm.parse_squeue("JOBID PARTITION NAME USER ST TIME NODES NODELIST(REASON)\n")


@pytest.mark.parametrize(("name", "state", "reason", "exit_code", "sig", "running"), [
    ("scontrol_pending.txt", "PENDING", "Resources", 0, 0, False),
    ("scontrol_running.txt", "RUNNING", None, 0, 0, False),
    ("scontrol_completed.txt", "COMPLETED", None, 0, 0, True),
    ("scontrol_failed.txt", "FAILED", "NonZeroExitCode", 3, 0, True),
    ("scontrol_cancelled.txt", "CANCELLED", None, 0, 15, True),
    ("scontrol_timeout.txt", "TIMEOUT", "TimeLimit", 0, 15, True),
    ("scontrol_launch_failed.txt", "FAILED", "JobLaunchFailure", 0, 53, True),
    ("scontrol_gpu.txt", "COMPLETED", None, 0, 0, True),
])
def test_scontrol_show_job(name: str, state: str, reason: str | None, exit_code: int, sig: int,
                           running: bool) -> None:
    st = slurm.status_from_scontrol(slurm.parse_scontrol_job(read(name)))
    assert (st.state, st.reason, st.exit_code, st.signal) == (state, reason, exit_code, sig)
    assert st.terminal is running
    assert st.source == "scontrol"


def test_scontrol_fields_keep_spaces_equals_and_paths() -> None:
    fields = slurm.parse_scontrol_job(read("scontrol_failed.txt"))
    assert fields["JobName"] == "fail3"
    assert fields["StdOut"] == "/tmp/capture/logs/fail3-3.log"
    assert fields["StdErr"] == "/tmp/capture/logs/fail3-3.err"
    assert fields["WorkDir"] == "/tmp/capture"
    assert fields["TRES"] == "cpu=1,mem=1G,node=1,billing=1"
    assert fields["AllocNode:Sid"] == "localhost:2918"
    assert slurm.parse_scontrol_job(read("scontrol_gpu.txt"))["TresPerJob"] == "gres:gpu:tesla:1"
    assert slurm.parse_scontrol_job(read("scontrol_launch_failed.txt"))["StdOut"] == \
        "/tmp/capture/missing/nologdir-5.log"
    assert slurm.parse_key_values("JobId=6 JobName=two words UserId=root(0)") == {
        "JobId": "6", "JobName": "two words", "UserId": "root(0)"}


def test_jobcomp_file() -> None:
    rows = {r["JobId"]: r for r in slurm.parse_jobcomp(read("jobcomp.txt"))}
    assert set(rows) == {"1", "2", "3", "4", "5", "6", "9"}
    assert rows["6"]["Name"] == "two words"  # sacct -c loses this one (see below)
    assert rows["1"]["JobState"] == "TIMEOUT"
    st = {k: slurm.status_from_sacct(slurm.jobcomp_as_sacct(v)) for k, v in rows.items()}
    assert (st["3"].state, st["3"].exit_code) == ("FAILED", 3)
    assert (st["5"].state, st["5"].signal) == ("FAILED", 53)
    assert st["9"].state == "CANCELLED" and st["6"].ok
    assert slurm.jobcomp_as_sacct(rows["6"])["WorkDir"] == "/tmp/capture"


def test_sacct_completion_records() -> None:
    rows = {r["JobID"]: r for r in slurm.parse_sacct(read("sacct_completion.txt"))}
    assert slurm.status_from_sacct(rows["3"]).exit_code == 3
    assert slurm.status_from_sacct(rows["1"]).state == "TIMEOUT"
    assert rows["9"]["WorkDir"] == "/tmp/capture"
    # sacct -c splits a job name with a space and loses the state: why kit reads the file itself.
    assert rows["6"]["JobName"] == "two" and rows["6"]["State"] == ""
    assert "Unknown type words" in read("sacct_completion.stderr")


def test_sacct_state_forms() -> None:
    assert slurm.normalize_state("CANCELLED by 0") == "CANCELLED"
    assert slurm.normalize_state("CANCELLED+") == "CANCELLED"
    assert slurm.parse_exit_code("0:53") == (0, 53)
    assert slurm.parse_exit_code("") == (None, None)


def test_show_config_names_the_jobcomp_file() -> None:
    config = slurm.parse_show_config(read("scontrol_show_config.txt"))
    assert config["JobCompType"] == "jobcomp/filetxt"
    assert config["JobCompLoc"].endswith("/jobcomp.txt")
    assert config["MinJobAge"] == "3600 sec"
    assert "disabled" in read("sacct_disabled.stderr")
