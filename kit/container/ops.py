"""The container steps: pull, build, exec, and the workshop's ``env.def`` (generated from :mod:`kit.versions`).

Without a runtime (the ``host`` runtime: a laptop, CI) :func:`exec` runs on the host Python, and
:func:`pull` and :func:`build` return ``skipped=True``: nothing pretends a .sif exists when it does not.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kit import versions
from kit.container.commands import (
    build_command,
    exec_command,
    in_work_dir,
    pull_command,
    pulled_image_path,
    site_sif_path,
    typed_in_work_dir,
    work_def_file,
)
from kit.container.deffile import DefFile
from kit.container.diagnose import runtime_failure
from kit.container.runtime import detect_runtime
from kit.container.space import SpaceNeed, cache_dir, check_free_space, temp_dir
from kit.container.validate import validate
from kit.errors import CommandError, ConfigError, ContainerError, ExitStatus
from kit.pathio import write_new
from kit.sites import Site, load_site
from kit.textutil import format_size, shell_line, work_path
from litmarp import proc
from litmarp.paths import shown_path
from litmarp.workfiles import Written, write_unless_edited


@dataclass(frozen=True)
class StepResult:
    """What a pull or build did, or why it was skipped (``message``: one sentence for a lesson to print)."""

    output: Path
    skipped: bool
    message: str
    warnings: tuple[str, ...] = ()
    stdout: str = ""

    def __str__(self) -> str:
        return "\n".join([self.message, *self.warnings])


_REF_RE = re.compile(r"^(docker|docker-archive|docker-daemon|library|oras|shub|oci|oci-archive|https?)://\S+$")


def _age(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


def _run_step(cmd: list[str], site: Site, runtime: str, action: str, out: Path) -> str:
    """Run a pull or build in the work directory, as the participant does, its progress shown as it comes.

    The line names files from there, and singularity reads a .def's relative paths (``From:``, ``%files``)
    from the folder the build runs in, not from the file's folder.
    """
    site.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        cp = proc.stream(cmd, cwd=site.work_dir)
    except CommandError as exc:
        raise runtime_failure(exc, action, runtime) from None
    if not out.exists():
        raise ContainerError(f"{runtime} {cmd[1]} reported success but {out} does not exist",
                             details=cp.stdout, hint="check the runtime's output above")
    return cp.stdout


def pull(
    ref: str | None = None,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    site: Site | None = None,
    force: bool = False,
    name: str | None = None,
    check_space: bool = True,
) -> StepResult:
    """Pull an image into ``dest_dir`` (default ``site.container.sif_dir``), printing the runtime's output.

    Skips when the .sif is already there (pulling again downloads gigabytes) unless ``force``.
    """
    site = site or load_site()
    ref = ref or site.container.image
    if not _REF_RE.match(ref):
        raise ConfigError(f"image reference {ref!r} names no source",
                          hint=f"write it with a transport, e.g. {versions.BASE_IMAGE.ref}")
    dest = Path(os.path.expanduser(os.fspath(dest_dir))) if dest_dir is not None else site.container.sif_dir
    if name is not None and (os.sep in name or not name.endswith(".sif")):
        raise ConfigError(f"image name {name!r} must be a plain file name ending in .sif")
    out = Path(os.path.abspath(dest / (name or versions.sif_name(ref))))
    shown = work_path(out, site.work_dir)
    rt = detect_runtime(site)
    cmd = pull_command(site, ref, in_work_dir(site, out), force=force, runtime=None if rt.is_host else rt.name)
    if out.exists() and not force:
        return StepResult(out, True, f"container pull: skipped — {shown} already exists (pulled {_age(out)}, "
                          f"{format_size(out.stat().st_size)}); pass force=True (--force) to pull it again")
    if rt.is_host:
        return StepResult(out, True, f"container pull: skipped — no apptainer/singularity here ({rt.reason}); "
                          f"on the cluster: {shell_line(cmd)}")
    dest.mkdir(parents=True, exist_ok=True)
    if check_space:
        check_free_space([
            SpaceNeed(dest, versions.IMAGE_SIF_GIB, "the pulled image"),
            SpaceNeed(temp_dir(rt.name), versions.IMAGE_ROOTFS_GIB, "the temporary root filesystem"),
            SpaceNeed(cache_dir(rt.name), versions.IMAGE_LAYERS_GIB, "the layer cache"),
        ], action=f"pull {ref}", runtime=rt.name)
    stdout = _run_step(cmd, site, rt.name, f"pull of {ref}", out)
    return StepResult(out, False, f"container pull: pulled {ref} to {shown} ({format_size(out.stat().st_size)})",
                      stdout=stdout)


def install_def(site: Site | None = None, *, force: bool = False) -> Written:
    """Copy the site's definition file to ``env.def`` in the work directory, unless it lies there already
    (the clone, on the department server). A participant's edited ``env.def`` is kept (``force`` replaces it)."""
    site = site or load_site()
    target = work_def_file(site)
    source = Path(os.path.abspath(os.path.expanduser(site.container.def_file)))
    if target == source or (target.is_file() and not source.is_file()):  # nothing to copy: use the one there
        return Written(target)
    if not source.is_file():
        raise ConfigError(f"{shown_path(source)} does not exist: it is the site's container.def_file",
                          hint="make it with `python -m kit container def --out container/env.def`, or point "
                               f"container.def_file in {shown_path(site.files[-1])} at your .def")
    return write_unless_edited(target, source.read_text(encoding="utf-8"), force=force)


