"""Where a build writes its decks: never over a lesson (``--out slides`` would replace the lessons with
rendered decks), and one build per folder at a time (saying who holds it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from litmarp.errors import LessonError
from litmarp.paths import inside, shown_path

LOCK_NAME = ".litmarp-render.lock"


def check_out_folder(out_dir: Path, sources: Sequence[Path], source_dirs: Sequence[Path]) -> None:
    """Raise :class:`LessonError` for an ``--out`` folder that is a file, is inside ``source_dirs`` (``slides/``,
    ``notebooks/``) or holds one of this build's ``sources`` (a rendered deck would replace it)."""
    fix = "render into a folder of its own: leave --out out (build/slides) or name a new one"
    if out_dir.exists() and not out_dir.is_dir():
        raise LessonError(f"--out {out_dir} is a file, not a folder", hint=fix)
    out = out_dir.resolve()
    for folder in source_dirs:
        if inside(out, folder.resolve()):
            raise LessonError(f"--out {out_dir} is inside {shown_path(folder)}, which holds the lessons' sources: "
                              "the rendered decks would overwrite them", hint=fix)
    for source in sources:
        if source.resolve().parent == out:
            raise LessonError(f"--out {out_dir} holds {shown_path(source)}: rendering would replace it with the "
                              "rendered deck", hint=fix)


def _holder(lock_file: Path) -> str:
    try:
        info = json.loads(lock_file.read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(info["since"]))
        return f"pid {info['pid']} ({info['command']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another build"


@contextlib.contextmanager
def render_lock(out_dir: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold ``out_dir``'s build lock: wait (saying for whom) while another build holds it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lock_file = out_dir / LOCK_NAME
    with open(lock_file, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"{shown_path(out_dir)} is being rendered by {_holder(lock_file)}: waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": time.time(),
                                 "command": " ".join(["litmarp", *sys.argv[1:]])[:120]}))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
