"""Slurm jobs from Python: write the script, submit it, watch it, read its logs.

The workshop's second half in code::

    from kit import slurm
    from kit.sites import load_site

    site = load_site("ci")
    spec = slurm.train_spec(site)                 # the workshop's train.sbatch
    slurm.write_script(spec, "train.sbatch")      # refuses to clobber a different file
    job = slurm.submit("train.sbatch", site=site) # sbatch --parsable
    slurm.wait(job, timeout=600)                  # state changes + the log growing
    print(slurm.logs(job))

Scripts come from a pure function (:func:`render_script`) with every value
quoted. Everything read back from Slurm (``sbatch --parsable``, ``squeue``,
``scontrol show job -o``, the jobcomp text file, ``sacct``) goes through small
pure parsers tested on captured real output (``tests/data/slurm/``).

Where Slurm is absent (no ``sbatch`` on PATH) or the site profile says
``slurm.executor = "local"``, a *local executor* runs the same script in the
background (with its ``#!`` interpreter: bash for the workshop's scripts), with
``SLURM_JOB_ID``/``SLURM_JOB_NAME`` set, ``%x``/``%j`` expanded in the log paths
and the ``--time`` limit enforced. It says clearly that it is not Slurm: its job
ids look like ``local-3``.
"""

from __future__ import annotations

import difflib
import getpass
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kit import proc
from kit.errors import ConfigError, JobFailed, KitError, SlurmError, SubmissionError, WaitTimeout, tail

if TYPE_CHECKING:
    from kit.sites import Site

log = logging.getLogger("kit.slurm")

#: States after which a job never changes again.
TERMINAL_STATES = frozenset({
    "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
    "BOOT_FAIL", "DEADLINE",
})
#: ``squeue -o`` format used everywhere; the name goes last because it may contain the separator.
QUEUE_FORMAT = "%i|%P|%u|%T|%M|%l|%D|%R|%j"
#: Columns asked from ``sacct -P`` (also valid with ``sacct -c``, which reads the jobcomp file).
SACCT_FIELDS = "JobID,JobName,State,ExitCode,Start,End,NodeList,WorkDir"
LOCAL_PREFIX = "local-"
DEFAULT_OUTPUT = "slurm-%j.out"
HELLO_BODY = 'echo "Hello Slurm!"'
#: Seconds between SIGTERM and SIGKILL when the local executor enforces --time (Slurm's KillWait).
LOCAL_KILL_WAIT = 5.0


# --- job scripts ----------------------------------------------------------------


@dataclass
class JobSpec:
    """Everything that goes into a batch script.

    Unset (``None`` or empty) options are left out of the script, so Slurm's
    defaults apply. ``extra`` holds further options such as ``"--exclusive"`` or
    ``"--constraint=a100"``; ``body`` holds the shell lines after the
    ``#SBATCH`` block, written as they are.

    Attributes:
        body: The commands the job runs, one line each.
        job_name: ``--job-name`` (``%x`` in log paths); default: the script's file name.
        output: ``--output`` pattern; default ``slurm-%j.out``.
        error: ``--error`` pattern; default: same file as ``output``.
        nodes: ``--nodes``.
        gpus: ``--gpus``, e.g. ``"tesla:1"``.
        time: ``--time``, e.g. ``"24:00:00"``.
        partition: ``--partition``.
        cpus_per_task: ``--cpus-per-task``.
        mem: ``--mem``, e.g. ``"8G"``.
        extra: More options, one per ``#SBATCH`` line (``"--opt=value"``, ``"--opt value"`` or ``"--flag"``).
        shell: The interpreter on the ``#!`` line.
        script_name: File name used when :func:`submit` writes the script itself.
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
    shell: str = "/bin/bash"
    script_name: str = "job.sbatch"


# The workshop's order: name, logs, then resources.
_SPEC_OPTIONS = (
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
    """Split an extra option ``"--opt=value"`` / ``"--opt value"`` / ``"--flag"``."""
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
    """Render a job spec as batch-script text (pure; every value shell-quoted).

    Args:
        spec: The job spec.

    Returns:
        The script, ending with a newline.

    Raises:
        ConfigError: a value spans lines or an extra option is malformed.
    """
    lines = [f"#!{spec.shell}"]
    for attr, option in _SPEC_OPTIONS:
        value = getattr(spec, attr)
        if value is None or value == "":
            continue
        lines.append(f"#SBATCH {option} {shlex.quote(_check_value(option, str(value)))}")
    for entry in spec.extra:
        name, value = _split_option(entry)
        lines.append(f"#SBATCH {name}" if value is None else f"#SBATCH {name} {shlex.quote(value)}")
    lines.extend(spec.body)
    return "\n".join(lines) + "\n"


def shell_line(argv: Sequence[str]) -> str:
    """One body line from a command list, every word shell-quoted (``shlex.join``)."""
    return shlex.join([str(a) for a in argv])


def container_command(site: Site, argv: Sequence[str] = ("python3", "bart_finetuning.py")) -> str:
    """The workshop's ``singularity exec --nv env.sif ...`` line for ``site`` (shell-quoted)."""
    c = site.container
    return shell_line([c.command, "exec", *(["--nv"] if c.gpu else []), c.sif, *argv])


