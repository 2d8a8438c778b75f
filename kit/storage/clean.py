"""``kit storage clean``: delete only what the workshop made, by exact path, and only when asked.

What may be deleted does not depend on how wide the site profile's folders are
(``work_dir = "~"`` must not make ``~/.ssh`` deletable): a cache the kit knows or anything
in one; a pulled ``*.sif`` or the built image; a run (``WORK_DIR/runs/NAME``) or a checkpoint
in one. A folder holding several images or runs goes whole only when named a second time
(``--whole``); the work directory, the home directory and any folder above it never do.
Every path is checked before anything is deleted: one refused path deletes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import ConfigError
from kit.pathio import user_path
from kit.storage.usage import KnownDir, _du, _home, _real, known_dirs
from kit.textutil import format_size, work_path
from litmarp.paths import inside

if TYPE_CHECKING:
    from kit.sites import Site

#: Known directories that are caches: anything in them may be deleted.
CACHE_KEYS = frozenset({"work-hf", "singularity", "apptainer", "hf", "pip"})
_CHECKPOINT = re.compile(r"checkpoint-\d+")


@dataclass(frozen=True)
class CleanEntry:
    """One path :func:`clean` deletes (or would delete)."""

    path: Path
    bytes: int
    dir: KnownDir
    what: str  # cache | image | run | checkpoint | images folder | runs folder


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean` deleted, or would delete without ``confirm``."""

    entries: tuple[CleanEntry, ...]
    deleted: bool
    message: str

    @property
    def bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    def __str__(self) -> str:
        return "\n".join([self.message] + [f"  {format_size(e.bytes):>10}  {work_path(e.path)}  ({e.what})"
                                           for e in self.entries])


def classify(target: Path, site: Site, dirs: Sequence[KnownDir], *, whole: set[Path],
             home: Path) -> tuple[str, KnownDir]:
    """What ``target`` (symlinks in its parents resolved) is, and the known directory it belongs to.

    ``whole``: the folders named a second time. Raises :class:`ConfigError` saying what to name instead
    when it is not something the workshop made, or a folder holding several not named twice.
    """
    if inside(home, target):
        raise ConfigError(f"refusing to delete {target}: it is your home directory or a folder above it",
                          hint="name the cache, image, run or checkpoint to delete; nothing was deleted")
    roots = sorted(((_real(d.path), d) for d in dirs), key=lambda pair: len(pair[0].parts), reverse=True)
    work_row = next(d for d in dirs if d.key == "work")
    owner = next((d for root, d in roots if inside(target, root)), work_row)  # the innermost known directory
    if owner.key in CACHE_KEYS:
        return "cache", owner
    work, sif_dir = _real(site.work_dir), _real(site.container.sif_dir)
    runs = work / "runs"
    built = _real(work / site.container.sif)
    if target == work:
        raise ConfigError(f"refusing to delete the work directory {target} whole",
                          hint=f"name what to delete inside it: {built.name}, NAME.sif, runs/NAME, "
                               "runs/NAME/checkpoint-N; nothing was deleted")
    folders = {sif_dir: ("images folder", "every pulled image", f"single images (e.g. {sif_dir}/NAME.sif)"),
               runs: ("runs folder", "every training run",
                      f"single runs ({runs}/NAME) or checkpoints ({runs}/NAME/checkpoint-N)")}
    if target in folders:
        what, holds, singles = folders[target]
        if target not in whole:
            raise ConfigError(f"{target} holds {holds}; not deleting it whole",
                              hint=f"name {singles}, or name the folder a second time to delete it whole: "
                                   f"--whole {target}; nothing was deleted")
        return what, owner
    if target == built or (target.parent == sif_dir and target.suffix == ".sif"):
        return "image", owner
    if target.parent == runs:
        return "run", owner
    if inside(target, runs) and _CHECKPOINT.fullmatch(target.name):
        return "checkpoint", owner
    if inside(target, work):
        pulled = ", pulled *.sif" if sif_dir == work else ""
        raise ConfigError(f"refusing to delete {target}: the workshop did not make it "
                          f"(it deletes only {built.name}{pulled}, runs and checkpoints in {work})",
                          hint="delete other files yourself if you mean to; nothing was deleted")
    allowed = ", ".join(str(_real(d.path)) for d in sorted(dirs, key=lambda d: d.key))
    raise ConfigError(f"refusing to delete {target}: it is not something the workshop made",
                      hint=f"the kit deletes caches, images, runs and checkpoints inside: {allowed}; "
                           "nothing was deleted")


def clean(paths: Sequence[str | os.PathLike[str]], *, site: Site, confirm: bool = False,
          whole: Sequence[str | os.PathLike[str]] = (), home: str | os.PathLike[str] | None = None,
          env: Mapping[str, str] | None = None) -> CleanResult:
    """Delete exactly ``paths`` (``~`` expanded), each something the workshop made (:func:`classify`), only
    with ``confirm``; without it, say what would be deleted. A symbolic link is removed, never its target.

    ``whole``: folders holding several images or runs, named again so they may go whole.
    """
    if not paths:
        raise ConfigError("no paths given to clean", hint="name the exact directories or files to delete")
    home_dir = _real(_home(home))
    dirs = [d for d in known_dirs(site, home=home, env=env) if d.cleanable]
    named_whole = {_real(Path(os.path.expanduser(os.fspath(p)))) for p in whole}
    entries = []
    for raw in paths:
        target = _real(Path(os.path.expanduser(os.fspath(raw))))
        if not os.path.lexists(target):
            raise ConfigError(f"{raw}: no such file or directory", hint="run `python -m kit storage du` to see "
                              "what exists; nothing was deleted")
        what, owner = classify(target, site, dirs, whole=named_whole, home=home_dir)
        is_file = target.is_symlink() or not target.is_dir()
        size = target.lstat().st_size if is_file else _du(target, set(), apparent=False)[0]
        entries.append(CleanEntry(target, size, owner, what))
    total = format_size(sum(e.bytes for e in entries))
    if not confirm:
        return CleanResult(tuple(entries), False, f"dry run: would delete {len(entries)} path(s), {total}; "
                           "nothing deleted (confirm=True / --yes deletes them)")
    for e in entries:
        with user_path(e.path, "delete"):
            if e.path.is_symlink() or not e.path.is_dir():
                e.path.unlink()
            else:
                shutil.rmtree(e.path)
    return CleanResult(tuple(entries), True, f"deleted {len(entries)} path(s), {total} freed")
