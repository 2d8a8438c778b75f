"""``kit storage clean``: delete only what the workshop made, by exact path, and only when asked.

What may be deleted does not depend on how wide the site profile's folders are
(``work_dir = "~"`` must not make ``~/.ssh`` deletable). A path is deleted only when
it is one of the things the workshop creates (:func:`classify`):

* a cache the kit knows (the Hugging Face, pip, Apptainer and Singularity caches,
  the jobs' Hugging Face cache), or anything inside one;
* a pulled image (``*.sif`` in ``container.sif_dir``, by default the work directory) or the
  built image (``env.sif``);
* a named run (``WORK_DIR/runs/NAME``) or a checkpoint (``checkpoint-N`` inside a run).

A folder that holds several of them (``container.sif_dir`` when it is not the work
directory, ``WORK_DIR/runs``) is
deleted whole only when it is named a second time with ``whole`` (``--whole``). The
work directory itself, the home directory and any folder above it are never deleted.
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
from kit.storage.usage import KnownDir, _du, _real, known_dirs
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
    what: str = ""  # cache | image | run | checkpoint | images folder | runs folder


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean` deleted, or would delete without ``confirm``."""

    entries: tuple[CleanEntry, ...]
    deleted: bool
    message: str

    @property
    def bytes(self) -> int:
        """Total size of the entries."""
        return sum(e.bytes for e in self.entries)

    def __str__(self) -> str:
        lines = [self.message]
        lines += [f"  {format_size(e.bytes):>10}  {work_path(e.path)}  ({e.what or e.dir.label['en']})"
                  for e in self.entries]
        return "\n".join(lines)


def _whole_folder(target: Path, owner: KnownDir, named_twice: bool, what: str, holds: str,
                  singles: str) -> tuple[str, KnownDir]:
    """A folder holding several items goes whole only when named twice (``--whole``)."""
    if named_twice:
        return what, owner
    raise ConfigError(f"{target} holds {holds}; not deleting it whole",
                      hint=f"name {singles}, or name the folder a second time to delete it whole: "
                           f"--whole {target}; nothing was deleted")


def classify(target: Path, site: Site, dirs: Sequence[KnownDir], *, whole: Sequence[Path] = (),
             home: Path) -> tuple[str, KnownDir]:
    """What ``target`` is (``cache``, ``image``, ``run``, ``checkpoint``, ``images folder``,
    ``runs folder``) and the known directory it belongs to.

    Args:
        target: An absolute path (symlinks in its parents resolved).
        site: The site profile.
        dirs: From :func:`kit.storage.usage.known_dirs`.
        whole: Folders named a second time (``--whole``): they may go whole.
        home: The home directory.

    Raises:
        ConfigError: it is not something the workshop made, or a folder holding several
            that was not named twice (says what to name instead).
    """
    if inside(home, target):
        raise ConfigError(f"refusing to delete {target}: it is your home directory or a folder above it",
                          hint="name the cache, image, run or checkpoint to delete; nothing was deleted")
    by_key = {d.key: (d, _real(d.path)) for d in dirs}
    for key in CACHE_KEYS:
        if key in by_key and inside(target, by_key[key][1]):
            return "cache", by_key[key][0]
    named_twice = target in {_real(p) for p in whole}
    if "sif" in by_key:
        d, sif_dir = by_key["sif"]
        if target == sif_dir:
            return _whole_folder(target, d, named_twice, "images folder", "every pulled image",
                                 f"single images (e.g. {sif_dir}/NAME.sif)")
        if target.parent == sif_dir and target.suffix == ".sif":
            return "image", d
    if "work" in by_key:
        d, work = by_key["work"]
        runs = work / "runs"
        built = _real(work / site.container.sif) if not os.path.isabs(site.container.sif) else \
            _real(Path(site.container.sif))
        if target == built or (target.parent == _real(site.container.sif_dir) and target.suffix == ".sif"):
            return "image", d  # the built image, or one pulled into the work directory
        if target == runs:
            return _whole_folder(target, d, named_twice, "runs folder", "every training run",
                                 f"single runs ({runs}/NAME) or checkpoints ({runs}/NAME/checkpoint-N)")
        if target.parent == runs:
            return "run", d
        if inside(target, runs) and _CHECKPOINT.fullmatch(target.name):
            return "checkpoint", d
        if target == work:
            raise ConfigError(f"refusing to delete the work directory {target} whole",
                              hint=f"name what to delete inside it: {built.name}, NAME.sif, runs/NAME, "
                                   "runs/NAME/checkpoint-N; nothing was deleted")
        if inside(target, work):
            pulled = ", pulled *.sif" if _real(site.container.sif_dir) == work else ""
            raise ConfigError(f"refusing to delete {target}: the workshop did not make it "
                              f"(it deletes only {built.name}{pulled}, runs and checkpoints in {work})",
                              hint="delete other files yourself if you mean to; nothing was deleted")
    allowed = ", ".join(str(root) for k, (_, root) in sorted(by_key.items()) if k in CACHE_KEYS | {"sif", "work"})
    raise ConfigError(f"refusing to delete {target}: it is not something the workshop made",
                      hint=f"the kit deletes caches, images, runs and checkpoints inside: {allowed}; "
                           "nothing was deleted")


def clean(paths: Sequence[str | os.PathLike[str]], *, site: Site, confirm: bool = False,
          whole: Sequence[str | os.PathLike[str]] = (), home: str | os.PathLike[str] | None = None,
          env: Mapping[str, str] | None = None) -> CleanResult:
    """Delete exactly ``paths``, each something the workshop made (:func:`classify`), only with ``confirm``.

    A symbolic link is removed itself, never its target.

    Args:
        paths: Files or directories, as written (``~`` expanded).
        site: The site profile (defines the sif and work directories).
        confirm: Really delete. False (default): report what would be deleted.
        whole: Folders holding several images or runs, named again so they may go whole.
        home: The home directory (default ``~``).
        env: Environment (default ``os.environ``).

    Raises:
        ConfigError: no paths, a path that does not exist, or one the workshop did not make.
    """
    if not paths:
        raise ConfigError("no paths given to clean", hint="name the exact directories or files to delete")
    home_dir = _real(Path(home) if home is not None else Path(os.path.expanduser("~")))
    dirs = [d for d in known_dirs(site, home=home, env=env) if d.cleanable]
    named_whole = [Path(os.path.expanduser(os.fspath(p))) for p in whole]
    entries = []
    for raw in paths:
        target = _real(Path(os.path.expanduser(os.fspath(raw))))
        if not os.path.lexists(target):
            raise ConfigError(f"{raw}: no such file or directory", hint="run `python -m kit storage du` to see "
                              "what exists; nothing was deleted")
        what, owner = classify(target, site, dirs, whole=named_whole, home=home_dir)
        if target.is_symlink() or not target.is_dir():
            size = target.lstat().st_size
        else:
            size = _du(target, set(), apparent=False)[0]
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