def train_spec(site: Site, body: list[str] | None = None, job_name: str | None = None) -> JobSpec:
    """The workshop's ``train.sbatch`` with the ``#SBATCH`` values of a site profile.

    Args:
        site: A loaded site profile (its ``[slurm]`` and ``[container]`` tables).
        body: The job's commands; default the workshop's
            ``singularity exec --nv env.sif python3 bart_finetuning.py``
            (from ``container.command``, ``container.gpu`` and ``container.sif``).
        job_name: Overrides ``slurm.job_name``.

    Returns:
        The job spec (``script_name`` ``train.sbatch``).
    """
    s = site.slurm
    return JobSpec(
        body=list(body) if body is not None else [container_command(site)],
        job_name=job_name or s.job_name,
        output=s.output or None,
        error=s.error or None,
        nodes=s.nodes or None,
        gpus=s.gpus or None,
        time=s.time or None,
        partition=s.partition or None,
        cpus_per_task=s.cpus_per_task or None,
        mem=s.mem or None,
        extra=list(s.extra),
        script_name="train.sbatch",
    )


def hello_spec(body: list[str] | None = None, output: str = "./%x-%j.log") -> JobSpec:
    """The workshop's first job: ``#SBATCH --output ./%x-%j.log`` and ``echo "Hello Slurm!"``.

    Args:
        body: Commands to run instead of the echo (e.g. a ``python -m kit ...`` line).
        output: The ``--output`` pattern.
    """
    return JobSpec(body=list(body) if body is not None else [HELLO_BODY], output=output,
                   script_name="hello.sbatch")


def write_script(spec: JobSpec | str, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a job script, refusing to overwrite a different file unless ``force``.

    Args:
        spec: A job spec, or script text.
        path: Where to write it (parent folders are created).
        force: Overwrite a file with different content.

    Returns:
        The path written (unchanged when it already held the same text).

    Raises:
        ConfigError: ``path`` exists with other content and ``force`` is false.
    """
    text = spec if isinstance(spec, str) else render_script(spec)
    target = Path(path)
    if target.exists():
        old = target.read_text(errors="replace")
        if old == text:
            return target
        if not force:
            diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                str(target), "new script"))
            raise ConfigError(
                f"{target} already exists with different content; not overwriting it",
                hint="pass force=True (CLI: --force) to replace it, or write to another path",
                details=tail(diff, 30),
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(target)
    return target


# --- reading scripts: directives, patterns, time limits ----------------------------

_SHORT_OPTIONS = {
    "-J": "--job-name", "-o": "--output", "-e": "--error", "-N": "--nodes", "-G": "--gpus",
    "-t": "--time", "-p": "--partition", "-c": "--cpus-per-task", "-D": "--chdir",
}
_FLAG_OPTIONS = {"--exclusive", "--hold", "-H", "--requeue", "--no-requeue", "--parsable", "--wait", "-W"}


def parse_directives(text: str) -> dict[str, str]:
    """Read the ``#SBATCH`` options of a script as sbatch does (pure).

    Options are read up to the first line that is neither blank nor a comment.
    Short options are mapped to their long names; flags map to ``""``.

    Args:
        text: The script.

    Returns:
        Long option name (e.g. ``"--job-name"``) to value; the last one wins.
    """
    options: dict[str, str] = {}
    for raw in text.splitlines()[1:] if text.startswith("#!") else text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
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
    """Expand sbatch filename patterns known before the job runs (pure).

    ``%j``/``%A``/``%J`` become the job id, ``%x`` the job name, ``%u`` the user,
    ``%%`` a percent sign; node/step/task patterns stay as they are.
    """
    user = user or getpass.getuser()

    def repl(m: re.Match[str]) -> str:
        width, code = m.group(1), m.group(2)
        value = {"%": "%", "A": job_id, "J": job_id, "j": job_id, "x": job_name, "u": user}.get(code)
        if value is None:
            return m.group(0)
        return value.zfill(int(width)) if width and value.isdigit() else value

    return _PATTERN.sub(repl, pattern)


def parse_time_limit(text: str) -> int | None:
    """Seconds in an sbatch ``--time`` value, None for no limit (pure).

    Accepts ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``,
    ``UNLIMITED``/``INFINITE``.

    Raises:
        ConfigError: not a valid time.
    """
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


# --- parsers for Slurm's output ------------------------------------------------------


def parse_sbatch_parsable(text: str) -> tuple[str, str | None]:
    """``sbatch --parsable`` prints ``jobid`` or ``jobid;cluster`` (pure).

    Returns:
        ``(job_id, cluster or None)``.

    Raises:
        SlurmError: the text is not such a line.
    """
    line = text.strip().splitlines()[-1].strip() if text.strip() else ""
    m = re.fullmatch(r"(\d+)(?:;(\S+))?", line)
    if not m:
        raise SlurmError(f"could not read a job id from sbatch --parsable output {text!r}",
                         hint="run the sbatch command by hand to see what it printed")
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class QueueRow:
    """One line of ``squeue -o QUEUE_FORMAT``."""

    job_id: str
    partition: str
    user: str
    state: str
    time: str
    time_limit: str
    nodes: str
    nodelist: str | None  # where it runs (running or finished jobs)
    reason: str | None  # why it waits or ended (shown in parentheses by squeue)
    name: str


def parse_squeue(text: str) -> list[QueueRow]:
    """Parse ``squeue -h -o '%i|%P|%u|%T|%M|%l|%D|%R|%j'`` output (pure)."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split("|", 8)
        if len(parts) != 9:
            raise SlurmError(f"unexpected squeue line {line!r}", hint=f"expected the format {QUEUE_FORMAT}")
        job_id, partition, user, state, elapsed, limit, nodes, where, name = parts
        reason = where[1:-1] if where.startswith("(") and where.endswith(")") else None
        rows.append(QueueRow(job_id.strip(), partition, user, normalize_state(state), elapsed, limit, nodes,
                             None if reason is not None or not where else where, reason, name))
    return rows


_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][\w:/.]*)=")


