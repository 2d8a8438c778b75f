"""Small general helpers for what the kit shows people: sizes, text tables, shell lines, paths."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from litmarp.paths import inside, shown_path

GIB = 1024**3


def format_size(n: float) -> str:
    """``12.3 GiB`` / ``512.0 MiB`` / ``12 B`` (binary units)."""
    for unit, size in (("TiB", 1024**4), ("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None) -> str:
    """An aligned text table: the header, a rule of dashes, then the rows (trailing spaces cut)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [title] if title else []
    out.append(fmt.format(*headers).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out += [fmt.format(*map(str, r)).rstrip() for r in rows]
    return "\n".join(out)


def shell_line(cmd: Sequence[str | os.PathLike[str]], *, home: str | os.PathLike[str] | None = None) -> str:
    """A command list as one shell line, for slides, CLI output and batch scripts alike: every word quoted like
    :func:`shlex.join`, but ``home`` (default ``~``; ``""``: none) written ``~/x``, unquoted so the shell expands
    it again."""
    home_dir = os.fspath(home) if home is not None else os.path.expanduser("~")
    parts = []
    for arg in (os.fspath(c) for c in cmd):
        if home_dir not in ("", "/") and arg.startswith(home_dir + os.sep):
            rest = arg[len(home_dir) + 1:]
            if shlex.quote(rest) == rest:
                parts.append("~/" + rest)
                continue
        parts.append(shlex.quote(arg))
    return " ".join(parts)


def work_path(path: str | os.PathLike[str], work_dir: str | os.PathLike[str] | None = None) -> str:
    """A path as the kit prints it: relative to ``work_dir`` (default: the current folder, where jobs and lessons
    run) when inside it, else as :func:`shown_path`. Slides then show ``logs/train-12.log``, not the
    presenter's ``/home/alice/...``."""
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    base = Path(work_dir if work_dir is not None else os.getcwd())
    if base != Path("/") and inside(p, base):
        return str(p.relative_to(base))
    return shown_path(p)
