"""Paths as people know them, in messages and on slides (never where the presenter cloned the project)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from litmarp.project import find_root


def inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it (Path.is_relative_to, which Python 3.8 lacks)."""
    return path == folder or folder in path.parents


def shown_path(path: str | os.PathLike[str], root: Path | None = None, *,
               home: str | os.PathLike[str] | None = None) -> str:
    """A path as people know it: a project file relative to the project (``sites/ci.toml``,
    ``build/work/ci``), else ``~/...`` under the home folder, else absolute. Slides and messages then never
    show where the presenter happened to clone the project. ``root`` defaults to the current project's."""
    if root is None:
        root = find_root()
    p = Path(path)
    home_dir = Path(home) if home is not None else Path(os.path.expanduser("~"))
    # The nearer of the two wins: a home folder inside the project (the rehearsal's throwaway one) shows ~/...
    if root is not None and inside(p, root) and not (inside(p, home_dir) and inside(home_dir, root)):
        return str(p.relative_to(root))
    return home_path(p, home_dir)


def home_path(path: str | os.PathLike[str], home: str | os.PathLike[str] | None = None) -> str:
    """A path with the home folder (default: this user's) written ``~`` (``~/workshop2024``); any other path as
    it is."""
    p = Path(path)
    root = Path(home) if home is not None else Path(os.path.expanduser("~"))
    if p.is_absolute() and str(root) not in ("", "/") and inside(p, root):
        return "~" if p == root else "~/" + str(p.relative_to(root))
    return str(p)


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file beside it, so a reader (a job's wrapper, a killed
    build) sees the old file or the new one, never half of one; no temporary file is left on failure.

    A symlink stays a link (the file it points to gets the text) and an existing file keeps its mode (an
    executable script stays executable).
    """
    real = Path(os.path.realpath(path))
    real.parent.mkdir(parents=True, exist_ok=True)
    tmp = real.with_name(f".{real.name}.tmp{os.getpid()}-{threading.get_ident()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        if real.exists():
            shutil.copymode(real, tmp)
        tmp.replace(real)
    finally:
        tmp.unlink(missing_ok=True)
    return Path(path)
