"""The executor interface Slurm and the local stand-in both implement (as submitit's executors do)."""

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
    """A submitted job: ``id`` is Slurm's, or ``local-N``; ``stdout``/``stderr`` are the expanded log paths."""

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

    name: ClassVar[str]  # Job.executor

    @abstractmethod
    def submit(self, script: Path, directives: dict[str, str], *, name: str, workdir: Path,
               site: Site | None) -> Job:
        """Start ``script`` (its ``#SBATCH`` options already read into ``directives``) from ``workdir``."""

    @abstractmethod
    def status(self, job: Job) -> JobStatus: ...

    @abstractmethod
    def cancel(self, job: Job) -> None:
        """Stop the job (nothing happens to a finished one)."""

    @abstractmethod
    def get_job(self, job_id: str) -> Job: ...

    @abstractmethod
    def active(self, *, all_users: bool = False) -> list[QueueRow]:
        """Pending and running jobs (the current user's unless ``all_users``)."""
