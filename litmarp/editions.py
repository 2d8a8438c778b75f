"""Editions of a lesson: the instructor's (solutions shown and run) and the learner's (exercises, no solutions).

An exercise is two cells in a row: the task, tagged ``exercise`` (blanks written ``____``, planned minutes as
``minutes=N``), then the cell that solves it, tagged ``solution``. Only solutions run, so one execution
serves both editions; the learner's deck and notebook show the exercise in its place and no solution text.
Both mark the slide (``exercise`` class); the instructor's notes say how many minutes to pause.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from litmarp.errors import LessonError
from litmarp.labels import label
from litmarp.render import cell_source, cell_tags, starts_slide
from litmarp.workfiles import write_unless_edited

EDITIONS = ("instructor", "learner")
EXERCISE, SOLUTION = "exercise", "solution"
SKIP = "skip-execution"  # nbclient's tag: a cell it does not run
DEFAULT_MINUTES = 5


class ExerciseError(LessonError, ValueError):
    """An exercise without its solution, or a solution without its exercise."""


def _first_line(cell: Any) -> str:
    lines = [line for line in cell_source(cell).splitlines() if line.strip() and not line.startswith("%%")]
    return lines[0][:60] if lines else ""


def exercises(nb: Any) -> list[tuple[int, int]]:
    """(exercise index, solution index) of every exercise, checked: each exercise is followed by its solution.

    Raises:
        ExerciseError: an exercise without a solution right after it, or a solution without an exercise.
    """
    pairs = []
    cells = nb["cells"]
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    for k, i in enumerate(code):
        if EXERCISE in cell_tags(cells[i]):
            nxt = code[k + 1] if k + 1 < len(code) else None
            if nxt is None or SOLUTION not in cell_tags(cells[nxt]):
                raise ExerciseError(f"the exercise cell starting {_first_line(cells[i])!r} has no solution cell "
                                    f"right after it", hint=f"put the cell that solves it right after it, tagged "
                                    f'{SOLUTION!r}: ```python tags=["{SOLUTION}"]```')
            pairs.append((i, nxt))
        elif SOLUTION in cell_tags(cells[i]) and not (k and EXERCISE in cell_tags(cells[code[k - 1]])):
            raise ExerciseError(f"the solution cell starting {_first_line(cells[i])!r} follows no exercise cell",
                                hint=f'put the exercise (tagged {EXERCISE!r}, blanks written ____) right before it, '
                                     f"or remove its {SOLUTION!r} tag")
    return pairs


def for_execution(nb: Any) -> Any:
    """The notebook to execute: exercise cells (blanks) skipped."""
    nb = copy.deepcopy(nb)
    for i, _ in exercises(nb):
        tags = nb["cells"][i]["metadata"].setdefault("tags", [])
        if SKIP not in tags:
            tags.append(SKIP)
    return nb


def _mark_slides(nb: Any, pairs: list[tuple[int, int]], notes: bool) -> None:
    """Give each slide holding an exercise the ``exercise`` class, and (``notes``) the minutes to pause."""
    cells = nb["cells"]
    for exercise, _ in pairs:
        start = next((j for j in range(exercise, -1, -1) if cells[j]["cell_type"] == "markdown"
                      and re.search(r"^#{1,3} ", cell_source(cells[j]), re.M)), None)
        if start is None:
            continue
        text = cell_source(cells[start])
        if "_class: exercise" not in text:
            text = re.sub(r"^(#{1,3} )", "<!-- _class: exercise -->\n\n\\1", text, count=1, flags=re.M)
        minutes = cells[exercise]["metadata"].get("minutes", DEFAULT_MINUTES)
        pause = label("pause", minutes=minutes)
        if notes and pause not in text:
            text += f"\n\n<!--\n{pause}\n-->"
        cells[start]["source"] = text


def _slide_of(cells: list[Any], index: int) -> range:
    """The cells of the slide holding cell ``index`` (from the markdown cell that starts it to the next one)."""
    first = next((j for j in range(index, -1, -1) if starts_slide(cells[j])), 0)
    last = next((j for j in range(index + 1, len(cells)) if starts_slide(cells[j])), len(cells))
    return range(first, last)


def _drop_notes(nb: Any, pairs: list[tuple[int, int]]) -> None:
    """Presenter notes on an exercise slide explain the solution: the learner's edition leaves them out
    (directives such as ``_class`` stay)."""
    cells = nb["cells"]
    for exercise, _ in pairs:
        for j in _slide_of(cells, exercise):
            if cells[j]["cell_type"] == "markdown":
                cells[j]["source"] = re.sub(r"\n*<!--(?!\s*_?\w+\s*:)(?:(?!-->).)*-->", "", cell_source(cells[j]),
                                            flags=re.S)


def edition(nb: Any, which: str) -> Any:
    """The (executed or source) notebook as the ``instructor`` or ``learner`` edition shows it."""
    if which not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {which!r}")
    nb = copy.deepcopy(nb)
    pairs = exercises(nb)
    _mark_slides(nb, pairs, notes=which == "instructor")
    if which == "learner":
        _drop_notes(nb, pairs)
    drop = {s if which == "learner" else e for e, s in pairs}
    for e, _ in pairs:
        cell = nb["cells"][e]
        cell["outputs"] = []
        cell["metadata"]["tags"] = [t for t in cell["metadata"].get("tags", []) if t != SKIP]
    nb["cells"] = [c for i, c in enumerate(nb["cells"]) if i not in drop]
    return nb


def learner_notebooks(lessons: Any, out_dir: Any) -> list[Any]:
    """Write each lesson's learner notebook (``<out_dir>/<name>.ipynb``: exercises, no solutions) for
    ``make lab``; return what was written or kept. Made from the lessons, never kept by hand; a notebook
    the participant changed (filled in, ran and saved) is kept, as every file a participant edits."""
    import jupytext
    import nbformat

    return [write_unless_edited(out_dir / f"{lesson.name}.ipynb",
                                nbformat.writes(edition(jupytext.read(lesson.source), "learner")) + "\n")
            for lesson in lessons if not lesson.plain]
