"""Jobs from Python: submit a script, watch it, read its logs, whichever executor runs it."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, TextIO  # noqa: UP035 (Python 3.8, see Queue)

from kit.errors import ConfigError, JobFailed, KitError, SlurmError, WaitTimeout, tail
from kit.pathio import make_dirs, user_path
from kit.slurm.client import SlurmExecutor
from kit.slurm.executor import LOCAL_PREFIX, Executor, Job
from kit.slurm.local import LocalExecutor
from kit.slurm.parse import JobStatus, QueueRow
from kit.slurm.spec import JobSpec, parse_directives, write_script
from kit.textutil import work_path
from litmarp import proc
from litmarp.paths import shown_path

if TYPE_CHECKING:
    from kit.sites import Site


def executor_name(site: Site | None = None) -> str:
    """``"slurm"`` or ``"local"``: the site's ``slurm.executor``, where ``auto`` means Slurm if sbatch exists.

    A site that declares ``slurm`` gets Slurm or an error, never the local stand-in: on a cluster, a
    missing ``sbatch`` (a kernel started without the cluster's modules) must not mean training on the
    login node.
    """
    choice = site.slurm.executor if site is not None else "auto"
    if choice == "auto":
        return "slurm" if proc.which("sbatch") else "local"
    if choice == "slurm" and site is not None and not proc.which("sbatch"):
        raise SlurmError(
            f"site {site.name!r} declares slurm.executor = \"slurm\" ({shown_path(site.files[-1])}), "
            "but sbatch is not on PATH",
            hint="run this on the cluster's login node, where sbatch is (load its module first, e.g. "
                 "`module load slurm`, and start Jupyter from that shell); on a laptop use the site 'local' "
                 "(KIT_SITE=local), which runs jobs with bash when there is no Slurm")
    return choice


def executor_for(site: Site | None = None) -> Executor:
    """The executor a site profile asks for (see :func:`executor_name`)."""
    return LocalExecutor() if executor_name(site) == "local" else SlurmExecutor()


def executor_of(job: Job | str) -> Executor:
    """The executor that owns a job (``local-N`` ids belong to the local executor)."""
    local = job.executor == "local" if isinstance(job, Job) else job.startswith(LOCAL_PREFIX)
    return LocalExecutor() if local else SlurmExecutor()


def submit(spec_or_path: JobSpec | str | os.PathLike[str], *, site: Site | None = None,
           cwd: str | os.PathLike[str] | None = None) -> Job:
    """Submit a job spec (written to ``cwd/.kit-jobs/<n>/``) or script (relative to ``cwd``) from ``cwd``.

    The log folders are made first: Slurm accepts a job whose log folder is missing and then fails it
    (``JobLaunchFailure``) without writing a log anywhere. ``site`` picks the executor.
    """
    workdir = Path(cwd).resolve() if cwd is not None else Path.cwd()
    if isinstance(spec_or_path, JobSpec):
        folder = make_dirs(workdir / ".kit-jobs", "write the job script")
        with user_path(folder, "write the job script"):
            script = write_script(spec_or_path, Path(tempfile.mkdtemp(dir=folder)) / spec_or_path.script_name)
    else:
        script = workdir / spec_or_path  # an absolute path stays as it is
        if not script.is_file():
            raise ConfigError(f"job script {script} does not exist",
                              hint="check the path, or write one with kit.slurm.write_script()")
    with user_path(script, "read the job script"):
        text = script.read_text(errors="replace")
    directives = parse_directives(text)
    name = directives.get("--job-name") or script.name
    return executor_for(site).submit(script, directives, name=name, workdir=workdir, site=site)


def get_job(job_id: str | int) -> Job:
    """Rebuild a :class:`Job` from its id (``scontrol show job``, or the local executor's record)."""
    job_id = str(job_id)
    return executor_of(job_id).get_job(job_id)


def _as_job(job: Job | str | int) -> Job:
    return job if isinstance(job, Job) else get_job(job)


def status(job: Job | str | int) -> JobStatus:
    job = _as_job(job)
    return executor_of(job).status(job)


def cancel(job: Job | str | int) -> None:
    job = _as_job(job)
    executor_of(job).cancel(job)


@dataclass(frozen=True)
class JobLogs:
    """A job's log files and their last lines."""

    stdout: Path | None
    stderr: Path | None
    stdout_tail: str
    stderr_tail: str
    finished: bool = False  # the job has ended: a missing log will not appear any more
    cwd: Path | None = None  # the job's work folder: paths are shown relative to it

    def __str__(self) -> str:
        parts = []
        same = self.stdout == self.stderr
        for label, path, text in (("output", self.stdout, self.stdout_tail),
                                  ("error", self.stderr, self.stderr_tail)):
            if label == "error" and same:
                continue
            parts.append(f"--- {label}: {work_path(path, self.cwd) if path is not None else None} ---")
            parts.append(text or _missing_note(path, self.finished))
        return "\n".join(parts)


def _read_tail(path: Path | None, lines: int) -> str:
    if path is None or not path.is_file():
        return ""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))  # a tail never needs more than the last 64 KiB
        text = fh.read().decode(errors="replace")
    rows = [_last_segment(r) for r in text.splitlines()]
    return tail("\n".join(rows), lines) if rows else ""


