"""The engine's errors, and the base class of every error a user can meet (the workshop's too): its text
says what went wrong, shows the evidence and ends with what to do next; a command line maps each class to
its ``exit_code`` in one place.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


class Error(Exception):
    """Base class: a failure the user can act on: ``message`` (one line), ``details`` (evidence such as stderr,
    printed indented) and ``hint`` (what to do next)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        parts = [self.message]
        if self.details:
            body = self.details.rstrip("\n")
            parts.append("\n".join("  " + line for line in body.splitlines()))
        if self.hint:
            parts.append(f"What to do: {self.hint}")
        return "\n".join(parts)

    def _render_traceback_(self) -> list[str]:
        # In a notebook (IPython) the message and what to do, not a Python traceback: a participant acts on it.
        return [f"{type(self).__name__}: {self}"]


class ConfigError(Error):
    """Bad input: a file, line or option the user wrote. Says where and how to fix it."""

    exit_code = 2


class CommandError(Error):
    """An external command exited non-zero (or could not start)."""

    exit_code = 3

    def __init__(
        self,
        cmd: Sequence[str],
        returncode: int | None,
        stderr: str = "",
        *,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stderr = stderr
        text = message or (
            f"command failed with exit code {returncode}: {shlex.join(self.cmd)}"
            if returncode is not None
            else f"command could not be run: {shlex.join(self.cmd)}"
        )
        super().__init__(text, hint=hint, details=tail(stderr, 20) if stderr else None)


class CommandNotFound(CommandError):
    """The program is not installed or not on PATH."""

    exit_code = 4


class LessonError(Error):
    """A lesson is out of sync, failed to execute or failed to render."""

    exit_code = 9


class PairingError(LessonError):
    """A slides/*.md file and its notebooks/*.ipynb twin have drifted apart."""


class CellError(LessonError):
    """A lesson cell raised while executing."""


class FitError(LessonError):
    """A rendered slide's content does not fit on the slide; names the deck, slide and overflow."""


def tail(text: str, lines: int = 20) -> str:
    """Return the last ``lines`` lines of ``text``, with a marker if some were cut."""
    rows = text.rstrip("\n").splitlines()
    if len(rows) <= lines:
        return "\n".join(rows)
    return "\n".join([f"... ({len(rows) - lines} earlier lines omitted)", *rows[-lines:]])
