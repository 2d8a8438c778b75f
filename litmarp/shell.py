"""Command cells: a lesson's ```` ```bash ```` fences run as a participant types them in a terminal.

jupytext turns a ```` ```bash ```` fence into a ``%%bash`` cell; :func:`load` (``%load_ext litmarp.shell``)
replaces IPython's ``%%bash`` with one bash process kept open through the lesson (a variable or a ``cd``
holds in the next cell). Each command is echoed as a terminal shows it (``$ …``, ``> …``) before its output;
the first that exits non-zero stops the cell (:class:`CommandFailed`); one that the configured ``check``
says cannot run here is shown with that reason as a label, never with made-up output; ``captures`` turn
a command's output into a shell variable (``Submitted batch job 41`` → ``$ JOB=41``).

The module knows nothing of any workshop: :func:`configure` says what the folder, environment, checks and
captures are.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# The mime type of a command shown but not run; the renderer draws it as a labelled block.
NOT_RUN_MIME = "application/x-litmarp-not-run+json"
DEFAULT_NOT_RUN_LABEL = "not run here"

Check = Callable[[list[str]], str | None]
Explain = Callable[[list[str], str], str | None]


class CommandFailed(Exception):
    """A command in a command cell exited non-zero."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a Python traceback: the command's own output is above it.
        return [f"{type(self).__name__}: {self}"]


class CommandTimeout(CommandFailed):
    """A command in a command cell ran past its time limit."""


def split_commands(text: str) -> list[str]:
    """The commands of a cell, as bash reads them: a line, or the lines a command spans (a ``\\``
    continuation, an open quote, a ``for … done`` block, a here-document). Blank lines go; a comment line
    is a command of its own (shown, not run)."""
    commands: list[str] = []
    pending: list[str] = []
    for line in text.split("\n"):
        if not pending and not line.strip():
            continue
        pending.append(line)
        candidate = "\n".join(pending)
        if _complete(candidate):
            commands.append(candidate.rstrip())
            pending = []
    if pending and "\n".join(pending).strip():
        commands.append("\n".join(pending).rstrip())  # an unfinished command: bash will say what is wrong
    return commands


def _complete(command: str) -> bool:
    """Whether ``command`` is a whole command: ``bash -n`` parses it without running it."""
    if command.lstrip().startswith("#") and "\n" not in command.strip():
        return True  # a comment ends at its line, a trailing backslash included
    if command.rstrip("\n").endswith("\\"):
        return False
    res = subprocess.run(["bash", "-n"], input=command + "\n", capture_output=True, text=True)
    # A here-document that reaches the end only warns (exit 0): it is not finished either.
    return res.returncode == 0 and "here-document" not in res.stderr


def echo_lines(command: str) -> str:
    """A command as a terminal shows it typed: ``$ `` before the first line, ``> `` before the others."""
    first, *rest = command.split("\n")
    return "\n".join([f"$ {first}", *(f"> {line}" for line in rest)])


def command_words(command: str) -> list[str]:
    """The words of a command's first simple command (variable assignments before it skipped), for checks."""
    try:
        words = shlex.split(command.split("\n", 1)[0], comments=True)
    except ValueError:
        words = command.split()
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]
    return words