def _last_segment(line: str) -> str:
    # Progress bars redraw with \r: keep what the terminal would finally show.
    parts = [p for p in line.split("\r") if p.strip()]
    return parts[-1] if parts else ""


def _missing_note(path: Path | None, finished: bool) -> str:
    if path is not None and path.exists():
        return "(empty)"
    if path is None:
        return "(no log file: Slurm no longer knows where it was written)"
    if finished:
        return "(missing: the job has ended, but this file is not there: deleted or moved?)"
    return "(not written yet)"


def logs(job: Job | str | int, lines: int = 20) -> JobLogs:
    """The job's log paths and their last ``lines`` lines (a missing one: not written yet, or deleted)."""
    job = _as_job(job)
    finished = False
    if any(p is None or not p.exists() for p in (job.stdout, job.stderr)):
        with suppress(KitError):  # Slurm unreachable: the note says "not written yet"
            finished = status(job).terminal
    return JobLogs(job.stdout, job.stderr, _read_tail(job.stdout, lines),
                   _read_tail(job.stderr, lines) if job.stderr != job.stdout else "", finished, job.cwd)



class Queue(List[QueueRow]):  # noqa: UP006 - a base is evaluated at import: kit doctor imports this on Python 3.8
    """Rows of :func:`queue`; prints as a table.

    The USER column only for everyone's jobs (``all_users``): one's own jobs need no user name, and
    a deck shown to a room should not carry the presenter's login.
    """

    def __init__(self, rows: Iterable[QueueRow] = (), *, all_users: bool = False) -> None:
        super().__init__(rows)
        self.all_users = all_users

    def __str__(self) -> str:
        head: tuple[str, ...] = ("JOBID", "PARTITION", "NAME", "USER", "STATE", "TIME", "LIMIT", "NODES",
                                 "NODELIST(REASON)")
        rows: list[tuple[str, ...]] = [(r.job_id, r.partition, r.name, r.user, r.state, r.time, r.time_limit, r.nodes,
                 r.nodelist or (f"({r.reason})" if r.reason else "")) for r in self]
        if not self.all_users:
            head, rows = head[:3] + head[4:], [row[:3] + row[4:] for row in rows]
        widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
        return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: B905 (3.8: kit doctor)
                         for row in [head, *rows])


def queue(*, all_users: bool = False) -> Queue:
    """Pending and running jobs (the current user's unless ``all_users``), Slurm's and local ones."""
    rows: list[QueueRow] = []
    for executor in (SlurmExecutor(), LocalExecutor()):
        rows.extend(executor.active(all_users=all_users))
    return Queue(rows, all_users=all_users)


LOGS_GRACE = 30.0  # seconds a started job's logs may take to show on this host


class _Follower:
    """Prints lines appended to the job's logs since the last look."""

    def __init__(self, job: Job, out: TextIO, max_lines: int = 200) -> None:
        self.out = out
        self.max_lines = max_lines
        self.files: list[tuple[str, Path]] = []
        if job.stdout is not None:
            self.files.append(("out" if job.stderr not in (None, job.stdout) else "log", job.stdout))
        if job.stderr is not None and job.stderr != job.stdout:
            self.files.append(("err", job.stderr))
        self.offsets = {path: 0 for _, path in self.files}

    def poll(self, final: bool = False) -> None:
        for label, path in self.files:
            try:
                with path.open("rb") as fh:
                    fh.seek(self.offsets[path])
                    data = fh.read()
            except OSError:
                continue
            if not final:
                data = data[: data.rfind(b"\n") + 1]  # whole lines only; the rest comes next time
            self.offsets[path] += len(data)
            rows = [_last_segment(r) for r in data.decode(errors="replace").splitlines()]
            if len(rows) > self.max_lines:
                print(f"  {label}| ... ({len(rows) - self.max_lines} lines skipped)", file=self.out)
                rows = rows[-self.max_lines:]
            for row in rows:
                print(f"  {label}| {row}", file=self.out)
        self.out.flush()


