"""The one place OS errors on user-given paths become kit errors that name the path and the fix::

    with user_path(out, "write the job script"):
        out.write_text(text)
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kit.errors import ConfigError, DiskSpaceError, KitError, tail
from litmarp.paths import write_atomic

#: Actions that read: a missing path is simply not there (for a write, its folder may take no new files).
READ_VERBS = frozenset({"read", "open", "load", "delete"})


def path_error(exc: OSError, path: str | os.PathLike[str], action: str) -> KitError:
    """The kit error for ``exc``, raised while trying to ``action`` at ``path`` (pure)."""
    target = Path(path)
    where = Path(exc.filename) if getattr(exc, "filename", None) else target
    parent = where.parent
    if isinstance(exc, IsADirectoryError):
        return ConfigError(f"cannot {action}: {where} is a folder",
                           hint=f"name a file inside it, e.g. {where / target.name}" if where != target
                           else f"name a file inside it, e.g. {where}/<name>")
    if isinstance(exc, (NotADirectoryError, FileExistsError)):  # a file where a folder should be
        return ConfigError(f"cannot {action} at {target}: {where} is a file, not a folder",
                           hint="choose another path, or move that file away")
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        why = "read-only filesystem" if exc.errno == errno.EROFS else "permission denied"
        return ConfigError(f"cannot {action} at {where}: {why}",
                           hint=f"choose a folder you can write to (check with `ls -ld {parent}`)")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskSpaceError(f"cannot {action} at {where}: the disk (or your quota) is full",
                              hint="free space (`python -m kit storage du` shows what is safe to delete)")
    if isinstance(exc, FileNotFoundError):
        reading = action.split()[0] in READ_VERBS
        if parent.is_dir() and not reading:  # the folder exists but takes no new files (/proc, a pseudo filesystem)
            return ConfigError(f"cannot {action} at {target}: {parent} does not take new files",
                               hint="choose a folder you can write to")
        return ConfigError(f"cannot {action}: {where} does not exist",
                           hint=f"check the path (`ls {parent}` lists what is there)" if parent.is_dir()
                           else "check the path")
    return ConfigError(f"cannot {action} at {where}: {exc.strerror or exc}", hint="check the path")


@contextmanager
def user_path(path: str | os.PathLike[str], action: str) -> Iterator[None]:
    """Turn an :class:`OSError` inside the block into :func:`path_error` (kit errors pass through)."""
    try:
        yield
    except KitError:
        raise
    except OSError as exc:
        raise path_error(exc, path, action) from None


def make_dirs(path: str | os.PathLike[str], action: str) -> Path:
    """``mkdir -p path``, with :func:`path_error` when it cannot be made."""
    folder = Path(path)
    with user_path(folder, action):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_user_text(path: str | os.PathLike[str], what: str = "file") -> str:
    """The text of a UTF-8 file the user named (``what`` it is, for the message: ``"reference"``); the error
    names it when it is missing, a folder, unreadable, or not UTF-8 (and where the first bad byte is)."""
    with user_path(path, f"read the {what}"):
        data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be read",
                          hint=f"save it as UTF-8 (e.g. `iconv -f SHIFT_JIS -t UTF-8 {path} > utf8.txt`, "
                               "then pass utf8.txt)") from None


def write_new(path: str | os.PathLike[str], text: str, what: str, *, force: bool = False,
              error: type[KitError] = ConfigError) -> Path:
    """Write ``text`` (the ``what``: ``"job script"``) to ``path``, atomically; a different file there is
    kept, and ``error`` shows the difference, unless ``force``. The same text there: nothing is written."""
    target = Path(path)
    with user_path(target, f"write the {what}"):
        if target.exists():
            old = target.read_text(encoding="utf-8", errors="replace")
            if old == text:
                return target
            if not force:
                diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), str(target),
                                                    f"new {what}"))
                raise error(f"{target} exists and differs from the {what} the kit writes; not overwriting it",
                            hint="pass --force (force=True) to replace it, or choose another --out",
                            details=tail(diff, 30))
        write_atomic(target, text)
    return target
