"""Lessons: one Markdown source each, paired, executed and rendered.

Each lesson is ``slides/<name>.md`` in jupytext's Markdown format, which is
also a Marp deck, paired with ``notebooks/<name>.ipynb``. This module checks
the pairing, executes lessons with papermill (from the Markdown source, into
``build/``, never over the sources) and renders the decks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.errors import CellError, LessonError, PairingError
from kit.render import RenderOptions, clean_text, marp, notebook_to_marp
from kit.sites import PROJECT_ROOT

SLIDES_DIR = PROJECT_ROOT / "slides"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEFAULT_EXEC_SITE = "local"


def _display(path: Path) -> str:
    """A path relative to the project when it is inside it (shorter messages)."""
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Lesson:
    """A lesson's source and its paired notebook."""

    name: str
    source: Path
    notebook: Path

    @property
    def title(self) -> str:
        match = re.search(r"^# (.+)$", self.source.read_text(encoding="utf-8"), re.M)
        return match.group(1).strip() if match else self.name


def find_lessons(names: Sequence[str] | None = None, *, slides_dir: Path = SLIDES_DIR,
                 notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Lesson]:
    """The lessons in ``slides_dir`` (sorted), or just ``names``.

    Raises:
        LessonError: a named lesson does not exist.
    """
    every = {p.stem: Lesson(p.stem, p, notebooks_dir / f"{p.stem}.ipynb")
             for p in sorted(slides_dir.glob("*.md")) if p.stem.lower() != "readme"}
    if not names:
        return list(every.values())
    missing = [n for n in names if n.removesuffix(".md") not in every]
    if missing:
        raise LessonError(
            f"no such lesson: {', '.join(missing)}",
            hint=f"lessons are the files in {slides_dir}: {', '.join(every) or '(none)'}",
        )
    return [every[n.removesuffix(".md")] for n in names]


def check_pair(lesson: Lesson) -> None:
    """Raise :class:`PairingError` unless the Markdown and the notebook hold the same cells.

    Compares with jupytext's own notebook comparison (sources, cell types and
    cell metadata; outputs are ignored).
    """
    import jupytext
    from jupytext.compare import NotebookDifference, compare_notebooks

    fix = f"run `.venv/bin/jupytext --sync {_display(lesson.source)}` " \
          "(or edit the stale file) and commit both files"
    if not lesson.notebook.exists():
        raise PairingError(f"{lesson.notebook} is missing (paired with {lesson.source})", hint=fix)
    md = jupytext.read(lesson.source)
    nb = jupytext.read(lesson.notebook)
    try:
        compare_notebooks(nb, md, fmt="md", allow_expected_differences=False)
    except NotebookDifference as exc:
        raise PairingError(
            f"{lesson.source} and {lesson.notebook} are out of sync",
            details=str(exc)[:2000], hint=fix,
        ) from None


def check_pairing(names: Sequence[str] | None = None) -> list[str]:
    """Check every lesson pair; return the names checked.

    Raises:
        PairingError: the first pair out of sync (all out-of-sync pairs are named).
    """
    problems: list[str] = []
    lessons = find_lessons(names)
    for lesson in lessons:
        try:
            check_pair(lesson)
        except PairingError as exc:
            problems.append(str(exc))
    if problems:
        raise PairingError(f"{len(problems)} lesson pair(s) out of sync", details="\n\n".join(problems))
    return [lesson.name for lesson in lessons]


def _slide_title_before(cells: list, index: int) -> str | None:
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            match = re.search(r"^#+ (.+)$", "".join(cell["source"]), re.M)
            if match:
                return match.group(1).strip()
    return None


