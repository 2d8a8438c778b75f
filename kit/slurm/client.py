"""The Slurm executor: the argvs of :mod:`kit.slurm.commands` through :func:`litmarp.proc.run`."""

from __future__ import annotations

import getpass
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import CommandError, CommandNotFound, KitError, SlurmError, SubmissionError
from kit.pathio import make_dirs
from kit.slurm import commands
from kit.slurm.executor import Executor, Job
from kit.slurm.gpus import gpu_hint, partitions
from kit.slurm.parse import (
    JobStatus,
    QueueRow,
    jobcomp_as_sacct,
    parse_jobcomp,
    parse_sacct,
    parse_sbatch_parsable,
    parse_scontrol_job,
    parse_show_config,
    parse_squeue,
    status_from_queue_row,
    status_from_sacct,
    status_from_scontrol,
)
from kit.slurm.spec import expand_pattern, log_patterns, needs_job_id, run_dir
from litmarp import proc

if TYPE_CHECKING:
    from kit.sites import Site

log = logging.getLogger("kit.slurm")

#: Seconds a Slurm command may take: a client whose controller is down retries for a while.
SLURM_TIMEOUT = 120.0
DOWN_HINT = ("is Slurm running? `sinfo` should list a node. On a development machine start the one-node "
             "cluster (make slurm-up), or set slurm.executor = \"local\" in the site profile")


#: Seconds the first ``scontrol ping`` may take. A ping is one try; sbatch, squeue and scontrol retry a
#: controller that does not answer (10 s each on the one-node cluster, about a minute on some) before failing.
PING_TIMEOUT = 5.0
_controller_answered = False  # a ping succeeded in this process: later commands go straight to Slurm


def check_controller(timeout: float = PING_TIMEOUT) -> None:
    """Ask Slurm's controller once (``scontrol ping``) before the process's first Slurm command.

    A controller that is down fails at once, instead of after Slurm's own retries with nothing printed;
    one that does not answer within ``timeout`` seconds gets a line on stderr and the command goes on.
    Without ``scontrol`` nothing is checked (the command that follows says what is missing).
    """
    global _controller_answered
    if _controller_answered:
        return
    try:
        res = proc.run(commands.ping(), check=False, timeout=timeout)
    except CommandNotFound:
        return
    except CommandError as exc:  # no answer within the timeout
        errors = [line.strip() for line in exc.stderr.splitlines() if "error" in line]
        if errors:  # retrying something that failed (an unreadable slurm.conf: a minute of retries)
            raise SlurmError(f"Slurm is not reachable: `scontrol ping` did not answer within {timeout:g} s",
                             details="\n".join(errors[:5]), hint=DOWN_HINT) from None
        print(f"Slurm's controller has not answered `scontrol ping` within {timeout:g} s; waiting for it "
              "(Slurm retries for up to a minute) ...", file=sys.stderr, flush=True)
        return
    # "Slurmctld(primary) at vm is UP"; with a backup controller, one that is UP is enough.
    if res.returncode == 0 or re.search(r"\bUP\b", res.stdout):
        _controller_answered = True
        return
    lines = [line.strip() for line in (res.stdout + "\n" + res.stderr).splitlines() if line.strip("* \n")]
    said = "; ".join(line for line in lines if "Slurmctld" in line) or "; ".join(lines[:3])
    raise SlurmError(f"Slurm is not reachable: `scontrol ping` says: {said}" if said else
                     f"Slurm is not reachable: `scontrol ping` exited with {res.returncode}", hint=DOWN_HINT)


