"""The one place external commands run (the engine's and the workshop's).

Commands are ``list[str]``; each run is logged (as a shell-quoted line) and a
failure raises :class:`litmarp.errors.CommandError` carrying the command and its
stderr, so callers never have to check return codes by hand. :func:`run` captures
the output; :func:`stream` also prints it line by line while the command runs
(long pulls and builds).
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


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    input: str | None = None,
    capture: bool = True,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` and return its completed process (text mode).

    Args:
        cmd: Program and arguments; never a shell string.
        check: Raise :class:`CommandError` when the exit code is non-zero.
        cwd: Working directory.
        env: Extra environment variables, layered over ``os.environ``.
        timeout: Seconds before the command is killed (raises CommandError).
        input: Text sent to stdin.
        capture: Capture stdout/stderr (otherwise they go to the terminal).
        hint: What to do next, attached to the error on failure.

    Raises:
        CommandNotFound: the program is not on PATH.
        CommandError: non-zero exit (with ``check``) or timeout.
    """
    argv = [os.fspath(c) for c in cmd]
    log.info("$ %s", shlex.join(argv))
    full_env = None
    if env is not None:
        full_env = {**os.environ, **env}
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            timeout=timeout,
            input=input,
            text=True,
            capture_output=capture,
            stdin=None if input is not None else subprocess.DEVNULL,
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
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    hint: str | None = None,
    tail_lines: int = 200,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` like :func:`run`, printing its output line by line while it runs.

    For long steps (a multi-GB ``singularity pull``, a build) whose progress should show in
    the terminal and in a notebook cell as it happens, not only at the end. stderr is merged
    into stdout (the runtimes print their progress on stderr), so the lines keep their order.

    Args:
        cmd: Program and arguments; never a shell string.
        cwd: Working directory.
        env: Extra environment variables, layered over ``os.environ``.
        out: Where the lines go, flushed after each (default: ``sys.stdout`` at call time,
            which Jupyter and papermill capture).
        hint: What to do next, attached to the error on failure.
        tail_lines: How many of the last lines a failure's error carries.

    Returns:
        The completed process; ``stdout`` holds the whole output, ``stderr`` is empty.

    Raises:
        CommandNotFound: the program is not on PATH.
        CommandError: non-zero exit; its ``stderr`` is the output's last ``tail_lines`` lines.
    """
    argv = [os.fspath(c) for c in cmd]
    log.info("$ %s", shlex.join(argv))
    sink = out if out is not None else sys.stdout
    try:
        child = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env} if env is not None else None,
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
    text = "".join(lines)
    if child.returncode != 0:
        tail = "".join(deque(lines, maxlen=tail_lines))
        raise CommandError(argv, child.returncode, tail, hint=hint)
    return subprocess.CompletedProcess(argv, child.returncode, text, "")


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


def start(cmd: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None,
          cwd: str | os.PathLike[str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running ``cmd`` (a server) and return it; the caller stops it.

    Raises:
        CommandNotFound: the program is not on PATH.
    """
    argv = [os.fspath(c) for c in cmd]
    log.info("$ %s &", shlex.join(argv))
    try:
        return subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env} if env else None,
                                stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise CommandNotFound(argv, None, str(exc), message=f"{argv[0]!r} is not installed or not on PATH",
                              hint=f"install {argv[0]} or fix PATH") from None
