"""Batch scripts: the job spec, its rendering (pure, every value quoted), writing, reading back as sbatch does."""

from __future__ import annotations

import getpass
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from kit.errors import ConfigError
from kit.pathio import write_new

DEFAULT_OUTPUT = "slurm-%j.out"
HELLO_BODY = 'echo "Hello Slurm!"'


@dataclass
class JobSpec:
    """Everything that goes into a batch script: unset options are left out (Slurm's defaults apply).

    ``extra``: more options, one per line (``"--exclusive"``); ``body``: the shell lines after them, as they are.
    """

    body: list[str] = field(default_factory=list)
    job_name: str | None = None
    output: str | None = None
    error: str | None = None
    nodes: int | None = None
    gpus: str | None = None
    time: str | None = None
    partition: str | None = None
    cpus_per_task: int | None = None
    mem: str | None = None
    extra: list[str] = field(default_factory=list)
    script_name: str = "job.sbatch"


# The workshop's order: name, logs, then resources.
SPEC_OPTIONS = (
    ("job_name", "--job-name"), ("output", "--output"), ("error", "--error"), ("nodes", "--nodes"),
    ("gpus", "--gpus"), ("time", "--time"), ("partition", "--partition"),
    ("cpus_per_task", "--cpus-per-task"), ("mem", "--mem"),
)


def _check_value(option: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{option} value {value!r} contains a line break",
                          hint=f"give {option} a single-line value")
    return value


def _split_option(entry: str) -> tuple[str, str | None]:
    text = _check_value("extra", entry.strip())
    if not text.startswith("-"):
        raise ConfigError(f"extra #SBATCH option {entry!r} does not start with '-'",
                          hint='write options as in sbatch, e.g. "--exclusive" or "--constraint=a100"')
    for sep in ("=", " "):
        if sep in text:
            name, value = text.split(sep, 1)
            return name, value.strip()
    return text, None


def render_script(spec: JobSpec) -> str:
    """The batch script's text (pure; every value shell-quoted)."""
    lines = ["#!/bin/bash"]
    for attr, option in SPEC_OPTIONS:
        value = getattr(spec, attr)
        if value is None or value == "":
            continue
        lines.append(f"#SBATCH {option} {shlex.quote(_check_value(option, str(value)))}")
    for entry in spec.extra:
        name, value = _split_option(entry)
        lines.append(f"#SBATCH {name}" if value is None else f"#SBATCH {name} {shlex.quote(value)}")
    lines.extend(spec.body)
    return "\n".join(lines) + "\n"


def hello_spec(body: list[str] | None = None) -> JobSpec:
    """The workshop's first job: ``#SBATCH --output ./%x-%j.log`` and ``echo "Hello Slurm!"`` (or ``body``)."""
    return JobSpec(body=list(body) if body is not None else [HELLO_BODY], output="./%x-%j.log",
                   script_name="hello.sbatch")


def write_script(spec: JobSpec, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a job script, refusing to overwrite a different file unless ``force``."""
    return write_new(path, render_script(spec), "job script", force=force)


_SHORT_OPTIONS = {
    "-J": "--job-name", "-o": "--output", "-e": "--error", "-N": "--nodes", "-G": "--gpus",
    "-t": "--time", "-p": "--partition", "-c": "--cpus-per-task", "-D": "--chdir",
}
_FLAG_OPTIONS = {"--exclusive", "--hold", "-H", "--requeue", "--no-requeue", "--parsable", "--wait", "-W"}


def parse_directives(text: str) -> dict[str, str]:
    """A script's ``#SBATCH`` options as sbatch reads them, up to the first command (pure).

    Long option name (short ones mapped) to value, ``""`` for a flag; the last one wins.
    """
    options: dict[str, str] = {}
    for raw in text.splitlines():  # the #! line is a comment like any other
        line = raw.strip()
        if line and not line.startswith("#"):
            break
        if not line.startswith("#SBATCH"):
            continue
        try:
            words = shlex.split(line[len("#SBATCH"):], comments=True)
        except ValueError:
            words = line[len("#SBATCH"):].split()
        i = 0
        while i < len(words):
            word = words[i]
            i += 1
            if not word.startswith("-"):
                continue
            if word.startswith("--") and "=" in word:
                name, value = word.split("=", 1)
                options[name] = value
                continue
            if len(word) > 2 and not word.startswith("--") and word[:2] in _SHORT_OPTIONS:
                options[_SHORT_OPTIONS[word[:2]]] = word[2:]  # -Jname
                continue
            name = _SHORT_OPTIONS.get(word, word)
            if word in _FLAG_OPTIONS or i >= len(words) or words[i].startswith("-"):
                options[name] = ""
            else:
                options[name] = words[i]
                i += 1
    return options


_PATTERN = re.compile(r"%(\d*)([%AaJjNnstux])")


def expand_pattern(pattern: str, *, job_id: str, job_name: str, user: str | None = None) -> str:
    """Expand the sbatch filename patterns known before the job runs (``%j %A %J %x %u %%``) (pure)."""
    user = user or getpass.getuser()

    def repl(m: re.Match[str]) -> str:
        width, code = m.group(1), m.group(2)
        value = {"%": "%", "A": job_id, "J": job_id, "j": job_id, "x": job_name, "u": user}.get(code)
        if value is None:
            return m.group(0)
        return value.zfill(int(width)) if width and value.isdigit() else value

    return _PATTERN.sub(repl, pattern)


def parse_time_limit(text: str) -> int | None:
    """Seconds in an sbatch ``--time`` value, None for no limit (pure)."""
    value = text.strip()
    if value.upper() in {"", "UNLIMITED", "INFINITE", "NONE"}:
        return None
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", value)
    if not m:
        raise ConfigError(f"--time {text!r} is not a Slurm time",
                          hint='use minutes ("30"), "HH:MM:SS" ("24:00:00") or "D-HH:MM:SS"')
    days, a, b, c = m.groups()
    if days is not None:  # D-HH[:MM[:SS]]
        return ((int(days) * 24 + int(a)) * 60 + int(b or 0)) * 60 + int(c or 0)
    if c is not None:
        return (int(a) * 60 + int(b)) * 60 + int(c)
    if b is not None:
        return int(a) * 60 + int(b)
    return int(a) * 60


def run_dir(directives: dict[str, str], cwd: Path) -> Path:
    """The folder a job runs in: ``--chdir`` (relative to ``cwd``), else ``cwd``."""
    chdir = directives.get("--chdir")
    return (cwd / chdir) if chdir else cwd


def log_patterns(directives: dict[str, str]) -> tuple[str, str]:
    """The ``--output`` and ``--error`` patterns (``slurm-%j.out``, error with output when unset)."""
    output = directives.get("--output") or DEFAULT_OUTPUT
    return output, directives.get("--error") or output


def needs_job_id(pattern: str) -> bool:
    """Whether the log folder itself is named after the job id (so it can only be made after sbatch)."""
    return bool(re.search(r"%\d*[AJj]", os.path.dirname(pattern)))
