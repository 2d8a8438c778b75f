"""Free-space checks before a pull or build (honouring ``APPTAINER_TMPDIR``/``SINGULARITY_TMPDIR``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.errors import DiskSpaceError
from kit.textutil import GIB, format_size


def tmpdir_variable(runtime: str | None) -> str:
    """The variable that moves a runtime's temporary directory (apptainer still reads the old name too)."""
    return "SINGULARITY_TMPDIR" if runtime == "singularity" else "APPTAINER_TMPDIR"


def temp_dir(runtime: str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The temporary directory a build/pull unpacks into (apptainer also reads the legacy variable)."""
    env = os.environ if env is None else env
    keys = ["SINGULARITY_TMPDIR", "TMPDIR"]
    if runtime in (None, "apptainer", "host"):
        keys.insert(0, "APPTAINER_TMPDIR")
    return next((Path(env[k]) for k in keys if env.get(k)), Path("/tmp"))


def cache_dir(runtime: str | None = None, env: Mapping[str, str] | None = None,
              home: str | os.PathLike[str] | None = None) -> Path:
    """Where the runtime caches downloaded layers (``~/.apptainer/cache``, ``~/.singularity/cache``)."""
    env = os.environ if env is None else env
    home_dir = Path(home) if home is not None else Path(os.path.expanduser("~"))
    keys = ["SINGULARITY_CACHEDIR"] if runtime == "singularity" else ["APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR"]
    default = ".singularity/cache" if runtime == "singularity" else ".apptainer/cache"
    return next((Path(env[k]) for k in keys if env.get(k)), home_dir / default)


def existing_ancestor(path: str | os.PathLike[str]) -> Path:
    """``path`` or its nearest existing parent (free space is a property of the filesystem)."""
    p = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def free_bytes(path: str | os.PathLike[str]) -> int:
    """Free bytes on the filesystem holding ``path`` (or its nearest existing parent)."""
    return shutil.disk_usage(existing_ancestor(path)).free


@dataclass(frozen=True)
class SpaceNeed:
    """Space a step needs in one directory."""

    path: Path
    gib: float
    what: str  # "the pulled image", "the build's temporary root filesystem"


def check_free_space(needs: Sequence[SpaceNeed], *, action: str, runtime: str | None = None) -> None:
    """Raise :class:`DiskSpaceError` when a filesystem lacks the space the needs on it add up to (needs on
    one filesystem are summed: ``/tmp`` and the work directory are often one disk)."""
    groups: dict[int, list[SpaceNeed]] = {}
    for need in needs:
        groups.setdefault(existing_ancestor(need.path).stat().st_dev, []).append(need)
    for group in groups.values():
        total = sum(n.gib for n in group) * GIB
        free = free_bytes(group[0].path)
        if free >= total:
            continue
        parts = ", ".join(f"{n.what} in {n.path} (~{n.gib:.0f} GiB)" for n in group)
        hints = ["free space (`python -m kit storage du` shows what is safe to delete)",
                 "or skip this estimate with --no-space-check (check_space=False)"]
        if any("temporary" in n.what for n in group):
            hints.insert(0, "point the temporary directory at a larger disk: "
                            f"export {tmpdir_variable(runtime)}=/path/with/space")
        raise DiskSpaceError(
            f"not enough disk space to {action}: {format_size(free)} free on the filesystem of "
            f"{existing_ancestor(group[0].path)}, about {format_size(total)} needed",
            details=f"needs: {parts}",
            hint="; ".join(hints),
        )
