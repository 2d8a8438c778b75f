"""The executor interface: Slurm and the local stand-in do the same five things.

As submitit's executors do, both implement one interface (:class:`Executor`):
``submit`` a script, ``status``/``cancel``/``get_job`` a job, list the ``active`` jobs.
:mod:`kit.slurm.jobs` picks one (:func:`kit.slurm.jobs.executor_for`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from kit.textutil import work_path

if TYPE_CHECKING:
    from kit.sites import Site
    from kit.slurm.parse import JobStatus, QueueRow

LOCAL_PREFIX = "local-"


@dataclass(frozen=True)
class Job:
    """A submitted job.

    Attributes:
        id: Slurm's job id, or ``local-N`` for the local executor.
        name: The job name (``%x``).
        script: The batch script submitted.
        stdout: The ``--output`` file (patterns expanded, absolute).
        stderr: The ``--error`` file (same as ``stdout`` when not set).
        cwd: The folder the job runs in.
        executor: ``"slurm"`` or ``"local"``.
    """

    id: str
    name: str
    script: Path | None
    stdout: Path | None
    stderr: Path | None
    cwd: Path
    executor: str

    def __str__(self) -> str:
        via = "Slurm" if self.executor == "slurm" else "the local executor (not Slurm)"
        return f"job {self.id} ({self.name}) via {via}"

    def describe(self) -> str:
        """What ``kit slurm submit`` prints: the job, its script and its logs."""
        shown = [work_path(p, self.cwd) if p is not None else "-" for p in (self.script, self.stdout, self.stderr)]
        return f"submitted {self}\n  script: {shown[0]}\n  output: {shown[1]}\n  error:  {shown[2]}"


class Executor(ABC):
    """Runs batch scripts: through Slurm, or with bash in the background (the local executor)."""

    #: ``"slurm"`` or ``"local"`` (``Job.executor``).
    name: ClassVar[str]

    @abstractmethod
    def submit(self, script: Path, directives: dict[str, str], *, name: str, workdir: Path,
               site: Site | None) -> Job:
        """Start ``script`` (its ``#SBATCH`` options already read into ``directives``) from ``workdir``."""

    @abstractmethod
    def status(self, job: Job) -> JobStatus:
        """Where the job stands."""

    @abstractmethod
    def cancel(self, job: Job) -> None:
        """Stop the job (nothing happens to a finished one)."""

    @abstractmethod
    def get_job(self, job_id: str) -> Job:
        """Rebuild a :class:`Job` from its id."""

    @abstractmethod
    def active(self, *, all_users: bool = False) -> list[QueueRow]:
        """Pending and running jobs (the current user's unless ``all_users``)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
