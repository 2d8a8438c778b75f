"""Nothing pasted: a lesson shows only output that its cells produced.

A transcript typed into a lesson (``$ sbatch train.sbatch`` then ``Submitted batch job 1234``) shows a job
that never ran beside the real ones. This finds a fence with a command line and its output, a job ID written
by hand (placeholders such as ``<ID>`` and ``$JOB`` are fine) and a code cell that prints a command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Where a job's ID is written in text people read.
JOB_ID = re.compile(r"Submitted batch job \d+|\bjob-\d+\b|\bscancel \d+|\bJOB=\d+|[-_]\d{2,}\.(?:log|err)\b"
                    r"|ジョブ (?:ID )?\d+")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
PRINTED_PROMPT = re.compile(r"""print\(\s*f?["']\$ """)


def _fences(text: str) -> Iterator[tuple[str, list[str]]]:
    """The fenced blocks of a Markdown text: (info string, lines)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        ticks, info, body = match.group(2), match.group(3).strip(), []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(ticks):
            body.append(lines[i])
            i += 1
        yield info, body
        i += 1


def _has_output(body: list[str]) -> bool:
    """A command line followed by a line that is not a command, a continuation or a comment."""
    seen_command = False
    for line in body:
        text = line.strip()
        if text.startswith("$ ") or text == "$":
            seen_command = True
        elif seen_command and text and not text.startswith(("> ", "#")):
            return True
    return False


def problems(nb: Any) -> list[tuple[str, str]]:
    """What a lesson (a notebook read by jupytext) shows that no cell produced: (the line, why)."""
    found: list[tuple[str, str]] = []
    for cell in nb.cells:
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "markdown":
            for info, body in _fences(source):
                if _has_output(body):
                    first = next(line for line in body if line.strip().startswith("$"))
                    found.append((first.strip(), f"a transcript typed into a ```{info or ' '} fence: make it a "
                                                 "```bash cell, so what the slide shows is what ran"))
        elif cell.cell_type == "code" and PRINTED_PROMPT.search(source):
            line = next(x for x in source.split("\n") if PRINTED_PROMPT.search(x))
            found.append((line.strip(), "a code cell prints a command line as if it had been typed: "
                                        "run the command in a ```bash cell instead"))
        for line in source.split("\n"):
            match = JOB_ID.search(line)
            if match:
                found.append((line.strip(), f"a job ID written by hand ({match.group(0)!r}): take it from "
                                            "the cell that submitted the job (`$JOB`), or write <ID>"))
    return found


def check(path: Path, text: str | None = None) -> list[str]:
    """:func:`problems` of a lesson file (its ``text`` when already read), as ``file:line: …`` messages."""
    import jupytext

    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.split("\n")
    messages = []
    for shown, why in problems(jupytext.reads(text, fmt="md")):
        number = next((n for n, line in enumerate(lines, 1) if shown and shown in line), 0)
        messages.append(f"{path.name}:{number}: {shown[:80]}\n    {why}")
    return messages
