"""The kit's errors: the workshop's own, on the engine's base (``KitError`` is :class:`litmarp.errors.Error`),
whose generic errors (bad input, a failed command, a lesson) the kit uses as they are."""

from __future__ import annotations

from litmarp.errors import CommandError, CommandNotFound, ConfigError, LessonError, tail
from litmarp.errors import Error as KitError

__all__ = ["CheckFailed", "CommandError", "CommandNotFound", "ConfigError", "ContainerError", "DataError",
           "DefFileError", "DiskSpaceError", "ExitStatus", "HubUnreachable", "JobFailed", "KitError", "LessonError",
           "SlurmError", "SubmissionError", "TrainError", "WaitTimeout", "tail"]


class CheckFailed(KitError):
    """A check ran and found something missing or different; the report printed above says what."""

    exit_code = 1


class ExitStatus(KitError):
    """A program the user ran through the kit (``kit container exec``) exited non-zero: pass its status on."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.exit_code = status


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