def render_def(site: Site | None = None, *, localimage: str | os.PathLike[str] | bool | None = None,
               docker: bool = False) -> str:
    """The workshop's ``env.def`` (from :mod:`kit.versions`).

    ``localimage``: None/False: the committed form (the pulled image by name, found in the folder the build
    runs in); a path: from that .sif; True: from the site's pulled image by its full path, which must
    exist, so that the file builds from any folder (``--from-pulled``).
    """
    if docker or not localimage:
        return versions.render_env_def(docker=docker)
    if localimage is True:
        site = site or load_site()
        path = pulled_image_path(site)
        if not path.exists():
            raise ContainerError(f"the base image is not pulled yet: {path} does not exist",
                                 hint=f"pull it first: {typed_in_work_dir(site, pull_command(site))}")
        return versions.render_env_def(path)
    return versions.render_env_def(Path(os.path.abspath(os.path.expanduser(os.fspath(localimage)))))


def write_def(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write a definition file; refuse to overwrite a different existing file unless ``force``."""
    return write_new(path, text, "definition file", force=force, error=ContainerError)


def build(
    def_file: str | os.PathLike[str] | None = None,
    sif: str | os.PathLike[str] | None = None,
    *,
    site: Site | None = None,
    fakeroot: bool = True,
    force: bool = False,
    check_space: bool = True,
) -> StepResult:
    """Validate a definition file (default: :func:`install_def`'s ``env.def``) and build it in the site's work
    directory, printing the runtime's output.

    Validation runs everywhere, the host runtime included (errors raise; warnings come back in
    ``result.warnings``). An existing .sif is kept unless ``force``.
    """
    site = site or load_site()
    installed = None
    if def_file is None:
        installed = install_def(site)
        def_file = installed.path
    def_path = Path(os.path.abspath(def_file))
    out = Path(os.path.abspath(sif if sif is not None else site_sif_path(site)))
    deffile = DefFile.read(def_path)
    rt = detect_runtime(site)
    # Where nothing is built (the host runtime skips the pull too) the base image need not exist.
    report = validate(deffile, site=site, base_must_exist=not rt.is_host)
    report.raise_for_errors()
    warnings = tuple(str(w) for w in report.warnings)
    cmd = build_command(site, in_work_dir(site, def_path), in_work_dir(site, out), fakeroot=fakeroot, force=force,
                        runtime=None if rt.is_host else rt.name)
    shown = work_path(out, site.work_dir)
    # A participant's edited env.def is theirs to build: say so, so that a stale copy is noticed.
    yours = (f" (your own {def_path.name}: it differs from {shown_path(site.container.def_file)})"
             if installed is not None and installed.kept else "")
    if out.exists() and not force:
        stale = def_path.stat().st_mtime > out.stat().st_mtime
        note = f" ({def_path.name} changed since: rebuild)" if stale else ""
        return StepResult(out, True, f"container build: skipped — {shown} already exists (built {_age(out)}){note}; "
                          "pass force=True (--force) to rebuild", warnings)
    if rt.is_host:
        why = (f"site {site.name} uses the host Python" if site.container.runtime == "host"
               else "no apptainer/singularity here")
        return StepResult(out, True, f"container build: skipped ({why}); {def_path.name}{yours} is valid "
                          f"({len(warnings)} warning(s)); on the cluster: "
                          f"{shell_line(build_command(site, def_path.name, out.name, fakeroot=fakeroot))}",
                          warnings)
    out.parent.mkdir(parents=True, exist_ok=True)
    if check_space:
        needs = [SpaceNeed(out.parent, versions.IMAGE_SIF_GIB, "the built image"),
                 SpaceNeed(temp_dir(rt.name), versions.IMAGE_ROOTFS_GIB + versions.BUILD_EXTRA_GIB,
                           "the build's temporary root filesystem")]
        if (deffile.header.get("bootstrap") or "").lower() != "localimage":
            needs.append(SpaceNeed(cache_dir(rt.name), versions.IMAGE_LAYERS_GIB, "the layer cache"))
        check_free_space(needs, action=f"build {out.name}", runtime=rt.name)
    stdout = _run_step(cmd, site, rt.name, f"build of {out.name}", out)
    return StepResult(out, False,
                      f"container build: built {shown} ({format_size(out.stat().st_size)}) from {def_path.name}{yours}",
                      warnings, stdout)


def exec(  # noqa: A001 - the runtime's verb; shadows the builtin only inside this module
    sif: str | os.PathLike[str] | None,
    argv: Sequence[str],
    *,
    site: Site | None = None,
    gpu: bool | None = None,
    check: bool = True,
    capture: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the image (default :func:`site_sif_path`), or on the host Python."""
    site = site or load_site()
    rt = detect_runtime(site)
    if rt.is_host:
        cmd = exec_command(site, sif or "", argv, runtime="host")
    else:
        image = Path(os.path.expanduser(os.fspath(sif))) if sif is not None else site_sif_path(site)
        if not image.exists():
            raise ContainerError(f"no image at {image}",
                                 hint="build it first (`python -m kit container build`) or pass the right path")
        cmd = exec_command(site, image, argv, runtime=rt.name, gpu=gpu)
    return proc.run(cmd, check=check, capture=capture, timeout=timeout)


def run_interactive(sif: str | os.PathLike[str] | None, argv: Sequence[str], *, site: Site | None = None,
                    gpu: bool | None = None) -> None:
    """:func:`exec` with the terminal attached (``kit container exec``); a failure raises :class:`ExitStatus`."""
    cp = exec(sif, argv, site=site, gpu=gpu, check=False, capture=False)
    if cp.returncode != 0:
        raise ExitStatus(cp.returncode)
