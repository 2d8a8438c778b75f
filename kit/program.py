"""The participant's training program, ``bart_finetuning.py``, written literately in lesson 02.

The lesson is the one source: its code cells tagged ``program`` are the program, in order (as nbdev
exports a notebook), under a short header and with the ``if __name__ == "__main__"`` guard added (a
notebook kernel's ``__name__`` is ``"__main__"`` too, so the guard cannot live in a cell).
"""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from kit.errors import LessonError
from kit.sites import PROJECT_ROOT

LESSON = PROJECT_ROOT / "slides" / "02-program.md"
PROGRAM = PROJECT_ROOT / "bart_finetuning.py"
TAG = "program"
HEADER = (
    "#!/usr/bin/env python3\n"
    "# Generated from slides/02-program.md (cells tagged \"program\") by `make program`.\n"
    "# Edit the lesson, then `make program`: `make check` fails when the two differ.\n"
)
FOOTER = '\n\nif __name__ == "__main__":\n    main()\n'


def load_program() -> ModuleType:
    """The program as a module, imported once (its ``main()`` is behind the ``__main__`` guard)."""
    module = sys.modules.get("bart_finetuning")
    if module is None:
        spec = importlib.util.spec_from_file_location("bart_finetuning", PROGRAM)
        assert spec is not None and spec.loader is not None  # a .py file always gets a source loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["bart_finetuning"] = module
    return module


class ProgramDrift(LessonError):
    """The committed program and the lesson's program cells differ."""


def _layout(lesson: Path) -> tuple[str, list[tuple[int, str]]]:
    """The program text, and where each cell starts in it: (0-based line, "code cell N (slide 「title」)")."""
    import jupytext

    text, title, number = HEADER, "", 0
    starts: list[tuple[int, str]] = []
    for cell in jupytext.read(lesson).cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+ (.+)$", cell.source, re.M)
            title = match.group(1).strip() if match else title
        elif cell.cell_type == "code":
            number += 1
            if TAG in cell.metadata.get("tags", []):
                text += "\n\n" if starts else "\n"  # one blank line under the header, two between definitions
                starts.append((text.count("\n"), f"code cell {number} (slide 「{title}」)"))
                text += cell.source.strip("\n") + "\n"
    if not starts:
        raise LessonError(f"{lesson} has no code cell tagged {TAG!r}",
                          hint=f'tag the program\'s cells: ```python tags=["{TAG}"]')
    return text.rstrip("\n") + "\n" + FOOTER, starts


def render_program(lesson: Path = LESSON) -> str:
    """The program as the lesson defines it."""
    return _layout(lesson)[0]


def write_program(lesson: Path = LESSON, path: Path = PROGRAM) -> Path:
    """Regenerate the program file from the lesson (``make program``)."""
    path.write_text(render_program(lesson), encoding="utf-8")
    path.chmod(0o755)
    return path


def check_program(lesson: Path = LESSON, path: Path = PROGRAM) -> None:
    """Fail unless ``path`` is exactly what the lesson's program cells make (``make check``).

    Raises:
        ProgramDrift: naming the lesson cell (number and slide title) at the first difference.
    """
    expected, starts = _layout(lesson)
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    if not path.is_file():
        raise ProgramDrift(f"{shown} is missing", hint="run `make program` to write it from the lesson")
    actual = path.read_text(encoding="utf-8")
    if actual == expected:
        return
    want, have = expected.splitlines(), actual.splitlines()
    first = next((i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b), min(len(want), len(have)))
    owners = [cell for start, cell in starts if start <= first]
    where = f"lesson {lesson.stem}, {owners[-1]}" if owners else "the generated header"
    diff = "\n".join(list(difflib.unified_diff(want, have, "lesson", str(shown), lineterm="", n=1))[:14])
    raise ProgramDrift(f"{shown} differs from {where} at line {first + 1}", details=diff,
                       hint="if the lesson is right, run `make program` to regenerate the file; if you edited the "
                            f"file, copy the change into that cell of {lesson.name} and run `make program`")
