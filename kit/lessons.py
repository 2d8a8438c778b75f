"""Lessons: one Markdown source each, paired, executed and rendered.

Each lesson is ``slides/<name>.md`` in jupytext's Markdown format, which is
also a Marp deck, paired with ``notebooks/<name>.ipynb``. This module checks
the pairing and builds the decks: each lesson executed (:mod:`kit.execute`,
papermill, into ``build/``, never over the sources) unless the execution cache
(:mod:`kit.cache`) holds its outputs, then rendered (:mod:`kit.render`) to HTML,
PDF with notes and a notes text file by marp-cli, which runs only when the
rendered Markdown changed. Any other Marp deck can be given as a path; one
without a jupytext header is rendered as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit import editions
from kit.errors import LessonError, PairingError
from kit.execute import execute_lesson, executed_lesson, resolve_site
from kit.handout import add_handout, write_index
from kit.outfolder import check_out_folder, render_lock
from kit.render import (
    PARAMETER_TAGS,
    THEMES_DIR,
    RenderOptions,
    check_theme,
    deck_html,
    deck_themes,
    front_matter,
    marp_batch,
    notebook_to_marp,
    relink_images,
)
from kit.sites import PROJECT_ROOT
from kit.textutil import shown_path

if TYPE_CHECKING:
    from kit.cache import CachedRun

SLIDES_DIR = PROJECT_ROOT / "slides"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


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
                 "any other Marp deck can be given as a path (`kit slides path/to/deck.md`)",
        )
    return [every[n] if n in every else every[n.removesuffix(".md")] for n in names]


def check_pair(lesson: Lesson) -> None:
    """Raise :class:`PairingError` unless the Markdown and the notebook hold the same cells.

    Compares with jupytext's own notebook comparison (sources, cell types and
    cell metadata; outputs are ignored).
    """
    from jupytext.compare import NotebookDifference, compare_notebooks

    fix = f"run `.venv/bin/jupytext --sync {shown_path(lesson.source)}` " \
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
        hint = (f"resolve the conflict in {shown_path(path)} (the lesson's source), then `make sync`"
                if path.suffix == ".md" else
                f"the notebook is made from slides/{path.stem}.md: delete {shown_path(path)} and run `make sync` "
                "to write it again (resolve slides/*.md first if it has conflicts too)")
        raise PairingError(f"{shown_path(path)} has merge-conflict markers (line {conflict}): it cannot be read",
                           hint=hint)
    try:
        return jupytext.reads(text, fmt=path.suffix.lstrip("."))
    except Exception as exc:  # nbformat's NotJSONError, a JSON error: the file cannot be parsed
        raise PairingError(f"{shown_path(path)} cannot be read as a notebook ({type(exc).__name__}: "
                           f"{str(exc)[:200]})", hint=fix) from None


def check_pairing(names: Sequence[str] | None = None) -> list[str]:
    """Check every lesson pair, and that no lesson shows output it did not produce; return the names checked.

    Raises:
        PairingError: the first pair out of sync (all out-of-sync pairs are named).
        LessonError: a lesson shows a typed transcript or a job ID written by hand (:mod:`kit.pasted`).
    """
    import jupytext

    from kit import pasted

    problems: list[str] = []
    lessons = find_lessons(names)
    for lesson in lessons:
        try:
            check_pair(lesson)
        except PairingError as exc:
            problems.append(str(exc))
    if problems:
        raise PairingError(f"{len(problems)} lesson pair(s) out of sync or unreadable", details="\n\n".join(problems))
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


__all__ = ["Lesson", "execute_lesson", "find_lessons", "build_decks", "build_slides", "check_pairing"]

Report = Callable[[str], None]


def execute_lessons(names: Sequence[str] | None = None, *, site: str | None = None,
                    out_dir: Path = PROJECT_ROOT / "build" / "executed") -> list[Path]:
    """Execute lessons in order (no cache); stop at the first failing cell."""
    return [execute_lesson(lesson, site=site, out_dir=out_dir) for lesson in find_lessons(names)]


@dataclass
class DeckBuild:
    """What building one deck did."""

    lesson: Lesson
    status: str  # "ran", "cache", "no code", "not executed", "plain Marp"
    outputs: list[Path] = field(default_factory=list)  # every file, the instructor's deck (Markdown) first
    run: CachedRun | None = None
    rendered: bool = True  # False: the decks were unchanged, marp-cli was not run
    decks: list[Path] = field(default_factory=list)  # the Markdown decks: the instructor's, then the learner's

    def line(self) -> str:
        what = {"ran": "executed", "cache": "outputs from the cache"}.get(self.status, self.status)
        when = f" (site {self.run.site}, {self.run.executed_at:%Y-%m-%d %H:%M} UTC" \
               + (f", {self.run.seconds:.0f} s)" if self.status == "ran" and self.run.seconds else ")") \
            if self.run else ""
        again = "" if self.rendered else "; deck unchanged, not drawn again"
        return f"{self.lesson.name}: {what}{when}{again}"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _up_to_date(outputs: Sequence[Path], inputs: Sequence[Path]) -> bool:
    if not all(p.exists() for p in outputs):
        return False
    newest = max(p.stat().st_mtime for p in inputs if p.exists())
    return all(p.stat().st_mtime >= newest for p in outputs)


def deck_outputs(name: str, out_dir: Path, *, pdf: bool, notes: bool) -> dict[str, Path]:
    """The files marp-cli writes for one deck, by kind."""
    wanted = {"html": out_dir / f"{name}.html"}
    if pdf:
        wanted["pdf"] = out_dir / f"{name}.pdf"
    if notes:
        wanted["notes"] = out_dir / f"{name}.notes.txt"
    return wanted


def draw_decks(decks: Sequence[Path], *, pdf: bool, notes: bool, themes: Sequence[Path] = (THEMES_DIR,),
               on_html: Callable[[Path], None] | None = None, html: bool | Sequence[bool] = False) -> None:
    """Draw rendered Markdown decks with marp-cli, all decks in one process per kind (two where some decks
    get ``--html``: ``html``, one flag per deck, :func:`kit.render.deck_html`).

    The kinds are drawn at the same time; as soon as the HTML is written ``on_html``
    is called for each deck (the fit check starts measuring while the PDF is drawn).
    """
    from concurrent.futures import ThreadPoolExecutor

    kinds = ["html", *(["pdf"] if pdf else []), *(["notes"] if notes else [])]
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        futures = {kind: pool.submit(marp_batch, decks, kind=kind, themes=themes, html=html) for kind in kinds}
        for page in futures["html"].result():
            if on_html is not None:
                on_html(page)
        for future in futures.values():
            future.result()
    if notes:
        for deck in decks:
            deck.with_suffix(".txt").replace(deck.with_suffix(".notes.txt"))


def deck_name(lesson: Lesson, edition: str = "instructor") -> str:
    """The file stem of a lesson's deck in an edition: ``03-slurm``, ``03-slurm.learner``."""
    return lesson.name if edition == "instructor" else f"{lesson.name}.{edition}"


