"""The lessons' terminal: command cells (:mod:`litmarp.shell`) set up for a site.

The cells run in the site's work folder, with this environment's Python first on PATH (a job submitted from
there inherits it: on a site without a container, the job's ``python3`` must be the one that has transformers).
``sbatch``'s ``Submitted batch job N`` sets ``JOB=N``. A command that cannot run on the site is shown as not run.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from pathlib import Path

from kit.container.commands import program
from kit.container.diagnose import explain_failure
from kit.container.runtime import detect_runtime
from kit.job import python_first_path
from kit.sites import Site, load_site
from kit.slurm import commands, executor_name, parse_show_config
from kit.versions import sif_name
from litmarp import shell
from litmarp.proc import run, which

NOT_RUN_LABEL = "このサイトでは実行していません"
CAPTURES = {"JOB": r"^Submitted batch job (\d+)$"}
CONTAINER = ("singularity", "apptainer")
SLURM = ("sbatch", "squeue", "scancel", "sacct", "sinfo", "scontrol", "srun")


def open_terminal(site: str | Site) -> Site:
    """Set up the lesson's command cells for ``site``; return its profile (the lesson's ``cfg``).

    The kernel moves to the work folder too: a Python cell's relative path means what it means in the
    terminal (``runs/job-41``).
    """
    cfg = load_site(site) if isinstance(site, str) else site
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(cfg.work_dir)
    # `squeue -u $USER` needs USER, which a CI runner or a container may not set.
    user = os.environ.get("USER") or getpass.getuser()
    shell.configure(cwd=cfg.work_dir, env={"PATH": python_first_path(), "USER": user},
                    check=functools.partial(why_not_here, cfg), explain=explain, captures=CAPTURES,
                    not_run_label=NOT_RUN_LABEL)
    return cfg


def why_not_here(cfg: Site, words: list[str]) -> str | None:
    """Why a command cannot run on this site (Japanese, for the slide), or None to run it.

    A site that declares a runtime or Slurm that is missing is an error (ContainerError, SlurmError).
    """
    if not words:
        return None
    if any(re.search(r"\$\{?JOB\b", word) for word in words) and not shell_value("JOB"):
        return "ジョブを投入していない（$JOB が空: 前の sbatch を実行していない）"
    name = Path(words[0]).name
    if name in CONTAINER:
        if program(cfg) is None:
            return f"コンテナランタイムなし（サイト {cfg.name} はホストの Python で動かす）"
        detect_runtime(cfg)  # a declared runtime that is missing: the kit's error, with its hint
        return _already_there(words[1:])
    if name == "nvidia-smi" and which(name) is None:
        return "GPU なし"
    if name in SLURM:
        if executor_name(cfg) != "slurm":
            return "Slurm なし"
        if name == "sacct" and not _keeps_accounting():
            return "このクラスタはジョブの記録（accounting）を取っていない"
    return None


def explain(words: list[str], output: str) -> str | None:
    """What a failed container command's output means, and what to do (``--fakeroot`` without an
    /etc/subuid entry, blocked user namespaces, a full disk), or None."""
    prog = Path(words[0]).name if words else ""
    if prog not in CONTAINER:
        return None
    found = explain_failure(output, prog=prog)
    return f"{found.message}; {found.hint}" if found else None


def _already_there(args: list[str]) -> str | None:
    """A pull or build whose result exists: the runtimes refuse to overwrite it (the participant's work)."""
    positional = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] == ["pull"] and positional:
        target = positional[0] if len(positional) == 2 else sif_name(positional[-1])
        if Path(target).exists():
            return f"{target} は pull 済み（もう一度なら --force）"
    if args[:1] == ["build"] and len(positional) == 2:
        sif, definition = (Path(p) for p in positional)
        if sif.exists() and (not definition.exists() or sif.stat().st_mtime >= definition.stat().st_mtime):
            return f"{sif} は {definition} からビルド済み（もう一度なら --force）"
    return None


@functools.cache
def _keeps_accounting() -> bool:
    """Whether this Slurm keeps job accounting (``sacct`` says "accounting storage is disabled" otherwise)."""
    config = parse_show_config(run(commands.show_config(), timeout=30).stdout)
    return config.get("AccountingStorageType", "accounting_storage/none") != "accounting_storage/none"


def shell_value(name: str) -> str:
    """A variable of the lesson's terminal (``JOB``), "" when unset."""
    return shell.session().value(name)


def assign(name: str, value: str) -> None:
    """Set a variable of the lesson's terminal from Python (say on the slide what it holds)."""
    shell.session().assign(name, value)