def wait(job: Job | str | int, timeout: float = 3600, follow: bool = True, poll: float = 5.0,
         out: TextIO | None = None, raise_on_failure: bool = True, start_timeout: float | None = None) -> JobStatus:
    """Wait for a job to end, showing state changes and (``follow``) new log lines; poll backs off from 0.2 s.

    ``out`` defaults to ``sys.stdout`` at call time, so notebooks show it. An end other than ``COMPLETED``
    raises :class:`JobFailed` unless not ``raise_on_failure``. ``start_timeout``: ``timeout`` counts from the
    job's start (past PENDING, with its logs there), and the start is waited for up to ``start_timeout``
    seconds (the state line, ``PENDING (Resources)``, says why it waits).
    """
    job = _as_job(job)
    out = out if out is not None else sys.stdout
    follower = _Follower(job, out) if follow else None
    start = time.monotonic()
    clock = None if start_timeout is not None else start  # when the timeout starts counting
    left_queue: float | None = None  # when the job was first seen past PENDING
    delay = min(0.2, poll)
    last = ""
    while True:
        st = status(job)
        shown = str(st)
        if shown != last:
            print(f"[{time.monotonic() - start:6.1f}s] job {job.id} ({job.name}): {shown}", file=out, flush=True)
            last = shown
        if follower:
            follower.poll(final=st.terminal)
        if st.terminal:
            break
        now = time.monotonic()
        if clock is None and st.state != "PENDING":
            left_queue = left_queue or now
            # Slurm makes the logs as the job starts; logs on a node's own disk never show here: then go on.
            if all(p.exists() for p in (job.stdout, job.stderr) if p) or now - left_queue > LOGS_GRACE:
                clock = now
        left = timeout - (now - clock) if clock is not None else (start_timeout or 0) - (now - start)
        if left <= 0:
            limit = timeout if clock is not None else start_timeout
            raise WaitTimeout(
                f"{job} is still {st.state} after {limit:g} s",
                hint=f"wait again (kit.slurm.wait), or cancel it (python -m kit slurm cancel {job.id})",
                details=str(logs(job, 10)),
            )
        time.sleep(min(delay, left))
        delay = min(delay * 1.5, poll)
    if not st.ok and raise_on_failure:
        raise job_failed(job, st)
    return st


_FAIL_HINTS = {
    "FAILED": "the script exited with an error: read the log tail above, fix the cause and submit again",
    "TIMEOUT": "the job hit its --time limit: raise slurm.time in the site profile (or #SBATCH --time), "
               "or make the job shorter",
    "OUT_OF_MEMORY": "the job ran out of memory: ask for more with --mem (slurm.mem in the site profile)",
    "CANCELLED": "the job was cancelled (scancel, or an administrator); submit it again if that was a mistake",
    "NODE_FAIL": "the node failed under the job: submit it again; tell the administrators if it repeats",
    "PREEMPTED": "a higher-priority job took the resources: submit it again",
    "BOOT_FAIL": "the node could not boot: submit it again; tell the administrators if it repeats",
    "DEADLINE": "the job missed its --deadline",
}


def job_failed(job: Job, st: JobStatus) -> JobFailed:
    """The :class:`JobFailed` error for a job that ended in ``st``, with both logs' tails."""
    lines = []
    for label, path in (("output", job.stdout), ("error", job.stderr)):
        if path is None or (label == "error" and path == job.stdout):
            continue
        lines.append(f"--- last lines of {label} {path} ---")
        lines.append(_read_tail(path, 20) if path.is_file() else "(no such file: the job wrote nothing there)")
    if st.reason == "JobLaunchFailure":
        hint = ("Slurm could not start the job, usually because the folder of --output/--error does not exist "
                "on the node: create it (kit.slurm.submit does this for you) and submit again")
    else:
        hint = _FAIL_HINTS.get(st.state, "read the log tail above")
    code = f"exit code {st.exit_code}" if st.exit_code is not None else "no exit code"
    reason = f", reason {st.reason}" if st.reason else ""
    return JobFailed(f"{job} ended {st.state} ({code}{reason})", state=st.state, exit_code=st.exit_code,
                     reason=st.reason, hint=hint, details="\n".join(lines))