def write_deck(lesson: Lesson, *, out_dir: Path, executed: Path | None = None, max_lines: int | None = None,
               stamp: str | None = None, edition: str = "instructor") -> Path:
    """Write the lesson's Marp Markdown (and its images) to ``out_dir/<name>.md`` (``<name>.learner.md`` for
    the learner's edition: :mod:`kit.editions`); unchanged text is not rewritten."""
    import jupytext
    import nbformat

    out_dir.mkdir(parents=True, exist_ok=True)
    deck = out_dir / f"{deck_name(lesson, edition)}.md"
    if lesson.plain:
        text = relink_images(lesson.source.read_text(encoding="utf-8"), lesson.source.parent, out_dir)
    else:
        source = nbformat.read(executed, as_version=4) if executed else jupytext.read(lesson.source)
        nb = editions.edition(source, edition)
        options = RenderOptions(max_lines=max_lines) if max_lines else RenderOptions()
        stamp = stamp if stamp and _stamp_fits(nb) else None
        text = notebook_to_marp(nb, deck, options=options, stamp=stamp, source_dir=lesson.source.parent)
        _prune_assets(out_dir / deck.stem, text)
    check_theme(text, lesson.source)  # never marp-cli's silent fallback to its default theme
    _write_if_changed(deck, text)
    return deck