def parse_key_values(line: str) -> dict[str, str]:
    """Split ``Key=value Key=value`` text (``scontrol show job -o``, jobcomp lines) (pure).

    A value runs until the next ``Key=`` that follows whitespace, so values with
    spaces (``JobName=my job``) and with ``=`` (``TRES=cpu=1,mem=1G``) survive.
    """
    matches = list(_KEY.finditer(line))
    out: dict[str, str] = {}
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        end = nxt.start() if nxt else len(line)
        out[m.group(1)] = line[m.end():end].strip()
    return out


def parse_scontrol_job(text: str) -> dict[str, str]:
    """Parse ``scontrol show job -o ID`` (one line per job; the first is used) (pure)."""
    for line in text.splitlines():
        if line.strip():
            return parse_key_values(line.strip())
    return {}


def parse_jobcomp(text: str) -> list[dict[str, str]]:
    """Parse the ``jobcomp/filetxt`` file: one ``JobId=... JobState=...`` line per job (pure)."""
    return [parse_key_values(line.strip()) for line in text.splitlines() if line.strip()]


def parse_sacct(text: str) -> list[dict[str, str]]:
    """Parse ``sacct -P`` output with its header line (pure); also fits ``sacct -c``."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0].split("|")
    return [dict(zip(header, line.split("|", len(header) - 1), strict=False)) for line in lines[1:]]


def parse_exit_code(text: str | None) -> tuple[int | None, int | None]:
    """``"3:0"`` -> ``(3, 0)``: exit code and the signal that ended the job (pure)."""
    if not text:
        return None, None
    m = re.fullmatch(r"\s*(\d+)(?::(\d+))?\s*", text)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) is not None else None


def normalize_state(text: str) -> str:
    """``"CANCELLED by 0"`` / ``"CANCELLED+"`` -> ``"CANCELLED"`` (pure)."""
    words = text.strip().split()
    return words[0].rstrip("+").upper() if words else "UNKNOWN"


# --- jobs and their states -------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A submitted job.

    Attributes:
        id: Slurm's job id, or ``local-N`` for the local executor.
        name: The job name (``%x``).
        script: The batch script submitted.
        stdout: The ``--output`` file (patterns expanded, absolute).
        stderr: The ``--error`` file (same as ``stdout`` when not set).
        cwd: The folder the job runs in.
        executor: ``"slurm"`` or ``"local"``.
    """

    id: str
    name: str
    script: Path | None
    stdout: Path | None
    stderr: Path | None
    cwd: Path
    executor: str

    def __str__(self) -> str:
        via = "Slurm" if self.executor == "slurm" else "the local executor (not Slurm)"
        return f"job {self.id} ({self.name}) via {via}"


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands.

    Attributes:
        job_id: The job.
        state: Slurm's state name (``PENDING``, ``RUNNING``, ``COMPLETED``, ...).
        reason: Why it waits or ended (``Priority``, ``NonZeroExitCode``, ...), if any.
        exit_code: The script's exit code once known.
        signal: The signal that ended it, if any.
        elapsed: Run time as Slurm prints it.
        nodes: Where it ran.
        source: What answered: squeue, scontrol, sacct, jobcomp or local.
    """

    job_id: str
    state: str
    reason: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    elapsed: str | None = None
    nodes: str | None = None
    source: str = ""

    @property
    def terminal(self) -> bool:
        """True once the job can no longer change."""
        return self.state in TERMINAL_STATES

    @property
    def ok(self) -> bool:
        """True when the job completed successfully."""
        return self.state == "COMPLETED"

    def __str__(self) -> str:
        text = self.state
        if self.reason and self.reason != "None":
            text += f" ({self.reason})"
        if self.exit_code is not None and self.terminal:
            text += f", exit code {self.exit_code}"
            if self.signal:
                text += f", signal {self.signal}"
        if self.nodes and self.state == "RUNNING":
            text += f" on {self.nodes}"
        return text


def _none_if_null(value: str | None) -> str | None:
    return None if value in (None, "", "None", "(null)") else value


def status_from_scontrol(fields: dict[str, str]) -> JobStatus:
    """A :class:`JobStatus` from parsed ``scontrol show job -o`` fields (pure)."""
    code, sig = parse_exit_code(fields.get("ExitCode"))
    return JobStatus(
        job_id=fields.get("JobId", ""), state=normalize_state(fields.get("JobState", "")),
        reason=_none_if_null(fields.get("Reason")), exit_code=code, signal=sig,
        elapsed=fields.get("RunTime"), nodes=_none_if_null(fields.get("NodeList")), source="scontrol",
    )


def jobcomp_as_sacct(fields: dict[str, str]) -> dict[str, str]:
    """One parsed jobcomp line in ``sacct -P`` column names, for :func:`status_from_sacct` (pure)."""
    return {"JobID": fields.get("JobId", ""), "JobName": fields.get("Name", ""),
            "State": fields.get("JobState", ""), "ExitCode": fields.get("ExitCode", ""),
            "NodeList": fields.get("NodeList", ""), "WorkDir": fields.get("WorkDir", "")}


def status_from_sacct(row: dict[str, str], source: str = "sacct") -> JobStatus:
    """A :class:`JobStatus` from one parsed ``sacct -P`` row (pure)."""
    code, sig = parse_exit_code(row.get("ExitCode"))
    return JobStatus(job_id=row.get("JobID", ""), state=normalize_state(row.get("State", "")),
                     exit_code=code, signal=sig, nodes=_none_if_null(row.get("NodeList")), source=source)


def status_from_queue_row(row: QueueRow) -> JobStatus:
    """A :class:`JobStatus` from one squeue row (no exit code: squeue does not show it) (pure)."""
    return JobStatus(job_id=row.job_id, state=row.state, reason=row.reason, elapsed=row.time,
                     nodes=row.nodelist, source="squeue")


# --- running Slurm's commands -------------------------------------------------------------

#: Seconds a Slurm command may take: a client whose controller is down retries for a while.
SLURM_TIMEOUT = 120.0
_DOWN_HINT = ("is Slurm running? `sinfo` should list a node. On a development machine start the one-node "
              "cluster (make slurm-up), or set slurm.executor = \"local\" in the site profile")


def _run(cmd: list[str], *, check: bool = True, timeout: float = SLURM_TIMEOUT,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return proc.run(cmd, check=check, timeout=timeout, cwd=cwd, hint=_DOWN_HINT)


# --- choosing the executor ---------------------------------------------------------------


def _site(site: Site | str | None) -> Site | None:
    if isinstance(site, str):
        from kit.sites import load_site

        return load_site(site)
    return site


def executor_for(site: Site | str | None = None) -> str:
    """``"slurm"`` or ``"local"``: the site's ``slurm.executor``, where ``auto`` means Slurm if sbatch exists."""
    site = _site(site)
    choice = site.slurm.executor if site is not None else "auto"
    if choice == "auto":
        return "slurm" if proc.which("sbatch") else "local"
    return choice


