"""Every Slurm command the kit runs, as a pure function returning its argv (golden-tested).

The I/O code (:mod:`kit.slurm.client`, :mod:`kit.slurm.gpus`) only passes these lists
to :func:`litmarp.proc.run`; nothing writes a Slurm argv inline.
"""

from __future__ import annotations

import os

#: ``squeue -o`` format used everywhere; the name goes last because it may contain the separator.
QUEUE_FORMAT = "%i|%P|%u|%T|%M|%l|%D|%R|%j"
#: Columns asked from ``sacct -P`` (also valid with ``sacct -c``, which reads the jobcomp file).
SACCT_FIELDS = "JobID,JobName,State,ExitCode,Start,End,NodeList,WorkDir"
#: ``sinfo -o`` format for the partitions and their generic resources.
SINFO_GRES_FORMAT = "%P %G"


def sbatch(script: str | os.PathLike[str], *, hold: bool = False) -> list[str]:
    """``sbatch --parsable [--hold] SCRIPT`` (``--hold``: released once the log folder exists)."""
    return ["sbatch", "--parsable", *(["--hold"] if hold else []), os.fspath(script)]


def release(job_id: str) -> list[str]:
    """``scontrol release JOBID``."""
    return ["scontrol", "release", job_id]


def show_job(job_id: str) -> list[str]:
    """``scontrol show job -o JOBID``: one line of ``Key=value`` fields."""
    return ["scontrol", "show", "job", "-o", job_id]


def ping() -> list[str]:
    """``scontrol ping``: whether the controller answers (one try, no retries)."""
    return ["scontrol", "ping"]


def show_config() -> list[str]:
    """``scontrol show config``."""
    return ["scontrol", "show", "config"]


def squeue_job(job_id: str) -> list[str]:
    """``squeue`` for one job in any state, in :data:`QUEUE_FORMAT` without a header."""
    return ["squeue", "-h", "-t", "all", "-j", job_id, "-o", QUEUE_FORMAT]


def squeue_user(user: str | None) -> list[str]:
    """``squeue`` of pending and running jobs: one user's, or everyone's with ``user=None``."""
    return ["squeue", "-h", "-o", QUEUE_FORMAT, *(["-u", user] if user else [])]


def sacct_job(job_id: str, *, completion_file: bool = False) -> list[str]:
    """``sacct -X -P -j JOBID -o FIELDS``; ``completion_file``: ``sacct -c`` (reads the jobcomp file)."""
    if completion_file:
        return ["sacct", "-c", "-P", "-j", job_id, "-o", SACCT_FIELDS]
    return ["sacct", "-X", "-P", "-j", job_id, "-o", SACCT_FIELDS]


def scancel(job_id: str) -> list[str]:
    """``scancel JOBID``."""
    return ["scancel", job_id]


def sinfo_gres() -> list[str]:
    """``sinfo -o '%P %G'``: partitions (``*`` marks the default) and their gres."""
    return ["sinfo", "-o", SINFO_GRES_FORMAT]