def _stamp_fits(nb: Any) -> bool:
    """Whether the output stamp may be the title slide's footer: something the deck shows ran (not the
    parameters cell alone), and the deck has no footer of its own there (front matter, or a ``footer``
    directive on the title slide)."""
    shown = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()
             and not PARAMETER_TAGS & set(c.metadata.get("tags", []))]
    if not shown:
        return False
    title: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "raw" and not title and front_matter(cell.source).get("footer"):
            return False
        if cell.cell_type == "markdown":
            if title and re.match(r"\s*(---|\*\*\*|___)\s*\n", cell.source):
                break
            title.append(cell.source)
    comments = re.findall(r"<!--(.*?)-->", "\n".join(title), re.S)
    return not any(re.search(r"^\s*_?footer\s*:", comment, re.M) for comment in comments)


def _is_fresh(lesson: Lesson, deck: Path, wanted: dict[str, Path]) -> bool:
    inputs = [deck, *THEMES_DIR.glob("*.css"), *deck_themes(lesson.source)[1:]]
    return _up_to_date(list(wanted.values()), inputs)


def _prune_assets(assets: Path, deck_text: str) -> None:
    """Remove images an earlier render wrote that the deck no longer references."""
    if assets.is_dir():
        for image in assets.glob("*.png"):
            if f"{assets.name}/{image.name}" not in deck_text:
                image.unlink()


def build_decks(names: Sequence[str] | None = None, *, site: str | None = None,
                out_dir: Path = PROJECT_ROOT / "build" / "slides", pdf: bool = False, notes: bool | None = None,
                execute: bool = True, max_lines: int | None = None, refresh: bool | Sequence[str] = False,
                cache_path: Path | None = None, slides_dir: Path = SLIDES_DIR,
                notebooks_dir: Path = NOTEBOOKS_DIR, report: Report | None = None,
                force_render: bool = False, on_html: Callable[[Path], None] | None = None) -> list[DeckBuild]:
    """Execute (from the cache when possible) and render lessons, reporting each as it goes.

    Args:
        refresh: True, or the lesson names, to execute even when the cache holds the outputs.
        notes: Also write ``<name>.notes.txt`` (default: with ``pdf``).
        report: Called with one line per lesson and per executed cell.
        on_html: Called with each deck's HTML as soon as it is (re-)rendered (the fit check).
    """
    say = report or (lambda line: None)
    notes = pdf if notes is None else notes
    wanted_refresh = set() if refresh is False else None if refresh is True else \
        {n.removesuffix(".md") for n in refresh}
    site = resolve_site(site)
    chosen = find_lessons(names, slides_dir=slides_dir, notebooks_dir=notebooks_dir)
    check_out_folder(out_dir, [lesson.source for lesson in chosen], [slides_dir, notebooks_dir])
    with render_lock(out_dir, say):
        return _build(chosen, site=site, out_dir=out_dir, pdf=pdf, notes=notes, execute=execute,
                      max_lines=max_lines, wanted_refresh=wanted_refresh, cache_path=cache_path, say=say,
                      force_render=force_render, on_html=on_html)


_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")