def _run(cmd: list[str], *, check: bool = True, timeout: float = SLURM_TIMEOUT,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    check_controller()
    return proc.run(cmd, check=check, timeout=timeout, cwd=cwd, hint=DOWN_HINT)


def submission_hint(stderr: str, directives: dict[str, str], site: Site | None,
                    found: list | None = None) -> str:  # type: ignore[type-arg]
    """What to do when sbatch refused a script, from its stderr (pure but for ``sinfo`` on a GPU refusal)."""
    gpus = directives.get("--gpus") or directives.get("--gres")
    if gpus is not None and re.search(r"gres|node configuration is not available", stderr, re.I):
        request = gpus.split("gpu:", 1)[-1] if gpus.startswith("gpu:") else gpus
        if found is None:
            try:
                found = partitions()
            except KitError:  # no sinfo, or it failed: the hint names no offer
                found = []
        return gpu_hint(request, found, site)
    if re.search(r"configuration (source|file)|Unable to contact slurm controller|Connection refused", stderr):
        return "Slurm is installed but not reachable: " + DOWN_HINT
    return "read sbatch's message above, fix the #SBATCH line it names and submit again"


class SlurmExecutor(Executor):
    """Jobs through Slurm."""

    name = "slurm"

    def submit(self, script: Path, directives: dict[str, str], *, name: str, workdir: Path,
               site: Site | None) -> Job:
        """``sbatch --parsable`` after making the log folders (held until they exist when named by job id)."""
        rundir = run_dir(directives, workdir)
        output, error = log_patterns(directives)
        hold = any(needs_job_id(p) for p in (output, error))
        if not hold:
            for pattern in {output, error}:
                make_dirs((rundir / expand_pattern(pattern, job_id="0", job_name=name)).parent,
                          "create the job's log folder")
        # A folder named after the job id can only be made once the id is known:
        # submit held, make the folder, then release.
        res = _run(commands.sbatch(script, hold=hold), cwd=workdir, check=False)
        if res.returncode != 0:
            stderr = (res.stderr or res.stdout).strip()
            raise SubmissionError(f"sbatch refused {script}", hint=submission_hint(stderr, directives, site),
                                  details=stderr)
        job_id, _cluster = parse_sbatch_parsable(res.stdout)
        stdout = rundir / expand_pattern(output, job_id=job_id, job_name=name)
        stderr_path = rundir / expand_pattern(error, job_id=job_id, job_name=name)
        if hold:
            try:
                for path in {stdout, stderr_path}:
                    make_dirs(path.parent, "create the job's log folder")
            except Exception:
                _run(commands.scancel(job_id), check=False)
                raise
            _run(commands.release(job_id))
        # Slurm's own view of the paths wins where it knows them (absolute, all patterns).
        fields = parse_scontrol_job(_run(commands.show_job(job_id), check=False).stdout)
        job = Job(id=job_id, name=fields.get("JobName") or name, script=script,
                  stdout=Path(fields["StdOut"]) if fields.get("StdOut") else stdout,
                  stderr=Path(fields["StdErr"]) if fields.get("StdErr") else stderr_path,
                  cwd=rundir, executor="slurm")
        log.info("submitted %s", job)
        return job

    def _show(self, job_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """``scontrol show job``'s fields, else (``{}`` and) the accounting row, once Slurm forgot the job."""
        res = _run(commands.show_job(job_id), check=False)
        fields = parse_scontrol_job(res.stdout) if res.returncode == 0 else {}
        row = self.accounting_row(job_id) if not fields.get("JobState") else {}
        if row is None:
            raise SlurmError(f"Slurm knows no job {job_id}",
                             hint="check the id with `python -m kit slurm queue`; finished jobs are forgotten "
                                  "after MinJobAge", details=res.stderr.strip() or None)
        return fields, row

    def get_job(self, job_id: str) -> Job:
        fields, row = self._show(job_id)
        if row:
            return Job(id=job_id, name=row.get("JobName", ""), script=None, stdout=None, stderr=None,
                       cwd=Path(row.get("WorkDir") or "."), executor="slurm")
        command = fields.get("Command")
        return Job(id=job_id, name=fields.get("JobName", ""),
                   script=Path(command) if command not in (None, "", "None", "(null)") else None,
                   stdout=Path(fields["StdOut"]) if fields.get("StdOut") else None,
                   stderr=Path(fields["StdErr"]) if fields.get("StdErr") else None,
                   cwd=Path(fields.get("WorkDir") or "."), executor="slurm")

    def accounting_row(self, job_id: str) -> dict[str, str] | None:
        """The finished job's record in sacct's column names: ``sacct``, else the ``jobcomp/filetxt`` file
        (``sacct -c`` reads it too, but splits job names that contain spaces and then loses the state)."""
        res = _run(commands.sacct_job(job_id), check=False)
        if res.returncode == 0:
            rows = [r for r in parse_sacct(res.stdout) if r.get("JobID") == job_id]
            return rows[-1] if rows else None
        if "disabled" not in (res.stderr or ""):
            return None
        config = parse_show_config(_run(commands.show_config(), check=False).stdout)
        location = config.get("JobCompLoc", "")
        if config.get("JobCompType") == "jobcomp/filetxt" and os.access(location, os.R_OK):
            with open(location, errors="replace") as fh:
                found = [r for r in parse_jobcomp(fh.read()) if r.get("JobId") == job_id]
            return jobcomp_as_sacct(found[-1]) if found else None
        res = _run(commands.sacct_job(job_id, completion_file=True), check=False)
        rows = [r for r in parse_sacct(res.stdout) if r.get("JobID") == job_id] if res.returncode == 0 else []
        return rows[-1] if rows else None

    def status(self, job: Job) -> JobStatus:
        """``squeue``, then ``scontrol show job``, then accounting (``sacct``/jobcomp)."""
        res = _run(commands.squeue_job(job.id), check=False)
        if res.returncode == 0:
            rows = [r for r in parse_squeue(res.stdout) if r.job_id == job.id]
            if rows and not status_from_queue_row(rows[0]).terminal:
                return status_from_queue_row(rows[0])
        elif "Invalid job id" not in (res.stderr or ""):
            raise SlurmError(f"squeue failed for job {job.id}", details=(res.stderr or res.stdout).strip(),
                             hint=DOWN_HINT)
        # Finished (or unknown to squeue): scontrol has the exit code and reason.
        fields, row = self._show(job.id)
        return status_from_sacct(row) if row else status_from_scontrol(fields)

    def cancel(self, job: Job) -> None:
        _run(commands.scancel(job.id))

    def active(self, *, all_users: bool = False) -> list[QueueRow]:
        """``squeue`` (empty where Slurm is not installed)."""
        if not proc.which("squeue"):
            return []
        return parse_squeue(_run(commands.squeue_user(None if all_users else getpass.getuser())).stdout)