@dataclass
class Session:
    """One bash process that the command cells of a kernel share, as one terminal."""

    cwd: Path = field(default_factory=Path.cwd)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    check: Check | None = None
    explain: Explain | None = None
    captures: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None  # none by default: the cell's time limit interrupts it (litmarp.execute)
    not_run_label: str = DEFAULT_NOT_RUN_LABEL
    _proc: subprocess.Popen[bytes] | None = None
    # What a new shell gets back after an interrupt, a time limit or an `exit`: the variables the session set
    # (captures, assign) and the folder it was last seen in.
    kept: dict[str, str] = field(default_factory=dict)

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self.cwd.mkdir(parents=True, exist_ok=True)
            # Its own process group: a command past its time limit is killed with everything it started.
            self._proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.cwd,
                                          env={**self.env, **self.kept}, start_new_session=True)
        return self._proc

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._proc = None

    def run(self, command: str, out: TextIO) -> tuple[int, str]:
        """Run one command in the session, streaming its output (stdout and stderr, in order) to ``out``; return
        its exit status and output. The folder it ends in becomes :attr:`cwd`, where a new shell (after an
        interrupt, a :class:`CommandTimeout` or an ``exit``) starts."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        marker = f"__litmarp_done_{uuid.uuid4().hex}__"
        # The braces run the command in this shell (variables and cd stay); stdin is not the session's own
        # (a command that reads it would swallow the next commands). The marker line ends the output, with
        # the exit status and the folder the command left the shell in.
        proc.stdin.write(f"{{ {command}\n}} </dev/null\nprintf '\\n{marker} %d %s\\n' $? \"$PWD\"\n".encode())
        proc.stdin.flush()
        fd = proc.stdout.fileno()
        buffer = b""
        seen: list[str] = []
        deadline = time.monotonic() + (self.timeout if self.timeout is not None else float("inf"))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise CommandTimeout(f"{command.splitlines()[0]!r} ran past its time limit of "
                                     f"{self.timeout:.0f} s and was stopped (the shell starts again: "
                                     "its variables and folder are kept)")
            try:
                ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            except KeyboardInterrupt:  # Jupyter's "interrupt the kernel": stop the command too
                self.close()
                raise
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._proc = None
                raise CommandFailed(f"the shell ended during {command.splitlines()[0]!r} (an `exit`?); "
                                    "the next command starts a new one")
            buffer += chunk
            end = buffer.find(f"\n{marker} ".encode())
            if end >= 0 and buffer.find(b"\n", end + 1) > 0:
                _, status_text, where = buffer[end + 1:].split(b"\n", 1)[0].decode().split(" ", 2)
                status = int(status_text)
                if Path(where).is_dir():
                    self.cwd = Path(where)
                self._emit(buffer[:end], out, seen)
                if seen and not seen[-1].endswith("\n"):
                    self._emit(b"\n", out, seen)
                return status, "".join(seen)
            # Everything before the last newline: that newline may be the one printed before the marker.
            cut = buffer.rfind(b"\n")
            if cut > 0:
                self._emit(buffer[:cut], out, seen)
                buffer = buffer[cut:]

    @staticmethod
    def _emit(data: bytes, out: TextIO, seen: list[str]) -> None:
        text = data.decode("utf-8", errors="replace")
        if text:
            out.write(text)
            out.flush()
            seen.append(text)

    def value(self, name: str) -> str:
        """A variable of the session ("" when unset), read without showing anything."""
        return self._quiet(name, f'printf "%s" "${{{name}}}"').rstrip("\n")

    def assign(self, name: str, value: str) -> None:
        """Set a variable of the session from Python (a lesson says on its slide what it set)."""
        self._quiet(name, f"{name}={shlex.quote(value)}")
        self.kept[name] = value

    def _quiet(self, name: str, command: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a shell variable name: {name!r}")
        return self.run(command, io.StringIO())[1]

    def run_cell(self, text: str, out: TextIO | None = None,
                 display: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Run a command cell's text: each command echoed, then run (or shown as not run), in order.

        Raises:
            CommandFailed: a command exited non-zero (the cell stops there).
        """
        out = out if out is not None else sys.stdout
        skipped: str | None = None
        for command in split_commands(text):
            if command.lstrip().startswith("#"):
                out.write(command.strip() + "\n")
                continue
            reason = skipped or (self.check(command_words(command)) if self.check else None)
            if reason:
                self._show_not_run(command, reason, out, display)
                skipped = reason  # what follows in the cell may need it
                continue
            out.write(echo_lines(command) + "\n")
            out.flush()
            status, output = self.run(command, out)
            if status != 0:
                meaning = self.explain(command_words(command), output) if self.explain else None
                raise CommandFailed(f"`{command.splitlines()[0]}` exited with status {status}"
                                    + (f": {meaning}" if meaning else ""))
            for name, pattern in self.captures.items():
                found = re.findall(pattern, output, re.M)
                if found:
                    out.write(echo_lines(f"{name}={shlex.quote(found[-1])}") + "\n")
                    self.assign(name, found[-1])

    def _show_not_run(self, command: str, reason: str, out: TextIO,
                      display: Callable[[dict[str, Any]], None] | None) -> None:
        label = f"{self.not_run_label}: {reason}"
        if display is None:
            out.write(f"({label})\n{echo_lines(command)}\n")
            return
        out.flush()
        display({"text/plain": f"({label})\n{echo_lines(command)}",
                 NOT_RUN_MIME: {"label": label, "command": command}})


_SESSION: Session | None = None


def _close_at_exit() -> None:
    # The shell has a process group of its own: a command still running when the kernel stops (a cell
    # past its time limit, a shut-down notebook) would outlive it.
    if _SESSION is not None:
        _SESSION.close()


atexit.register(_close_at_exit)


def session() -> Session:
    """The kernel's session (one with this process's folder and environment until :func:`configure`)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = Session()
    return _SESSION


def configure(*, cwd: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
              check: Check | None = None, explain: Explain | None = None,
              captures: Mapping[str, str] | None = None, not_run_label: str | None = None) -> Session:
    """Set up the session the command cells share, and make ``%%bash`` run in it.

    ``check``: a command's words → the reason it cannot run here (None: run it); ``explain``: a failed
    command's words and output → what went wrong (or None); ``captures``: ``{"JOB": r"Submitted batch job
    (\\d+)"}`` runs and shows ``JOB=<the group>`` after a command whose output matches; ``not_run_label``:
    the words before the reason on a command not run (in the lesson's language).
    """
    global _SESSION
    if _SESSION is not None:
        _SESSION.close()
    _SESSION = Session(cwd=Path(cwd) if cwd is not None else Path.cwd(),
                       env={**os.environ, **(env or {})}, check=check, explain=explain,
                       captures=dict(captures or {}), not_run_label=not_run_label or DEFAULT_NOT_RUN_LABEL)
    load()
    return _SESSION


def _bash_magic(line: str, cell: str) -> None:
    from IPython.display import publish_display_data

    del line  # IPython's %%bash options (--out, --bg …) have no meaning in a terminal
    session().run_cell(cell, sys.stdout, lambda data: publish_display_data(data))


def load(ipython: Any = None) -> None:
    """Register the ``%%bash`` cell magic in IPython (``%load_ext litmarp.shell`` calls this)."""
    if ipython is None:
        from IPython import get_ipython

        ipython = get_ipython()
    if ipython is not None:
        ipython.register_magic_function(_bash_magic, magic_kind="cell", magic_name="bash")


load_ipython_extension = load


def transcript(commands: Sequence[str]) -> str:
    """Commands shown as typed, without output (a deck rendered without executing)."""
    return "\n".join(echo_lines(c) if not c.lstrip().startswith("#") else c.strip() for c in commands)
