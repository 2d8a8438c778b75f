"""Lessons as sources: each is ``<slides>/<name>.md`` in jupytext's Markdown format (also a Marp deck),
paired with ``<notebooks>/<name>.ipynb``. Finding them, and checking each pair and what each shows.

Any other Marp deck can be given as a path; one without a jupytext header is rendered as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litmarp import editions, pasted, project
from litmarp.errors import LessonError, PairingError
from litmarp.paths import shown_path


@dataclass(frozen=True)
class Lesson:
    """A lesson's source and its paired notebook."""

    name: str
    source: Path
    notebook: Path

    @property
    def plain(self) -> bool:
        """A Marp deck with no jupytext header: rendered as it is, never executed."""
        head = self.source.read_text(encoding="utf-8").split("\n---\n", 1)[0] + "\n"
        return not re.search(r"^jupyter:", head, re.M)

    @property
    def title(self) -> str:
        match = re.search(r"^# (.+)$", self.source.read_text(encoding="utf-8"), re.M)
        return match.group(1).strip() if match else self.name


def find_lessons(names: Sequence[str] | None = None, *, slides_dir: Path | None = None,
                 notebooks_dir: Path | None = None) -> list[Lesson]:
    """The lessons in ``slides_dir`` (sorted; default: the project's), or just ``names``.

    Raises:
        LessonError: a named lesson does not exist.
    """
    if slides_dir is None or notebooks_dir is None:
        workshop = project.current()
        slides_dir, notebooks_dir = slides_dir or workshop.slides, notebooks_dir or workshop.notebooks
    every = {p.stem: Lesson(p.stem, p, notebooks_dir / f"{p.stem}.ipynb")
             for p in sorted(slides_dir.glob("*.md")) if p.stem.lower() != "readme"}
    if not names:
        return list(every.values())
    # A path to a Markdown file anywhere is a deck of its own (paired, if at all, beside it).
    for name in names:
        path = Path(name)
        if name.endswith(".md") and path.is_file() and path.resolve().parent != slides_dir.resolve():
            every[name] = Lesson(path.stem, path, path.with_suffix(".ipynb"))
        elif name.endswith(".md") and path.is_file():
            every[name] = every[path.stem]
    missing = [n for n in names if n not in every and n.removesuffix(".md") not in every]
    if missing:
        raise LessonError(
            f"no such lesson: {', '.join(missing)}",
            hint=f"lessons are the files in {slides_dir}: {', '.join(every) or '(none)'}; "
                 "any other Marp deck can be given as a path (`python -m litmarp slides path/to/deck.md`)",
        )
    return [every[n] if n in every else every[n.removesuffix(".md")] for n in names]


def check_pair(lesson: Lesson) -> None:
    """Raise :class:`PairingError` unless the Markdown and the notebook hold the same cells (jupytext's own
    comparison: sources, cell types and cell metadata; outputs are ignored)."""
    from jupytext.compare import NotebookDifference, compare_notebooks

    fix = f"run `jupytext --sync {shown_path(lesson.source)}` " \
          "(or edit the stale file) and commit both files"
    if not lesson.notebook.exists():
        raise PairingError(f"{lesson.notebook} is missing (paired with {lesson.source})", hint=fix)
    md, nb = (_read_notebook(path, fix) for path in (lesson.source, lesson.notebook))
    try:
        compare_notebooks(nb, md, fmt="md", allow_expected_differences=False)
    except NotebookDifference as exc:
        raise PairingError(
            f"{lesson.source} and {lesson.notebook} are out of sync",
            details=str(exc)[:2000], hint=fix,
        ) from None


