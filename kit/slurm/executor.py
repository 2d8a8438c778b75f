"""The executor interface: Slurm and the local stand-in do the same five things.

As submitit's executors do, both implement one interface (:class:`Executor`):
``submit`` a script, ``status``/``cancel``/``get_job`` a job, list the ``active`` jobs.
:func:`executor_for` picks one for a site profile (``slurm.executor``: ``auto`` means
Slurm if sbatch exists); :func:`executor_of` finds the one that owns a job id.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from kit.textutil import work_path
from litmarp import proc

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

    def tail_command(self) -> list[str]:
        """``tail -f logs/NAME-ID.log``: follow the job's output in a terminal, from its folder (pure)."""
        return ["tail", "-f", work_path(self.stdout, self.cwd) if self.stdout is not None else f"slurm-{self.id}.out"]

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


def site_of(site: Site | str | None) -> Site | None:
    """A site profile from a site or its name (None stays None)."""
    if isinstance(site, str):
        from kit.sites import load_site

        return load_site(site)
    return site


def executor_name(site: Site | str | None = None) -> str:
    """``"slurm"`` or ``"local"``: the site's ``slurm.executor``, where ``auto`` means Slurm if sbatch exists.

    A site that declares ``slurm`` gets Slurm or an error, never the local stand-in: on a cluster, a
    missing ``sbatch`` (a kernel started without the cluster's modules) must not mean training on the
    login node.

    Raises:
        SlurmError: the site declares ``executor = "slurm"`` and ``sbatch`` is not on PATH.
    """
    site = site_of(site)
    choice = site.slurm.executor if site is not None else "auto"
    if choice == "auto":
        return "slurm" if proc.which("sbatch") else "local"
    if choice == "slurm" and site is not None and not proc.which("sbatch"):
        from kit.errors import SlurmError
        from litmarp.paths import shown_path

        raise SlurmError(
            f"site {site.name!r} declares slurm.executor = \"slurm\" ({shown_path(site.files[-1])}), "
            "but sbatch is not on PATH",
            hint="run this on the cluster's login node, where sbatch is (load its module first, e.g. "
                 "`module load slurm`, and start Jupyter from that shell); on a laptop use the site 'local' "
                 "(KIT_SITE=local), which runs jobs with bash when there is no Slurm")
    return choice


def executor_named(name: str) -> Executor:
    """The executor called ``name`` (``slurm`` or ``local``)."""
    if name == "local":
        from kit.slurm.local import LocalExecutor

        return LocalExecutor()
    from kit.slurm.client import SlurmExecutor

    return SlurmExecutor()


def executor_for(site: Site | str | None = None) -> Executor:
    """The executor a site profile asks for (see :func:`executor_name`)."""
    return executor_named(executor_name(site))


def executor_of(job: Job | str) -> Executor:
    """The executor that owns a job (``local-N`` ids belong to the local executor)."""
    if isinstance(job, Job):
        return executor_named(job.executor)
    return executor_named("local" if job.startswith(LOCAL_PREFIX) else "slurm")