def _gpu_hint(site: Site | None, requested: str) -> str:
    offered = ""
    try:
        res = _run(["sinfo", "-h", "-o", "%G"], check=False, timeout=30)
        offered = ", ".join(sorted({g for g in res.stdout.split() if g and g != "(null)"}))
    except KitError:
        pass
    where = (f"slurm.gpus = {site.slurm.gpus!r} in {site.files[-1]}" if site is not None
             else "slurm.gpus in your site profile (sites/<name>.toml)")
    return (f"this cluster cannot give --gpus {requested}: the site profile's GPU setting ({where}) does not "
            f"match this cluster, which offers {offered or 'no GPUs'} (sinfo -o %G). Set slurm.gpus to a "
            f"type:count it offers, or \"\" to ask for no GPU")


# --- submit --------------------------------------------------------------------------------


def _job_dirs(directives: dict[str, str], cwd: Path) -> Path:
    chdir = directives.get("--chdir")
    return (cwd / chdir) if chdir else cwd


def _log_patterns(directives: dict[str, str]) -> tuple[str, str]:
    output = directives.get("--output") or DEFAULT_OUTPUT
    return output, directives.get("--error") or output


def _needs_id(pattern: str) -> bool:
    return bool(re.search(r"%\d*[AJj]", os.path.dirname(pattern)))


def submit(spec_or_path: JobSpec | str | os.PathLike[str], *, site: Site | str | None = None,
           cwd: str | os.PathLike[str] | None = None) -> Job:
    """Submit a job with ``sbatch --parsable`` (or the local executor).

    The folders of ``--output``/``--error`` are created first: Slurm accepts a job
    whose log folder is missing and then fails it (``JobLaunchFailure``) without
    writing a log anywhere.

    Args:
        spec_or_path: A job spec (written to ``cwd/.kit-jobs/<n>/<script_name>``)
            or the path of a batch script (relative to ``cwd``).
        site: Site profile (or its name): picks the executor and names the GPU
            setting in errors. None: ``auto`` (Slurm if sbatch exists).
        cwd: The folder to submit from (the job's working folder); default the current one.

    Returns:
        The job.

    Raises:
        ConfigError: the script does not exist.
        SubmissionError: sbatch refused the job (its stderr, and for GPU
            requests the site profile's GPU setting).
    """
    site = _site(site)
    workdir = Path(cwd).resolve() if cwd is not None else Path.cwd()
    if isinstance(spec_or_path, JobSpec):
        folder = workdir / ".kit-jobs"
        folder.mkdir(parents=True, exist_ok=True)
        script = write_script(spec_or_path, Path(tempfile.mkdtemp(dir=folder)) / spec_or_path.script_name)
    else:
        script = Path(spec_or_path)
        script = (workdir / script) if not script.is_absolute() else script
        if not script.is_file():
            raise ConfigError(f"job script {script} does not exist",
                              hint="check the path, or write one with kit.slurm.write_script()")
    text = script.read_text(errors="replace")
    directives = parse_directives(text)
    name = directives.get("--job-name") or script.name
    rundir = _job_dirs(directives, workdir)
    executor = executor_for(site)
    if executor == "local":
        return _local_submit(script, text, directives, name, rundir)
    return _slurm_submit(script, directives, name, workdir, rundir, site)