def _read_notebook(path: Path, fix: str) -> Any:
    """jupytext.read, with a clear error for a file a merge or an editor left unreadable.

    Conflict markers are looked for first: jupytext reads a Markdown file that has them without complaint
    (the markers become text), and the pair would then only be reported "out of sync".
    """
    import jupytext

    text = path.read_text(encoding="utf-8", errors="replace")
    conflict = next((n for n, line in enumerate(text.splitlines(), 1) if line.startswith("<<<<<<< ")), None)
    if conflict:
        source = shown_path(project.current().slides / f"{path.stem}.md")
        hint = (f"resolve the conflict in {shown_path(path)} (the lesson's source), then `jupytext --sync "
                f"{shown_path(path)}`" if path.suffix == ".md" else
                f"the notebook is made from {source}: delete {shown_path(path)} and run `jupytext --sync {source}` "
                "to write it again (resolve the lesson's source first if it has conflicts too)")
        raise PairingError(f"{shown_path(path)} has merge-conflict markers (line {conflict}): it cannot be read",
                           hint=hint)
    try:
        return jupytext.reads(text, fmt=path.suffix.lstrip("."))
    except Exception as exc:  # nbformat's NotJSONError, a JSON error: the file cannot be parsed
        raise PairingError(f"{shown_path(path)} cannot be read as a notebook ({type(exc).__name__}: "
                           f"{str(exc)[:200]})", hint=fix) from None


def check_jupytext_pairs(lesson: Lesson) -> None:
    """Raise :class:`PairingError` unless jupytext's configuration pairs the lesson with its notebook: else an
    edit in Jupyter (or ``jupytext --sync``) would never reach the other file.

    The pairing is jupytext's own (``jupytext.toml``); the folders are the project's (``[tool.litmarp]``).
    """
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file
    from jupytext.paired_paths import paired_paths

    found = find_jupytext_configuration_file(str(lesson.source.parent))
    formats = load_jupytext_configuration_file(found).default_formats(str(lesson.source)) if found else None
    paired = [Path(path) for path, _ in paired_paths(str(lesson.source.resolve()), "md", formats)] if formats else []
    if lesson.notebook.resolve() in paired:
        return
    workshop = project.current()
    folders = [os.path.relpath(folder, workshop.root) for folder in (workshop.slides, workshop.notebooks)]
    said = f"{shown_path(found)} pairs it with {', '.join(shown_path(p) for p in paired[1:]) or 'nothing'}" \
        if found else "no jupytext.toml pairs it with anything"
    raise PairingError(f"jupytext does not pair {shown_path(lesson.source)} with {shown_path(lesson.notebook)} "
                       f"({said})", hint=f'write in {shown_path(workshop.root / "jupytext.toml")}: '
                       f'formats = "{folders[0]}///md,{folders[1]}///ipynb"')


def check_pairing(names: Sequence[str] | None = None) -> list[str]:
    """Check every lesson pair, and that no lesson shows output it did not produce; return the names checked.

    Raises:
        PairingError: the first pair out of sync (all out-of-sync pairs are named).
        LessonError: a lesson shows a typed transcript or a job ID written by hand (:mod:`litmarp.pasted`).
    """
    import jupytext

    problems: list[str] = []
    lessons = find_lessons(names)
    for lesson in lessons:
        try:
            check_pair(lesson)
        except PairingError as exc:
            problems.append(str(exc))
    if problems:
        raise PairingError(f"{len(problems)} lesson pair(s) out of sync or unreadable", details="\n\n".join(problems))
    for lesson in lessons:
        if not lesson.plain:
            check_jupytext_pairs(lesson)
    typed: list[str] = []
    for lesson in lessons:
        if lesson.plain:
            continue
        text = lesson.source.read_text(encoding="utf-8")  # read once for both checks
        nb = jupytext.reads(text, fmt="md")
        try:
            editions.exercises(nb)
        except editions.ExerciseError as exc:
            raise editions.ExerciseError(f"{shown_path(lesson.source)}: {exc.message}", hint=exc.hint) from None
        typed += pasted.check(lesson.source, text)
    if typed:
        raise LessonError(f"{len(typed)} place(s) in the lessons show output that no cell produced",
                          details="\n".join(typed),
                          hint="run commands in ```bash cells (README: the lesson format); a command shown but "
                               "not run goes without output")
    return [lesson.name for lesson in lessons]