def missing_images(deck: str, folder: Path) -> list[tuple[int, str]]:
    """(slide number, reference) of each local image a rendered deck shows that is not in ``folder``."""
    found = []
    body = deck.split("\n---\n", 1)[1] if deck.startswith("---\n") else deck
    for number, slide in enumerate(re.split(r"^---[ \t]*$", body, flags=re.M), 1):
        for ref in _IMAGE.findall(slide):
            if not re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", ref, re.I) and not (folder / ref.split("#")[0]).exists():
                found.append((number, ref))
    return found


def _build(chosen: Sequence[Lesson], *, site: str, out_dir: Path, pdf: bool, notes: bool, execute: bool,
           max_lines: int | None, wanted_refresh: set[str] | None, cache_path: Path | None, say: Report,
           force_render: bool, on_html: Callable[[Path], None] | None) -> list[DeckBuild]:
    builds: list[DeckBuild] = []
    for lesson in chosen:
        run = None
        executed = None
        if lesson.plain:
            status = "plain Marp"
        elif not execute:
            status = "not executed"
        else:
            again = wanted_refresh is None or lesson.name in wanted_refresh
            say(f"{lesson.name}: {'executing (--refresh)' if again else 'checking the cache'} …")
            executed, run = executed_lesson(lesson, site=site, out_dir=out_dir / "executed", refresh=again,
                                            cache_path=cache_path, report=say)
            status = "no code" if run is None else "ran" if run.executed else "cache"
        # A lesson gets both editions (kit.editions); a plain Marp deck is one deck.
        decks = [write_deck(lesson, out_dir=out_dir, executed=executed, max_lines=max_lines,
                            stamp=run.stamp() if run else None, edition=which)
                 for which in (editions.EDITIONS if not lesson.plain else editions.EDITIONS[:1])]
        for number, ref in missing_images(decks[0].read_text(encoding="utf-8"), out_dir):
            where = os.path.relpath(out_dir / ref)  # from here, not from the output folder
            say(f"warning: {lesson.name}: slide {number} shows {where}, which does not exist (a broken image)")
        wanted = [deck_outputs(deck.stem, out_dir, pdf=pdf, notes=notes) for deck in decks]
        pairs = list(zip(decks, wanted, strict=True))
        build = DeckBuild(lesson, status, [p for deck, w in pairs for p in (deck, *w.values())], run,
                          rendered=force_render or not all(_is_fresh(lesson, d, w) for d, w in pairs), decks=decks)
        say(build.line())
        builds.append(build)
    stale = [b for b in builds if b.rendered]
    if stale:
        kinds = ", ".join(["HTML", *(["PDF with notes"] if pdf else []), *(["notes text"] if notes else [])])
        say(f"drawing {sum(len(b.decks) for b in stale)} deck(s) with marp-cli ({kinds}) …")
        themes = sorted({t for b in stale for t in deck_themes(b.lesson.source)},
                        key=lambda t: (t != THEMES_DIR, str(t)))
        draw_decks([d for b in stale for d in b.decks], pdf=pdf, notes=notes, themes=themes, on_html=on_html,
                   html=[deck_html(b.lesson.source) for b in stale for _ in b.decks])
    if pdf:
        say("writing the handouts (slides beside their notes, then the exercises) …")
        for build in builds:
            if not build.lesson.plain:
                add_handout(build, out_dir)
    write_index(builds, out_dir)
    return builds


def build_slides(names: Sequence[str] | None = None, *, site: str | None = None,
                 out_dir: Path = PROJECT_ROOT / "build" / "slides", pdf: bool = False,
                 execute: bool = True, max_lines: int | None = None, **kwargs: Any) -> list[Path]:
    """Execute (unless ``execute=False``) and render lessons; return the HTML/PDF paths."""
    builds = build_decks(names, site=site, out_dir=out_dir, pdf=pdf, execute=execute, max_lines=max_lines,
                         **kwargs)
    return [p for b in builds for p in b.outputs if p.suffix in {".html", ".pdf"}]
