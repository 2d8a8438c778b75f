"""Pure parsers for what Slurm prints (tested on captured real output, ``tests/data/slurm``), and :class:`JobStatus`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kit.errors import SlurmError
from kit.slurm.commands import QUEUE_FORMAT

#: States after which a job never changes again.
TERMINAL_STATES = frozenset({
    "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
    "BOOT_FAIL", "DEADLINE",
})


def parse_sbatch_parsable(text: str) -> tuple[str, str | None]:
    """``(job_id, cluster or None)`` from ``sbatch --parsable``'s ``jobid[;cluster]`` (pure)."""
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
    """Split ``Key=value Key=value`` text (pure): a value runs until the next ``Key=`` after whitespace, so
    ``JobName=my job`` and ``TRES=cpu=1,mem=1G`` survive."""
    matches = list(_KEY.finditer(line))
    out: dict[str, str] = {}
    for m, nxt in zip(matches, [*matches[1:], None]):  # noqa: B905 (equal lengths; 3.8: kit doctor imports this)
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
    return [dict(zip(header, line.split("|", len(header) - 1))) for line in lines[1:]]  # noqa: B905 (3.8)


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


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands; ``source`` says what answered (squeue, scontrol, sacct, jobcomp or local)."""

    job_id: str
    state: str
    reason: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    nodes: str | None = None
    source: str = ""

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def ok(self) -> bool:
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
        nodes=_none_if_null(fields.get("NodeList")), source="scontrol",
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
    return JobStatus(job_id=row.job_id, state=row.state, reason=row.reason, nodes=row.nodelist, source="squeue")


def parse_show_config(text: str) -> dict[str, str]:
    """Parse ``scontrol show config`` (``Key   = value`` lines) (pure)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+= ?(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out
