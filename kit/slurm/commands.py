"""Every Slurm command the kit runs, as a pure function returning its argv (golden-tested)."""

from __future__ import annotations

import os

#: ``squeue -o`` format used everywhere; the name goes last because it may contain the separator.
QUEUE_FORMAT = "%i|%P|%u|%T|%M|%l|%D|%R|%j"
#: Columns asked from ``sacct -P`` (also valid with ``sacct -c``, which reads the jobcomp file).
SACCT_FIELDS = "JobID,JobName,State,ExitCode,Start,End,NodeList,WorkDir"


def sbatch(script: str | os.PathLike[str], *, hold: bool = False) -> list[str]:
    """``--hold``: released once the log folder exists."""
    return ["sbatch", "--parsable", *(["--hold"] if hold else []), os.fspath(script)]


def release(job_id: str) -> list[str]:
    return ["scontrol", "release", job_id]


def show_job(job_id: str) -> list[str]:
    return ["scontrol", "show", "job", "-o", job_id]


def ping() -> list[str]:
    """Whether the controller answers (one try, no retries)."""
    return ["scontrol", "ping"]


def show_config() -> list[str]:
    return ["scontrol", "show", "config"]


def squeue_job(job_id: str) -> list[str]:
    """One job in any state."""
    return ["squeue", "-h", "-t", "all", "-j", job_id, "-o", QUEUE_FORMAT]


def squeue_user(user: str | None) -> list[str]:
    """Pending and running jobs: one user's, or everyone's with ``user=None``."""
    return ["squeue", "-h", "-o", QUEUE_FORMAT, *(["-u", user] if user else [])]


def sacct_job(job_id: str, *, completion_file: bool = False) -> list[str]:
    """``completion_file``: ``sacct -c`` (reads the jobcomp file)."""
    return ["sacct", "-c" if completion_file else "-X", "-P", "-j", job_id, "-o", SACCT_FIELDS]


def scancel(job_id: str) -> list[str]:
    return ["scancel", job_id]


def sinfo_gres() -> list[str]:
    """Partitions (``*`` marks the default) and their gres."""
    return ["sinfo", "-o", "%P %G"]
