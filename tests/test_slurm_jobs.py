"""kit.slurm against the real one-node Slurm (started by scripts/slurm-up.sh if needed) and the local executor.

Every job-level test runs twice: through Slurm and through the local executor.
The two --time jobs are submitted when this module starts and checked at its
end, because Slurm enforces time limits only about every 30 s (a 1-minute limit
ends a job 60-90 s after it starts).
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kit import slurm
from kit.cli import main
from kit.errors import JobFailed, SubmissionError
from kit.job import train_spec
from kit.sites import SITES_DIR, Site, load_site


def site_for(executor: str) -> Site:
    """The CI site profile with its executor forced to ``executor``."""
    return load_site("ci", overrides={"slurm": {"executor": executor}})

EXECUTORS = [pytest.param("slurm", marks=pytest.mark.slurm), "local"]
SLURM_ONLY = pytest.mark.slurm


@pytest.fixture(scope="module", autouse=True)
def timeout_jobs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 local_jobs_dir: Path) -> Iterator[dict[str, slurm.Job]]:
    """One ``--time 1`` job per executor, submitted before the other tests so their wait overlaps."""
    jobs: dict[str, slurm.Job] = {}
    spec = slurm.JobSpec(job_name="timeout", output="logs/%x-%j.log", error="logs/%x-%j.err", time="1",
                         body=["echo started", "sleep 300"])
    # The Slurm job only where Slurm tests run (make test-fast deselects them: no cluster is started).
    with_slurm = "not slurm" not in (request.config.getoption("markexpr") or "")
    for executor in ("slurm", "local") if with_slurm else ("local",):
        if executor == "slurm":
            try:
                request.getfixturevalue("slurm_cluster")
            except pytest.skip.Exception:
                continue
        jobs[executor] = slurm.submit(spec, site=site_for(executor), cwd=tmp_path_factory.mktemp(executor))
    yield jobs
    for job in jobs.values():
        if not slurm.status(job).terminal:
            slurm.cancel(job)


def run_to_end(job: slurm.Job, **kwargs: object) -> tuple[slurm.JobStatus, str]:
    out = io.StringIO()
    st = slurm.wait(job, timeout=60, poll=0.5, out=out, **kwargs)  # type: ignore[arg-type]
    return st, out.getvalue()


@pytest.mark.parametrize("executor", EXECUTORS)
def test_hello_completes_and_its_log_holds_its_output(executor: str, executor_site: Site, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    job = slurm.submit(slurm.hello_spec(), site=executor_site, cwd=tmp_path)
    assert job.executor == executor and job.name == "hello.sbatch"
    assert job.stdout == job.stderr == tmp_path / f"hello.sbatch-{job.id}.log"
    st, shown = run_to_end(job)
    assert (st.state, st.exit_code) == ("COMPLETED", 0)
    assert job.stdout.read_text() == "Hello Slurm!\n"
    assert "log| Hello Slurm!" in shown and "COMPLETED" in shown
    said = capsys.readouterr().err
    if executor == "local":
        assert job.id.startswith("local-") and "NOT Slurm" in said and "not Slurm" in str(job)
    else:
        assert job.id.isdigit() and "NOT Slurm" not in said


@pytest.mark.parametrize("executor", EXECUTORS)
def test_logs_of_a_finished_job_whose_log_was_deleted_say_so(executor: str, executor_site: Site,
                                                              tmp_path: Path) -> None:
    job = slurm.submit(slurm.hello_spec(), site=executor_site, cwd=tmp_path)
    run_to_end(job)
    job.stdout.unlink()
    shown = str(slurm.logs(job))
    assert "missing: the job has ended" in shown and "deleted or moved" in shown
    assert "not written yet" not in shown


def test_both_executors_implement_the_one_interface() -> None:
    for cls in (slurm.SlurmExecutor, slurm.LocalExecutor):
        assert issubclass(cls, slurm.Executor) and not cls.__abstractmethods__
        cls()  # instantiable: every method of the interface is there
    assert slurm.executor_of("local-7").name == "local" and slurm.executor_of("7").name == "slurm"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_missing_log_folders_are_made_before_submission(executor: str, executor_site: Site,
                                                         tmp_path: Path) -> None:
    # Without them Slurm accepts the job, then fails it (JobLaunchFailure) and writes no log at all.
    spec = slurm.JobSpec(job_name="nolog", output="new/logs/%x-%j.log", error="errs/%j/%x.err",
                         body=["echo to-out", "echo to-err >&2"])
    job = slurm.submit(spec, site=executor_site, cwd=tmp_path)
    st, _ = run_to_end(job)
    assert st.state == "COMPLETED"
    assert job.stdout == tmp_path / f"new/logs/nolog-{job.id}.log"
    assert job.stderr == tmp_path / f"errs/{job.id}/nolog.err"  # a folder named by the job id: submit held
    assert job.stdout.read_text() == "to-out\n"
    assert job.stderr.read_text() == "to-err\n"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_exit_3_raises_job_failed_with_code_and_both_tails(executor: str, executor_site: Site,
                                                           tmp_path: Path) -> None:
    spec = slurm.JobSpec(job_name="fail3", output="logs/%x-%j.log", error="logs/%x-%j.err",
                         body=["echo start", "echo oops >&2", "exit 3"])
    job = slurm.submit(spec, site=executor_site, cwd=tmp_path)
    with pytest.raises(JobFailed) as err:
        run_to_end(job)
    e = err.value
    assert (e.state, e.job_exit_code, e.reason) == ("FAILED", 3, "NonZeroExitCode")
    text = str(e)
    assert "exit code 3" in text
    assert f"{job.stdout}" in text and "start" in text
    assert f"{job.stderr}" in text and "oops" in text
    assert e.hint


@pytest.mark.parametrize("executor", EXECUTORS)
def test_running_job_is_queued_then_cancelled(executor: str, executor_site: Site, tmp_path: Path,
                                              slurm_helpers: Any) -> None:
    spec = slurm.JobSpec(job_name="sleeper", output="logs/%x-%j.log", body=["echo sleeping", "sleep 300"])
    job = slurm.submit(spec, site=executor_site, cwd=tmp_path)
    slurm_helpers.wait_for_state(job, {"RUNNING"})
    listed = slurm.queue()
    assert job.id in [r.job_id for r in listed]
    assert re.search(rf"^{re.escape(job.id)}\s.*sleeper", str(listed), re.M)
    again = slurm.get_job(job.id)  # what the CLI does with an id
    assert (again.name, again.stdout, again.executor) == ("sleeper", job.stdout, executor)
    assert slurm.status(job.id).state == "RUNNING"
    slurm.cancel(job)
    st, _ = run_to_end(job, raise_on_failure=False)
    assert st.state == "CANCELLED"
    with pytest.raises(JobFailed) as err:
        slurm.wait(job, timeout=10, out=io.StringIO())
    assert err.value.state == "CANCELLED" and "cancel" in err.value.hint
    assert job.id not in [r.job_id for r in slurm.queue()]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_workshop_script_asking_for_a_tesla_gpu_is_accepted(executor: str, executor_site: Site,
                                                           tmp_path: Path) -> None:
    spec = train_spec(executor_site, body=['echo "CUDA=${CUDA_VISIBLE_DEVICES-unset}"'])
    script = slurm.write_script(spec, tmp_path / "train.sbatch")
    assert "#SBATCH --gpus tesla:1" in script.read_text()
    job = slurm.submit(script, site=executor_site, cwd=tmp_path)
    st, _ = run_to_end(job)
    assert st.ok
    assert job.stdout == tmp_path / f"logs/bart-finetune-{job.id}.log"
    assert job.stderr == tmp_path / f"logs/bart-finetune-{job.id}.err"
    if executor == "slurm":  # a count-only GPU of the CI cluster (one of four; others' jobs may hold some)
        assert re.fullmatch(r"CUDA=[0-3]\n", job.stdout.read_text())


@pytest.mark.parametrize("executor", EXECUTORS)
def test_values_with_spaces_survive_the_script(executor: str, executor_site: Site, tmp_path: Path) -> None:
    spec = slurm.JobSpec(job_name="two words", output="my logs/%x-%j.log", body=['echo "$SLURM_JOB_NAME"'])
    job = slurm.submit(spec, site=executor_site, cwd=tmp_path)
    run_to_end(job)
    assert job.name == "two words"
    assert job.stdout == tmp_path / f"my logs/two words-{job.id}.log"
    assert job.stdout.read_text() == "two words\n"


@SLURM_ONLY
def test_impossible_gpu_request_names_the_site_profile_setting(slurm_cluster: None, tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    shutil.copy(SITES_DIR / "default.toml", sites / "default.toml")
    (sites / "bigcluster.toml").write_text('[slurm]\nexecutor = "slurm"\ngpus = "tesla:99"\n')
    site = load_site("bigcluster", sites_dir=sites)
    spec = train_spec(site, body=["echo never"])
    with pytest.raises(SubmissionError) as err:
        slurm.submit(spec, site=site, cwd=tmp_path)
    text = str(err.value)
    assert "Requested node configuration is not available" in text  # sbatch's own words
    assert "slurm.gpus = 'tesla:99'" in text and str(sites / "bigcluster.toml") in text
    assert "gpu:tesla:" in text  # what this cluster offers (sinfo)


@SLURM_ONLY
def test_cli_round_trip(slurm_cluster: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "hello.sbatch"
    assert main(["slurm", "script", "hello", "-o", str(script)]) == 0
    assert main(["slurm", "submit", str(script), "--site", "ci", "--cwd", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    job_id = re.search(r"submitted job (\d+)", out).group(1)  # type: ignore[union-attr]
    assert main(["slurm", "wait", job_id, "--timeout", "60"]) == 0
    assert "Hello Slurm!" in capsys.readouterr().out
    assert main(["slurm", "status", job_id]) == 0
    assert capsys.readouterr().out.strip() == f"{job_id}: COMPLETED, exit code 0"
    assert main(["slurm", "logs", job_id]) == 0
    assert "Hello Slurm!" in capsys.readouterr().out
    assert main(["slurm", "queue"]) == 0
    assert "JOBID" in capsys.readouterr().out
    # A job that fails: the CLI prints JobFailed and returns its exit code.
    bad = tmp_path / "bad.sbatch"
    bad.write_text("#!/bin/bash\nexit 3\n")
    main(["slurm", "submit", str(bad), "--cwd", str(tmp_path)])
    bad_id = re.search(r"submitted job (\d+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    assert main(["slurm", "wait", bad_id, "--timeout", "60", "--no-follow"]) == JobFailed.exit_code
    assert "ended FAILED (exit code 3" in capsys.readouterr().err


def test_cli_prints_the_workshop_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slurm", "script", "train", "--site", "ie-ryukyu"]) == 0
    assert capsys.readouterr().out == (Path(__file__).parent / "golden" / "train.sbatch").read_text()


def test_executor_is_local_without_sbatch_or_when_forced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert isinstance(slurm.executor_for(site_for("local")), slurm.LocalExecutor)
    assert isinstance(slurm.executor_for(site_for("slurm")), slurm.SlurmExecutor)
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch anywhere
    assert slurm.executor_for(site_for("auto")).name == "local"
    assert slurm.executor_name(None) == "local"


@pytest.mark.slow
@pytest.mark.parametrize("executor", EXECUTORS)
def test_time_limit_ends_in_timeout(executor: str, timeout_jobs: dict[str, slurm.Job]) -> None:
    if executor not in timeout_jobs:
        pytest.skip("Slurm cannot exist here")
    job = timeout_jobs[executor]
    with pytest.raises(JobFailed) as err:
        slurm.wait(job, timeout=150, poll=2, out=io.StringIO())
    e = err.value
    assert (e.state, e.reason) == ("TIMEOUT", "TimeLimit")
    assert "started" in e.details and "--time" in e.hint
