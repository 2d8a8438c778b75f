"""The kit's error hierarchy.

Every error a user can meet derives from :class:`KitError`. Its text says what
went wrong, shows the evidence (the command, its stderr, a log tail) and ends
with what to do next. The CLI maps each class to an exit code in one place
(:mod:`kit.cli`).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


class KitError(Exception):
    """Base class: a failure the user can act on.

    Args:
        message: One line saying what went wrong.
        hint: What to do next (printed after ``What to do:``).
        details: Evidence such as stderr or a log tail, printed indented.
    """

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


class CheckFailed(KitError):
    """A check ran and found something missing or different; the report printed above says what."""

    exit_code = 1


class ExitStatus(KitError):
    """A program the user ran through the kit (``kit container exec``) exited non-zero: pass its status on."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.exit_code = status


class ConfigError(KitError):
    """Bad input: a file, line or option the user wrote. Says where and how to fix it."""

    exit_code = 2


class CommandError(KitError):
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


class SlurmError(KitError):
    """Anything that went wrong talking to Slurm."""

    exit_code = 5


class SubmissionError(SlurmError):
    """sbatch refused the job."""


class JobFailed(SlurmError):
    """A job reached a terminal state other than COMPLETED."""

    def __init__(self, message: str, *, state: str, exit_code: int | None, reason: str | None,
                 hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message, hint=hint, details=details)
        self.state = state
        self.job_exit_code = exit_code
        self.reason = reason


class WaitTimeout(SlurmError):
    """A job did not finish within the time we were willing to wait."""


class ContainerError(KitError):
    """A container runtime step failed or cannot run here."""

    exit_code = 6


class DefFileError(ConfigError):
    """A container definition file is invalid; names the file and line."""


class DiskSpaceError(ContainerError):
    """Not enough free space for a pull or build."""


class DataError(KitError):
    """A corpus could not be found or read."""

    exit_code = 7


class HubUnreachable(DataError):
    """The Hugging Face hub cannot be reached (offline machine or blocked network)."""


class TrainError(KitError):
    """Training or evaluation could not run."""

    exit_code = 8


class LessonError(KitError):
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
