"""The one place external commands run (the engine's and the workshop's).

Commands are ``list[str]``; each run is logged (as a shell-quoted line) and a
failure raises :class:`litmarp.errors.CommandError` carrying the command and its
stderr, so callers never have to check return codes by hand.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from litmarp.errors import CommandError, CommandNotFound

log = logging.getLogger("litmarp.proc")


def _argv(cmd: Sequence[str | os.PathLike[str]], suffix: str = "") -> list[str]:
    argv = [os.fspath(c) for c in cmd]
    log.info("$ %s%s", shlex.join(argv), suffix)
    return argv


def _env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    """Extra variables layered over ``os.environ``."""
    return {**os.environ, **env} if env is not None else None


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    capture: bool = True,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` (never a shell string) and return its completed process (text mode); ``hint`` (what to do
    next) goes with the error.

    Raises:
        CommandNotFound: the program is not on PATH.
        CommandError: non-zero exit (with ``check``) or timeout.
    """
    argv = _argv(cmd)
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(env),
            timeout=timeout,
            text=True,
            capture_output=capture,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise _not_found(argv, exc, hint) from None
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandError(
            argv, None, stderr,
            message=f"command timed out after {timeout} s: {shlex.join(argv)}",
            hint=hint,
        ) from None
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stderr or proc.stdout or "", hint=hint)
    return proc


def _not_found(argv: list[str], exc: FileNotFoundError, hint: str | None) -> CommandNotFound:
    return CommandNotFound(argv, None, str(exc), message=f"{argv[0]!r} is not installed or not on PATH",
                           hint=hint or f"install {argv[0]} or fix PATH")


def stream(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    out: TextIO | None = None,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` like :func:`run`, printing its output line by line to ``out`` (default: ``sys.stdout`` at
    call time, which Jupyter and papermill capture) while it runs: a multi-GB pull or a build shows its
    progress as it happens. stderr is merged into stdout (the runtimes print their progress on stderr), so
    the lines keep their order; a failure's error carries the last 200.

    Raises:
        CommandNotFound: the program is not on PATH.
        CommandError: non-zero exit.
    """
    argv = _argv(cmd)
    sink = out if out is not None else sys.stdout
    try:
        child = subprocess.Popen(argv, cwd=cwd,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except FileNotFoundError as exc:
        raise _not_found(argv, exc, hint) from None
    lines: list[str] = []
    assert child.stdout is not None
    try:
        # Bytes split on \n only: a progress bar's \r stays inside its line (terminals and
        # Jupyter redraw it), and undecodable bytes cannot stop the step.
        for raw in iter(child.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            lines.append(line)
            sink.write(line)
            sink.flush()
    except BaseException:
        child.kill()  # an interrupted cell or Ctrl-C stops the pull too, not only the reading
        raise
    finally:
        child.stdout.close()
        child.wait()
    if child.returncode != 0:
        raise CommandError(argv, child.returncode, "".join(deque(lines, maxlen=200)), hint=hint)
    return subprocess.CompletedProcess(argv, child.returncode, "".join(lines), "")


CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chrome_path() -> str | None:
    """Chromium for PDF export: $CHROME_PATH, Debian's /usr/bin/chromium, or a Chrome/Chromium on PATH.

    The one lookup: a workshop's doctor reports what this finds, so it never promises a
    browser that the renderer would not use.
    """
    for candidate in (os.environ.get("CHROME_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


def which(program: str) -> Path | None:
    """Return the full path of ``program`` on PATH, or None."""
    found = shutil.which(program)
    return Path(found) if found else None


def start(cmd: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running ``cmd`` (a server) and return it; the caller stops it.

    Raises:
        CommandNotFound: the program is not on PATH.
    """
    argv = _argv(cmd, " &")
    try:
        return subprocess.Popen(argv, env=_env(env), stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise _not_found(argv, exc, None) from None