def _slurm_submit(script: Path, directives: dict[str, str], name: str, workdir: Path, rundir: Path,
                  site: Site | None) -> Job:
    output, error = _log_patterns(directives)
    hold = any(_needs_id(p) for p in (output, error))
    if not hold:
        for pattern in {output, error}:
            (rundir / expand_pattern(pattern, job_id="0", job_name=name)).parent.mkdir(parents=True, exist_ok=True)
    # A folder named after the job id can only be made once the id is known:
    # submit held, make the folder, then release.
    cmd = ["sbatch", "--parsable", *(["--hold"] if hold else []), str(script)]
    res = _run(cmd, cwd=workdir, check=False)
    if res.returncode != 0:
        stderr = (res.stderr or res.stdout).strip()
        hint = "read sbatch's message above, fix the #SBATCH line it names and submit again"
        gpus = directives.get("--gpus") or directives.get("--gres")
        if gpus is not None and re.search(r"gres|node configuration is not available", stderr, re.I):
            hint = _gpu_hint(site, gpus)
        elif re.search(r"configuration (source|file)|Unable to contact slurm controller|Connection refused",
                       stderr):
            hint = "Slurm is installed but not reachable: " + _DOWN_HINT
        raise SubmissionError(f"sbatch refused {script}", hint=hint, details=stderr)
    job_id, _cluster = parse_sbatch_parsable(res.stdout)
    stdout = rundir / expand_pattern(output, job_id=job_id, job_name=name)
    stderr_path = rundir / expand_pattern(error, job_id=job_id, job_name=name)
    if hold:
        for path in {stdout, stderr_path}:
            path.parent.mkdir(parents=True, exist_ok=True)
        _run(["scontrol", "release", job_id])
    # Slurm's own view of the paths wins where it knows them (absolute, all patterns).
    fields = parse_scontrol_job(_run(["scontrol", "show", "job", "-o", job_id], check=False).stdout)
    job = Job(id=job_id, name=fields.get("JobName") or name, script=script,
              stdout=Path(fields["StdOut"]) if fields.get("StdOut") else stdout,
              stderr=Path(fields["StdErr"]) if fields.get("StdErr") else stderr_path,
              cwd=rundir, executor="slurm")
    log.info("submitted %s", job)
    return job


# --- status, cancel, logs, queue -------------------------------------------------------------


def get_job(job_id: str | int) -> Job:
    """Rebuild a :class:`Job` from its id (``scontrol show job``, or the local executor's record).

    Raises:
        SlurmError: Slurm does not know the job (any more).
    """
    job_id = str(job_id)
    if job_id.startswith(LOCAL_PREFIX):
        return _local_job(_load_record(job_id))
    res = _run(["scontrol", "show", "job", "-o", job_id], check=False)
    fields = parse_scontrol_job(res.stdout) if res.returncode == 0 else {}
    if fields:
        return Job(id=job_id, name=fields.get("JobName", ""),
                   script=Path(fields["Command"]) if _none_if_null(fields.get("Command")) else None,
                   stdout=Path(fields["StdOut"]) if fields.get("StdOut") else None,
                   stderr=Path(fields["StdErr"]) if fields.get("StdErr") else None,
                   cwd=Path(fields.get("WorkDir") or "."), executor="slurm")
    row = _accounting_row(job_id)
    if row is None:
        raise SlurmError(f"Slurm knows no job {job_id}",
                         hint="check the id with `python -m kit slurm queue`; finished jobs are forgotten "
                              "after MinJobAge", details=res.stderr.strip() or None)
    return Job(id=job_id, name=row.get("JobName", ""), script=None, stdout=None, stderr=None,
               cwd=Path(row.get("WorkDir") or "."), executor="slurm")


def _as_job(job: Job | str | int) -> Job:
    return job if isinstance(job, Job) else get_job(job)


def parse_show_config(text: str) -> dict[str, str]:
    """Parse ``scontrol show config`` (``Key   = value`` lines) (pure)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+= ?(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _accounting_row(job_id: str) -> dict[str, str] | None:
    """The finished job's record, in sacct's column names (``JobID``, ``JobName``, ``State``, ...).

    Asks ``sacct`` (slurmdbd); without accounting storage, reads the
    ``jobcomp/filetxt`` file (``sacct -c`` reads it too, but splits job names
    that contain spaces and then loses the state).
    """
    res = _run(["sacct", "-X", "-P", "-j", job_id, "-o", SACCT_FIELDS], check=False)
    if res.returncode == 0:
        rows = [r for r in parse_sacct(res.stdout) if r.get("JobID") == job_id]
        return rows[-1] if rows else None
    if "disabled" not in (res.stderr or ""):
        return None
    config = parse_show_config(_run(["scontrol", "show", "config"], check=False).stdout)
    location = config.get("JobCompLoc", "")
    if config.get("JobCompType") == "jobcomp/filetxt" and os.access(location, os.R_OK):
        with open(location, errors="replace") as fh:
            found = [r for r in parse_jobcomp(fh.read()) if r.get("JobId") == job_id]
        return jobcomp_as_sacct(found[-1]) if found else None
    res = _run(["sacct", "-c", "-P", "-j", job_id, "-o", SACCT_FIELDS], check=False)
    rows = [r for r in parse_sacct(res.stdout) if r.get("JobID") == job_id] if res.returncode == 0 else []
    return rows[-1] if rows else None


def status(job: Job | str | int) -> JobStatus:
    """The job's state: ``squeue``, then ``scontrol show job``, then accounting (``sacct``/jobcomp).

    Raises:
        SlurmError: Slurm does not answer, or does not know the job.
    """
    job = _as_job(job)
    if job.executor == "local":
        return _local_status(job)
    res = _run(["squeue", "-h", "-t", "all", "-j", job.id, "-o", QUEUE_FORMAT], check=False)
    if res.returncode == 0:
        rows = [r for r in parse_squeue(res.stdout) if r.job_id == job.id]
        if rows and not status_from_queue_row(rows[0]).terminal:
            return status_from_queue_row(rows[0])
    elif "Invalid job id" not in (res.stderr or ""):
        raise SlurmError(f"squeue failed for job {job.id}", details=(res.stderr or res.stdout).strip(),
                         hint=_DOWN_HINT)
    # Finished (or unknown to squeue): scontrol has the exit code and reason.
    res = _run(["scontrol", "show", "job", "-o", job.id], check=False)
    fields = parse_scontrol_job(res.stdout) if res.returncode == 0 else {}
    if fields.get("JobState"):
        return status_from_scontrol(fields)
    row = _accounting_row(job.id)
    if row is None:
        raise SlurmError(f"Slurm knows no job {job.id}", hint="check the id with `python -m kit slurm queue`")
    return status_from_sacct(row)


def cancel(job: Job | str | int) -> None:
    """Cancel a job (``scancel``; the local executor signals the job's process group)."""
    job = _as_job(job)
    if job.executor == "local":
        _local_cancel(job)
        return
    _run(["scancel", job.id])


@dataclass(frozen=True)
class JobLogs:
    """A job's log files and their last lines."""

    stdout: Path | None
    stderr: Path | None
    stdout_tail: str
    stderr_tail: str

    def __str__(self) -> str:
        parts = []
        same = self.stdout == self.stderr
        for label, path, text in (("output", self.stdout, self.stdout_tail),
                                  ("error", self.stderr, self.stderr_tail)):
            if label == "error" and same:
                continue
            parts.append(f"--- {label}: {path} ---")
            parts.append(text if text else "(empty)" if path and path.exists() else "(not written yet)")
        return "\n".join(parts)


def _read_tail(path: Path | None, lines: int) -> str:
    if path is None or not path.is_file():
        return ""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))  # a tail never needs more than the last 64 KiB
        text = fh.read().decode(errors="replace")
    rows = [_last_segment(r) for r in text.splitlines()]
    return tail("\n".join(rows), lines) if rows else ""


