"""The local executor: the same batch script, run in the background, not through Slurm (ids ``local-N``).

A job is its script run with its ``#!`` interpreter in its own session, watched by a small Python process
(``python -m kit.slurm --run-local ID``) that enforces ``--time`` and writes the final state into a JSON
record, so ``status()`` works from any process.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import SlurmError
from kit.pathio import make_dirs
from kit.slurm.executor import LOCAL_PREFIX, Executor, Job
from kit.slurm.parse import TERMINAL_STATES, JobStatus, QueueRow
from kit.slurm.spec import expand_pattern, log_patterns, parse_time_limit, run_dir
from litmarp.paths import write_atomic

if TYPE_CHECKING:
    from kit.sites import Site

#: Seconds between SIGTERM and SIGKILL when the local executor enforces --time (Slurm's KillWait).
LOCAL_KILL_WAIT = 5.0

_LOCAL_CHILDREN: list[subprocess.Popen[bytes]] = []  # reaped in status() so no zombies pile up


def local_jobs_dir() -> Path:
    """Where the local executor keeps its job records (``$KIT_LOCAL_JOBS`` or ``$XDG_STATE_HOME/kit/local-jobs``)."""
    if os.environ.get("KIT_LOCAL_JOBS"):
        return Path(os.environ["KIT_LOCAL_JOBS"])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "kit" / "local-jobs"


def _record_path(job_id: str) -> Path:
    return local_jobs_dir() / f"{job_id[len(LOCAL_PREFIX):]}.json"


def _load_record(job_id: str) -> dict:
    path = _record_path(job_id)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SlurmError(f"no local job {job_id} (looked for {path})",
                         hint="check the id with `python -m kit slurm queue`") from None


def _save_record(record: dict) -> None:
    write_atomic(_record_path(record["id"]), json.dumps(record, indent=1))


def _local_records() -> Iterable[dict]:
    for path in sorted(local_jobs_dir().glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
        try:
            yield json.loads(path.read_text())
        except (OSError, ValueError):
            continue


def _new_local_id() -> str:
    folder = local_jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    n = max((int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()), default=0) + 1
    while True:
        try:  # O_EXCL: two submitters never get the same id
            os.close(os.open(folder / f"{n}.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return f"{LOCAL_PREFIX}{n}"
        except FileExistsError:
            n += 1


def _local_job(record: dict) -> Job:
    return Job(id=record["id"], name=record["name"], script=Path(record["script"]),
               stdout=Path(record["stdout"]), stderr=Path(record["stderr"]), cwd=Path(record["cwd"]),
               executor="local")


def _save_record_field(job_id: str, **values: object) -> None:
    # Re-read so a field the wrapper wrote meanwhile is not lost.
    record = _load_record(job_id)
    record.update(values)
    _save_record(record)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _local_status(job: Job, record: dict | None = None) -> JobStatus:
    for child in _LOCAL_CHILDREN[:]:
        if child.poll() is not None:
            _LOCAL_CHILDREN.remove(child)
    record = record if record is not None else _load_record(job.id)
    state = record.get("state", "PENDING")
    # The watcher records its own pid first thing; until then it counts as starting.
    starting = not record.get("wrapper_pid") and time.time() - record.get("submitted", 0) < 30
    if state not in TERMINAL_STATES and not starting and not _alive(record.get("wrapper_pid")):
        # Re-read: the wrapper may have finished between the two looks.
        record = _load_record(job.id)
        state = record.get("state", "PENDING")
        if state not in TERMINAL_STATES:
            return JobStatus(job.id, "FAILED", reason="the local executor's watcher died", source="local")
    return JobStatus(job.id, state, reason=record.get("reason"), exit_code=record.get("exit_code"),
                     signal=record.get("signal"), nodes="localhost", source="local")


def watcher_command(job_id: str, python: str | None = None) -> list[str]:
    """The process that watches one local job: ``python -m kit.slurm --run-local ID`` (pure)."""
    return [python or sys.executable, "-m", "kit.slurm", "--run-local", job_id]


def interpreter_command(first_line: str, script: str | os.PathLike[str]) -> list[str]:
    """The command that runs ``script``: its ``#!`` line, as Slurm does, else bash (pure)."""
    first = first_line.strip()
    words = shlex.split(first[2:]) if first.startswith("#!") else []
    return [*(words or ["bash"]), os.fspath(script)]


