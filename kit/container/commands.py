"""Every container command the kit runs or shows, built by a pure function (golden-tested).

``exec_command`` is the one builder of the ``singularity exec`` line: :func:`kit.container.exec` runs it,
and a job script's body (``train.sbatch``) is written with it. Pull and build run in the site's work
directory, as the participant types them there (:func:`in_work_dir`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kit import versions
from kit.textutil import shell_line

if TYPE_CHECKING:
    from kit.sites import Site


def program(site: Site, runtime: str | None = None) -> str | None:
    """The program a site's commands use (``auto``: its ``container.command``), or None for the host runtime."""
    wanted = runtime or site.container.runtime
    if wanted == "host":
        return None
    return site.container.command if wanted == "auto" else wanted


def pulled_image_path(site: Site, ref: str | None = None) -> Path:
    """Where :func:`pull` puts the site's base image: ``container.sif_dir``, by default the work directory,
    where the build runs, so that ``container/env.def``'s relative ``From:`` finds it."""
    return site.container.sif_dir / versions.sif_name(ref or site.container.image)


def from_value(site: Site, image: Path) -> str:
    """What to write after ``From:`` for ``image``: its name when it lies in the work directory (singularity
    reads a relative ``From:`` from the folder the build runs in), else its full path."""
    same = os.path.abspath(image.parent) == os.path.abspath(site.work_dir)
    return image.name if same else str(image)


def in_work_dir(site: Site, path: str | os.PathLike[str]) -> str:
    """``path`` as a command run in the site's work directory names it: relative inside it, else absolute
    (``~`` expanded: the kit runs commands without a shell)."""
    full = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    try:
        return str(full.relative_to(os.path.abspath(site.work_dir)))
    except ValueError:
        return str(full)


def work_def_file(site: Site) -> Path:
    """The definition file a build uses: the site's ``container.def_file`` where it lies inside the work
    directory (the clone, on the department server), else the participant's copy, ``env.def`` there."""
    def_file = Path(os.path.abspath(os.path.expanduser(os.fspath(site.container.def_file))))
    work = Path(os.path.abspath(site.work_dir))
    return def_file if work in def_file.parents else work / "env.def"


def typed_in_work_dir(site: Site, cmd: Sequence[str]) -> str:
    """A command to copy into a terminal for a hint: ``cd ~/workshop2024 && singularity pull ...``."""
    return f"{shell_line(['cd', site.work_dir])} && {shell_line(cmd)}"


def site_sif_path(site: Site) -> Path:
    """The built image of a site (``container.sif``, relative names under the work directory)."""
    sif = Path(os.path.expanduser(site.container.sif))
    return sif if sif.is_absolute() else site.work_dir / sif


def exec_command(
    site: Site,
    sif: str | os.PathLike[str],
    argv: Sequence[str],
    *,
    runtime: str | None = None,
    gpu: bool | None = None,
    binds: Sequence[str] = (),
    resolve_python: bool = True,
) -> list[str]:
    """``singularity exec [--nv] SIF ARGV`` for the site; for the host runtime ``argv`` itself.

    ``resolve_python``: for the host runtime, replace a leading ``python3`` by this Python's path (a command
    run now); False keeps it (a job script: the job inherits the submitter's PATH).
    """
    argv = [str(a) for a in argv]
    prog = program(site, runtime)
    if prog is None:
        if resolve_python and argv and argv[0] in ("python", "python3"):
            return [sys.executable, *argv[1:]]
        return argv
    nv = site.container.gpu if gpu is None else gpu
    cmd = [prog, "exec"]
    if nv:
        cmd.append("--nv")
    for bind in binds:
        cmd += ["--bind", bind]
    return [*cmd, os.fspath(sif), *argv]


def pull_command(
    site: Site,
    ref: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    runtime: str | None = None,
) -> list[str]:
    """``singularity pull [--force] DEST REF`` (default: the site's image to :func:`pulled_image_path`)."""
    ref = ref or site.container.image
    dest = dest if dest is not None else in_work_dir(site, pulled_image_path(site, ref))
    cmd = [program(site, runtime) or site.container.command, "pull"]  # the host runtime: the cluster's
    if force:
        cmd.append("--force")
    return [*cmd, os.fspath(dest), ref]


def build_command(
    site: Site,
    def_file: str | os.PathLike[str] | None = None,
    sif: str | os.PathLike[str] | None = None,
    *,
    fakeroot: bool = True,
    force: bool = False,
    runtime: str | None = None,
) -> list[str]:
    """``singularity build [--fakeroot] [--force] SIF DEF`` (default: :func:`work_def_file` to
    :func:`site_sif_path`)."""
    cmd = [program(site, runtime) or site.container.command, "build"]
    if fakeroot:
        cmd.append("--fakeroot")
    if force:
        cmd.append("--force")
    def_file = def_file if def_file is not None else in_work_dir(site, work_def_file(site))
    sif = sif if sif is not None else in_work_dir(site, site_sif_path(site))
    return [*cmd, os.fspath(sif), os.fspath(def_file)]


def version_command(program_path: str | os.PathLike[str]) -> list[str]:
    """``apptainer --version`` (pure)."""
    return [os.fspath(program_path), "--version"]