def _last_segment(line: str) -> str:
    # Progress bars redraw with \r: keep what the terminal would finally show.
    parts = [p for p in line.split("\r") if p.strip()]
    return parts[-1] if parts else ""


def logs(job: Job | str | int, lines: int = 20) -> JobLogs:
    """The job's log paths and their last ``lines`` lines."""
    job = _as_job(job)
    return JobLogs(job.stdout, job.stderr, _read_tail(job.stdout, lines),
                   _read_tail(job.stderr, lines) if job.stderr != job.stdout else "")


class Queue(list[QueueRow]):
    """Rows of :func:`queue`; prints as a table."""

    def __str__(self) -> str:
        head = ("JOBID", "PARTITION", "NAME", "USER", "STATE", "TIME", "LIMIT", "NODES", "NODELIST(REASON)")
        rows = [head] + [(r.job_id, r.partition, r.name, r.user, r.state, r.time, r.time_limit, r.nodes,
                          r.nodelist or (f"({r.reason})" if r.reason else "")) for r in self]
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
        return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                         for row in rows)


def queue(*, all_users: bool = False) -> Queue:
    """Pending and running jobs (the current user's unless ``all_users``), Slurm's and local ones."""
    rows: list[QueueRow] = []
    if proc.which("squeue"):
        cmd = ["squeue", "-h", "-o", QUEUE_FORMAT, *([] if all_users else ["-u", getpass.getuser()])]
        rows.extend(parse_squeue(_run(cmd).stdout))
    for record in _local_records():
        job = _local_job(record)
        st = _local_status(job, record)
        if not st.terminal:
            rows.append(QueueRow(job.id, "local", record.get("user", ""), st.state, "", record.get("time", ""),
                                 "1", "localhost" if st.state == "RUNNING" else None,
                                 None if st.state == "RUNNING" else "NotSlurm", job.name))
    return Queue(rows)


# --- wait --------------------------------------------------------------------------------------


class _Follower:
    """Prints lines appended to the job's logs since the last look."""

    def __init__(self, job: Job, out: TextIO, max_lines: int = 200) -> None:
        self.out = out
        self.max_lines = max_lines
        self.files: list[tuple[str, Path]] = []
        if job.stdout is not None:
            self.files.append(("out" if job.stderr not in (None, job.stdout) else "log", job.stdout))
        if job.stderr is not None and job.stderr != job.stdout:
            self.files.append(("err", job.stderr))
        self.offsets = {path: 0 for _, path in self.files}

    def poll(self, final: bool = False) -> None:
        for label, path in self.files:
            try:
                with path.open("rb") as fh:
                    fh.seek(self.offsets[path])
                    data = fh.read()
            except OSError:
                continue
            if not final:
                data = data[: data.rfind(b"\n") + 1]  # whole lines only; the rest comes next time
            self.offsets[path] += len(data)
            rows = [_last_segment(r) for r in data.decode(errors="replace").splitlines()]
            if len(rows) > self.max_lines:
                print(f"  {label}| ... ({len(rows) - self.max_lines} lines skipped)", file=self.out)
                rows = rows[-self.max_lines:]
            for row in rows:
                print(f"  {label}| {row}", file=self.out)
        self.out.flush()