def execute_lesson(lesson: Lesson, *, site: str | None = None, out_dir: Path) -> Path:
    """Execute one lesson with papermill, from its Markdown source.

    The output notebook goes to ``out_dir/<name>.ipynb``; the kernel's working
    directory is ``notebooks/``, as for a participant in Jupyter.

    Raises:
        CellError: a cell raised; names the lesson, the cell and the error.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    site = site or os.environ.get("KIT_SITE") or DEFAULT_EXEC_SITE
    out_dir.mkdir(parents=True, exist_ok=True)
    source_nb = out_dir / f"{lesson.name}.source.ipynb"
    jupytext.write(jupytext.read(lesson.source), source_nb)
    output = out_dir / f"{lesson.name}.ipynb"
    # Subprocesses a lesson starts (kit CLI, Slurm jobs) read the same site.
    previous = os.environ.get("KIT_SITE")
    os.environ["KIT_SITE"] = site
    try:
        papermill.execute_notebook(
            str(source_nb), str(output), parameters={"site": site}, kernel_name="python3",
            progress_bar=False, cwd=str(NOTEBOOKS_DIR),
        )
    except PapermillExecutionError as exc:
        import nbformat

        # papermill adds its own error banner cells; the cell index counts without them.
        cells = [c for c in (nbformat.read(output, as_version=4).cells if output.exists() else [])
                 if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
        title = _slide_title_before(cells, exc.cell_index) if cells else None
        where = f"cell {exc.cell_index}" + (f" on slide '{title}'" if title else "")
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        raise CellError(
            f"lesson {lesson.name} ({_display(lesson.source)}): {where} raised "
            f"{exc.ename}: {exc.evalue}",
            details=f"cell starts: {first_line}\n" + clean_text("\n".join(exc.traceback[-8:])),
            hint=f"open notebooks/{lesson.name}.ipynb, run it with site={site!r}, fix the cell "
                 f"and sync; the executed copy is {output}",
        ) from None
    finally:
        if previous is None:
            os.environ.pop("KIT_SITE", None)
        else:
            os.environ["KIT_SITE"] = previous
    source_nb.unlink(missing_ok=True)
    return output


def execute_lessons(names: Sequence[str] | None = None, *, site: str | None = None,
                    out_dir: Path = PROJECT_ROOT / "build" / "executed") -> list[Path]:
    """Execute lessons in order; stop at the first failing cell."""
    return [execute_lesson(lesson, site=site, out_dir=out_dir) for lesson in find_lessons(names)]


def render_lesson(lesson: Lesson, *, out_dir: Path, executed: Path | None = None, pdf: bool = False,
                  max_lines: int | None = None) -> list[Path]:
    """Render one lesson's deck to Markdown + HTML (+ PDF) in ``out_dir``.

    Args:
        lesson: The lesson.
        out_dir: Output folder; the deck is ``<name>.md`` with images in ``<name>/``.
        executed: An executed notebook; ``None`` renders the source as it is.
        pdf: Also render a PDF.
        max_lines: Clip text outputs to this many lines.
    """
    import jupytext
    import nbformat

    nb = nbformat.read(executed, as_version=4) if executed else jupytext.read(lesson.source)
    options = RenderOptions(max_lines=max_lines) if max_lines else RenderOptions()
    deck = out_dir / f"{lesson.name}.md"
    out_dir.mkdir(parents=True, exist_ok=True)
    deck.write_text(notebook_to_marp(nb, deck, options=options), encoding="utf-8")
    outputs = [deck, marp(deck, out_dir / f"{lesson.name}.html")]
    if pdf:
        outputs.append(marp(deck, out_dir / f"{lesson.name}.pdf", pdf=True))
    return outputs


def build_slides(names: Sequence[str] | None = None, *, site: str | None = None,
                 out_dir: Path = PROJECT_ROOT / "build" / "slides", pdf: bool = False,
                 execute: bool = True, max_lines: int | None = None) -> list[Path]:
    """Execute (unless ``execute=False``) and render lessons; return the HTML/PDF paths."""
    results: list[Path] = []
    for lesson in find_lessons(names):
        executed = execute_lesson(lesson, site=site, out_dir=out_dir / "executed") if execute else None
        paths = render_lesson(lesson, out_dir=out_dir, executed=executed, pdf=pdf, max_lines=max_lines)
        results.extend(p for p in paths if p.suffix in {".html", ".pdf"})
    return results