def run_local(job_id: str) -> int:
    """The watcher behind one local job (run as ``python -m kit.slurm --run-local ID``)."""
    _save_record_field(job_id, wrapper_pid=os.getpid())
    record = _load_record(job_id)
    cancel_flag = _record_path(job_id).with_suffix(".cancel")
    if cancel_flag.exists():
        _save_record_field(job_id, state="CANCELLED", exit_code=0, ended=time.time())
        return 0
    stdout, stderr = Path(record["stdout"]), Path(record["stderr"])
    env = {**os.environ, "SLURM_JOB_ID": job_id, "SLURM_JOBID": job_id, "SLURM_JOB_NAME": record["name"],
           "SLURM_SUBMIT_DIR": record["cwd"], "SLURM_JOB_NUM_NODES": "1", "KIT_LOCAL_EXECUTOR": "1"}
    with stdout.open("wb") as out, (nullcontext(out) if stderr == stdout else stderr.open("wb")) as errors:
        with open(record["script"], errors="replace") as script:
            argv = interpreter_command(script.readline(), record["script"])
        child = subprocess.Popen(argv, cwd=record["cwd"], env=env,
                                 stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=errors, start_new_session=True)
        _save_record_field(job_id, state="RUNNING", pgid=child.pid, started=time.time())
        if cancel_flag.exists():  # cancelled between the first check and the start
            os.killpg(child.pid, signal.SIGTERM)
        timed_out = False
        try:
            rc = child.wait(timeout=record.get("time_limit_s"))
        except subprocess.TimeoutExpired:
            timed_out = True
            note = f"kit local executor: *** JOB {job_id} CANCELLED DUE TO TIME LIMIT ({record['time']}) ***\n"
            errors.write(note.encode())
            errors.flush()
            os.killpg(child.pid, signal.SIGTERM)
            try:
                rc = child.wait(timeout=LOCAL_KILL_WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                rc = child.wait()
    with suppress(ProcessLookupError, PermissionError):  # leftovers of the job's process group go with it
        os.killpg(child.pid, signal.SIGKILL)
    exit_code, sig = (0, -rc) if rc < 0 else (rc, 0)
    if cancel_flag.exists():
        state, reason = "CANCELLED", None
    elif timed_out:
        state, reason = "TIMEOUT", "TimeLimit"
    elif rc == 0:
        state, reason = "COMPLETED", None
    else:
        state, reason = "FAILED", "NonZeroExitCode" if rc > 0 else "Signal"
    _save_record_field(job_id, state=state, reason=reason, exit_code=exit_code, signal=sig, ended=time.time())
    return 0


class LocalExecutor(Executor):
    """Not Slurm: the script runs with its ``#!`` interpreter in the background (ids ``local-N``)."""

    name = "local"

    def submit(self, script: Path, directives: dict[str, str], *, name: str, workdir: Path,
               site: Site | None) -> Job:
        """Start the watcher for ``script``; ``%x``/``%j`` expanded, ``--time`` enforced."""
        rundir = run_dir(directives, workdir)
        job_id = _new_local_id()
        output, error = log_patterns(directives)
        stdout = rundir / expand_pattern(output, job_id=job_id, job_name=name)
        stderr = rundir / expand_pattern(error, job_id=job_id, job_name=name)
        for path in {stdout, stderr}:
            make_dirs(path.parent, "create the job's log folder")
        limit = parse_time_limit(directives.get("--time", ""))
        record = {
            "id": job_id, "name": name, "script": str(script), "stdout": str(stdout), "stderr": str(stderr),
            "cwd": str(rundir), "time": directives.get("--time", ""), "time_limit_s": limit,
            "user": getpass.getuser(), "state": "PENDING", "submitted": time.time(),
        }
        _save_record(record)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")) if p)}
        wrapper_log = _record_path(job_id).with_suffix(".wrapper.log")
        with wrapper_log.open("wb") as fh:
            child = subprocess.Popen(watcher_command(job_id),
                                     stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env, start_new_session=True)
        _LOCAL_CHILDREN.append(child)
        ignored = [o for o in ("--gpus", "--gres", "--mem", "--nodes", "--partition") if o in directives]
        print(f"kit.slurm: NOT Slurm: running {job_id} ({name}) with bash in the background "
              f"(local executor{'; ignoring ' + ', '.join(ignored) if ignored else ''})", file=sys.stderr)
        return _local_job(record)

    def status(self, job: Job) -> JobStatus:
        return _local_status(job)

    def cancel(self, job: Job) -> None:
        record = _load_record(job.id)
        if record.get("state") in TERMINAL_STATES:
            return
        _record_path(job.id).with_suffix(".cancel").touch()
        if record.get("pgid"):
            with suppress(ProcessLookupError):
                os.killpg(record["pgid"], signal.SIGTERM)

    def get_job(self, job_id: str) -> Job:
        return _local_job(_load_record(job_id))

    def active(self, *, all_users: bool = False) -> list[QueueRow]:
        """Local jobs not finished yet (this machine's, whoever submitted them)."""
        rows = []
        for record in _local_records():
            job = _local_job(record)
            st = _local_status(job, record)
            if not st.terminal:
                rows.append(QueueRow(job.id, "local", record.get("user", ""), st.state, "", record.get("time", ""),
                                     "1", "localhost" if st.state == "RUNNING" else None,
                                     None if st.state == "RUNNING" else "NotSlurm", job.name))
        return rows