def wait(job: Job | str | int, timeout: float = 3600, follow: bool = True, poll: float = 5.0,
         out: TextIO | None = None, raise_on_failure: bool = True) -> JobStatus:
    """Wait for a job to end, showing state changes and (``follow``) new log lines.

    Polls with backoff from 0.2 s up to ``poll`` seconds.

    Args:
        job: The job (or its id).
        timeout: Seconds to wait at most.
        follow: Print lines as they are added to the logs.
        poll: Longest pause between two looks.
        out: Where to print (default ``sys.stdout`` at call time, so notebooks show it).
        raise_on_failure: Raise :class:`JobFailed` for an end other than ``COMPLETED``
            (False: return that status, e.g. to show a cancelled job).

    Returns:
        The final status (``COMPLETED`` unless ``raise_on_failure`` is false).

    Raises:
        JobFailed: the job ended in any other state (with exit code, reason and both logs' tails).
        WaitTimeout: it was still not finished after ``timeout`` seconds.
    """
    job = _as_job(job)
    out = out if out is not None else sys.stdout
    follower = _Follower(job, out) if follow else None
    start = time.monotonic()
    delay = min(0.2, poll)
    last = ""
    while True:
        st = status(job)
        shown = str(st)
        if shown != last:
            print(f"[{time.monotonic() - start:6.1f}s] job {job.id} ({job.name}): {shown}", file=out, flush=True)
            last = shown
        if follower:
            follower.poll(final=st.terminal)
        if st.terminal:
            break
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            raise WaitTimeout(
                f"{job} is still {st.state} after {timeout:g} s",
                hint=f"wait again (kit.slurm.wait), or cancel it (python -m kit slurm cancel {job.id})",
                details=str(logs(job, 10)),
            )
        time.sleep(min(delay, left))
        delay = min(delay * 1.5, poll)
    if not st.ok and raise_on_failure:
        raise job_failed(job, st)
    return st


_FAIL_HINTS = {
    "TIMEOUT": "the job hit its --time limit: raise slurm.time in the site profile (or #SBATCH --time), "
               "or make the job shorter",
    "OUT_OF_MEMORY": "the job ran out of memory: ask for more with --mem (slurm.mem in the site profile)",
    "CANCELLED": "the job was cancelled (scancel, or an administrator); submit it again if that was a mistake",
    "NODE_FAIL": "the node failed under the job: submit it again; tell the administrators if it repeats",
    "PREEMPTED": "a higher-priority job took the resources: submit it again",
    "BOOT_FAIL": "the node could not boot: submit it again; tell the administrators if it repeats",
    "DEADLINE": "the job missed its --deadline",
}


def job_failed(job: Job, st: JobStatus) -> JobFailed:
    """Build the :class:`JobFailed` error for a job that ended in ``st`` (reads both logs' tails)."""
    lines = []
    for label, path in (("output", job.stdout), ("error", job.stderr)):
        if path is None or (label == "error" and path == job.stdout):
            continue
        text = _read_tail(path, 20)
        lines.append(f"--- last lines of {label} {path} ---")
        lines.append(text if path.is_file() else "(no such file: the job wrote nothing there)")
    if st.reason == "JobLaunchFailure":
        hint = ("Slurm could not start the job, usually because the folder of --output/--error does not exist "
                "on the node: create it (kit.slurm.submit does this for you) and submit again")
    elif st.state == "FAILED":
        hint = "the script exited with an error: read the log tail above, fix the cause and submit again"
    else:
        hint = _FAIL_HINTS.get(st.state, "read the log tail above")
    code = f"exit code {st.exit_code}" if st.exit_code is not None else "no exit code"
    reason = f", reason {st.reason}" if st.reason else ""
    return JobFailed(f"{job} ended {st.state} ({code}{reason})", state=st.state, exit_code=st.exit_code,
                     reason=st.reason, hint=hint, details="\n".join(lines))


# --- local executor -----------------------------------------------------------------------------
#
# Not Slurm: a job is `bash SCRIPT` in its own session, watched by a small Python
# process (`python -m kit.slurm --run-local RECORD`) that enforces --time and
# writes the final state into a JSON record, so status() works from any process.

_LOCAL_CHILDREN: list[subprocess.Popen[bytes]] = []  # reaped in status() so no zombies pile up


def local_jobs_dir() -> Path:
    """Where the local executor keeps its job records (``$KIT_LOCAL_JOBS`` or ``$XDG_STATE_HOME/kit/local-jobs``)."""
    if os.environ.get("KIT_LOCAL_JOBS"):
        return Path(os.environ["KIT_LOCAL_JOBS"])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "kit" / "local-jobs"


def _record_path(job_id: str) -> Path:
    return local_jobs_dir() / f"{job_id[len(LOCAL_PREFIX):]}.json"


def _load_record(job_id: str) -> dict:
    path = _record_path(job_id)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SlurmError(f"no local job {job_id} (looked for {path})",
                         hint="check the id with `python -m kit slurm queue`") from None


def _save_record(record: dict) -> None:
    path = _record_path(record["id"])
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)


def _local_records() -> Iterable[dict]:
    folder = local_jobs_dir()
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return records


def _new_local_id() -> str:
    folder = local_jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    n = max((int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()), default=0) + 1
    while True:
        try:  # O_EXCL: two submitters never get the same id
            os.close(os.open(folder / f"{n}.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return f"{LOCAL_PREFIX}{n}"
        except FileExistsError:
            n += 1


def _local_job(record: dict) -> Job:
    return Job(id=record["id"], name=record["name"], script=Path(record["script"]),
               stdout=Path(record["stdout"]), stderr=Path(record["stderr"]), cwd=Path(record["cwd"]),
               executor="local")


def _local_submit(script: Path, text: str, directives: dict[str, str], name: str, rundir: Path) -> Job:
    job_id = _new_local_id()
    output, error = _log_patterns(directives)
    stdout = rundir / expand_pattern(output, job_id=job_id, job_name=name)
    stderr = rundir / expand_pattern(error, job_id=job_id, job_name=name)
    for path in {stdout, stderr}:
        path.parent.mkdir(parents=True, exist_ok=True)
    limit = parse_time_limit(directives.get("--time", ""))
    record = {
        "id": job_id, "name": name, "script": str(script), "stdout": str(stdout), "stderr": str(stderr),
        "cwd": str(rundir), "time": directives.get("--time", ""), "time_limit_s": limit,
        "user": getpass.getuser(), "state": "PENDING", "submitted": time.time(),
    }
    _save_record(record)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")) if p)}
    wrapper_log = _record_path(job_id).with_suffix(".wrapper.log")
    with wrapper_log.open("wb") as fh:
        child = subprocess.Popen([sys.executable, "-m", "kit.slurm", "--run-local", job_id],
                                 stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env, start_new_session=True)
    _LOCAL_CHILDREN.append(child)
    ignored = [o for o in ("--gpus", "--gres", "--mem", "--nodes", "--partition") if o in directives]
    print(f"kit.slurm: NOT Slurm: running {job_id} ({name}) with bash in the background "
          f"(local executor{'; ignoring ' + ', '.join(ignored) if ignored else ''})", file=sys.stderr)
    return _local_job(record)


def _save_record_field(job_id: str, **values: object) -> None:
    # Re-read so a field the wrapper wrote meanwhile is not lost.
    record = _load_record(job_id)
    record.update(values)
    _save_record(record)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _local_status(job: Job, record: dict | None = None) -> JobStatus:
    for child in _LOCAL_CHILDREN[:]:
        if child.poll() is not None:
            _LOCAL_CHILDREN.remove(child)
    record = record if record is not None else _load_record(job.id)
    state = record.get("state", "PENDING")
    # The watcher records its own pid first thing; until then it counts as starting.
    starting = not record.get("wrapper_pid") and time.time() - record.get("submitted", 0) < 30
    if state not in TERMINAL_STATES and not starting and not _alive(record.get("wrapper_pid")):
        # Re-read: the wrapper may have finished between the two looks.
        record = _load_record(job.id)
        state = record.get("state", "PENDING")
        if state not in TERMINAL_STATES:
            return JobStatus(job.id, "FAILED", reason="the local executor's watcher died", source="local")
    elapsed = None
    if record.get("started"):
        seconds = int((record.get("ended") or time.time()) - record["started"])
        elapsed = f"{seconds // 60}:{seconds % 60:02d}"
    return JobStatus(job.id, state, reason=record.get("reason"), exit_code=record.get("exit_code"),
                     signal=record.get("signal"), elapsed=elapsed, nodes="localhost", source="local")


def _local_cancel(job: Job) -> None:
    record = _load_record(job.id)
    if record.get("state") in TERMINAL_STATES:
        return
    _record_path(job.id).with_suffix(".cancel").touch()
    pgid = record.get("pgid")
    if pgid:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _interpreter(script: Path) -> list[str]:
    """The command that runs ``script``: its ``#!`` line, as Slurm does, else bash."""
    with script.open(errors="replace") as fh:
        first = fh.readline().strip()
    words = shlex.split(first[2:]) if first.startswith("#!") else []
    return [*(words or ["bash"]), str(script)]


def _run_local(job_id: str) -> int:
    """The watcher behind one local job (run as ``python -m kit.slurm --run-local ID``)."""
    _save_record_field(job_id, wrapper_pid=os.getpid())
    record = _load_record(job_id)
    cancel_flag = _record_path(job_id).with_suffix(".cancel")
    if cancel_flag.exists():
        _save_record_field(job_id, state="CANCELLED", exit_code=0, ended=time.time())
        return 0
    stdout, stderr = Path(record["stdout"]), Path(record["stderr"])
    env = {**os.environ, "SLURM_JOB_ID": job_id, "SLURM_JOBID": job_id, "SLURM_JOB_NAME": record["name"],
           "SLURM_SUBMIT_DIR": record["cwd"], "SLURM_JOB_NUM_NODES": "1", "KIT_LOCAL_EXECUTOR": "1"}
    same = stderr == stdout
    with stdout.open("wb") as out, (open(os.devnull, "wb") if same else stderr.open("wb")) as err:
        errors = out if same else err
        child = subprocess.Popen(_interpreter(Path(record["script"])), cwd=record["cwd"], env=env,
                                 stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=errors, start_new_session=True)
        _save_record_field(job_id, state="RUNNING", pgid=child.pid, started=time.time())
        if cancel_flag.exists():  # cancelled between the first check and the start
            os.killpg(child.pid, signal.SIGTERM)
        timed_out = False
        try:
            rc = child.wait(timeout=record.get("time_limit_s"))
        except subprocess.TimeoutExpired:
            timed_out = True
            note = f"kit local executor: *** JOB {job_id} CANCELLED DUE TO TIME LIMIT ({record['time']}) ***\n"
            errors.write(note.encode())
            errors.flush()
            os.killpg(child.pid, signal.SIGTERM)
            try:
                rc = child.wait(timeout=LOCAL_KILL_WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                rc = child.wait()
    try:  # leftovers of the job's process group go with it, as under Slurm
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    exit_code, sig = (0, -rc) if rc < 0 else (rc, 0)
    if cancel_flag.exists():
        state, reason = "CANCELLED", None
    elif timed_out:
        state, reason = "TIMEOUT", "TimeLimit"
    elif rc == 0:
        state, reason = "COMPLETED", None
    else:
        state, reason = "FAILED", "NonZeroExitCode" if rc > 0 else "Signal"
    _save_record_field(job_id, state=state, reason=reason, exit_code=exit_code, signal=sig, ended=time.time())
    return 0


if __name__ == "__main__":  # the local executor's watcher
    if len(sys.argv) == 3 and sys.argv[1] == "--run-local":
        sys.exit(_run_local(sys.argv[2]))
    sys.exit("usage: python -m kit.slurm --run-local local-N")
