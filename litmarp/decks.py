"""Building the decks: each lesson executed (:mod:`litmarp.execute`, or its outputs from the cache), rendered
(:mod:`litmarp.render`) in both editions, then drawn by marp-cli (HTML, PDF with notes, notes text) only when
the rendered Markdown changed. A Marp deck without a jupytext header is rendered as it is.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litmarp import editions, project
from litmarp.cache import CachedRun
from litmarp.execute import Report, executed_lesson
from litmarp.handout import add_handout
from litmarp.labels import label, lang
from litmarp.marp import (
    BUILTIN_THEMES,
    check_theme,
    deck_html,
    deck_theme,
    deck_themes,
    drawn_themes,
    dropped_config,
    front_matter,
    marp_batch,
)
from litmarp.outfolder import check_out_folder, render_lock
from litmarp.render import RenderOptions, lesson_code, notebook_to_marp, relink_images
from litmarp.source import Lesson, find_lessons


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


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def deck_outputs(deck: Path, *, pdf: bool, notes: bool) -> list[Path]:
    """The files marp-cli writes for one deck."""
    suffixes = [".html", *([".pdf"] if pdf else []), *([".notes.txt"] if notes else [])]
    return [deck.with_suffix(suffix) for suffix in suffixes]


def deck_name(lesson: Lesson, edition: str = "instructor") -> str:
    """The file stem of a lesson's deck in an edition: ``03-slurm``, ``03-slurm.learner``."""
    return lesson.name if edition == "instructor" else f"{lesson.name}.{edition}"


# What the engine writes, told apart on Marp's built-in themes: an output is no code to type, a command cell
# is a terminal, a command not run says so (its first line), an exercise slide is the room's turn. A lesson
# with a theme of its own gets none of this (basic1.css has these rules, to copy into another theme).
ENGINE_STYLE = """<style>
section pre:has(> code.language-output) { background: #f4f7fb; border-left: 6px solid #2f6fb2; color: #1c2733; }
section pre:has(> code.language-terminal) { background: #1f2630; color: #e9eef5; }
section pre:has(> code.language-not-run) { background: #f7f7f7; border: 2px dashed #b0b6be; color: #59606a; }
section pre:has(> code.language-not-run)::first-line { color: #a14d00; font-weight: bold; }
section pre:is(:has(> code.language-output), :has(> code.language-terminal)) code { color: inherit; }
section.exercise { border-top: 12px solid #e0a100; background: #fffbf0; }
</style>
"""


def write_deck(lesson: Lesson, *, out_dir: Path, executed: Path | None = None, max_lines: int | None = None,
               stamp: str | None = None, edition: str = "instructor") -> Path:
    """Write the lesson's Marp Markdown (and its images) to ``out_dir/<name>.md`` (``<name>.learner.md`` for
    the learner's edition: :mod:`litmarp.editions`); unchanged text is not rewritten."""
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
        if deck_theme(text) in (None, *BUILTIN_THEMES):  # a theme of one's own styles these itself
            text = text.rstrip("\n") + "\n\n" + ENGINE_STYLE
        _prune_assets(out_dir / deck.stem, text)
    check_theme(text, lesson.source)  # never marp-cli's silent fallback to its default theme
    _write_if_changed(deck, text)
    return deck


def _stamp_fits(nb: Any) -> bool:
    """Whether the output stamp may be the title slide's footer: something the deck shows ran (not the
    parameters cell alone), and the deck has no footer of its own there (front matter, or a ``footer``
    directive on the title slide)."""
    if not lesson_code(nb.cells):
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


def _is_fresh(lesson: Lesson, deck: Path, outputs: list[Path]) -> bool:
    """Whether every output is newer than the deck and the themes it may use."""
    if not all(p.exists() for p in outputs):
        return False
    inputs = [deck, *project.current().themes.glob("*.css"), *deck_themes(lesson.source)[1:]]
    newest = max(p.stat().st_mtime for p in inputs if p.exists())
    return all(p.stat().st_mtime >= newest for p in outputs)


def _prune_assets(assets: Path, deck_text: str) -> None:
    """Remove images an earlier render wrote that the deck no longer references."""
    if assets.is_dir():
        for image in assets.glob("*.png"):
            if f"{assets.name}/{image.name}" not in deck_text:
                image.unlink()


def build_decks(names: Sequence[str] | None = None, *, site: str | None = None,
                out_dir: Path, pdf: bool = False, notes: bool | None = None,
                execute: bool = True, max_lines: int | None = None, refresh: bool | Sequence[str] = False,
                cache_path: Path | None = None, slides_dir: Path | None = None,
                notebooks_dir: Path | None = None, report: Report | None = None,
                on_html: Callable[[Path], None] | None = None) -> list[DeckBuild]:
    """Execute (from the cache when possible) and render lessons, reporting each as it goes. ``refresh``: True,
    or the lesson names, to execute even when the cache holds the outputs; ``notes`` defaults to ``pdf``;
    ``on_html`` gets each deck's HTML as soon as it is drawn (the fit check)."""
    say = report or (lambda line: None)
    notes = pdf if notes is None else notes
    wanted_refresh = set() if refresh is False else None if refresh is True else \
        {n.removesuffix(".md") for n in refresh}
    workshop = project.current()
    site = workshop.site(site)
    slides_dir, notebooks_dir = slides_dir or workshop.slides, notebooks_dir or workshop.notebooks
    chosen = find_lessons(names, slides_dir=slides_dir, notebooks_dir=notebooks_dir)
    check_out_folder(out_dir, [lesson.source for lesson in chosen], [slides_dir, notebooks_dir])
    with render_lock(out_dir, say):
        builds: list[DeckBuild] = []
        # Once per folder: the plain decks beside one another share marp-cli's configuration.
        for dropped in dict.fromkeys(dropped_config(lesson.source.resolve().parent) for lesson in chosen
                                     if lesson.plain):
            if dropped:
                say(dropped)
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
            # A lesson gets both editions (litmarp.editions); a plain Marp deck is one deck.
            decks = [write_deck(lesson, out_dir=out_dir, executed=executed, max_lines=max_lines,
                                stamp=run.stamp() if run else None, edition=which)
                     for which in (editions.EDITIONS if not lesson.plain else editions.EDITIONS[:1])]
            for number, ref in missing_images(decks[0].read_text(encoding="utf-8"), out_dir):
                where = os.path.relpath(out_dir / ref)  # from here, not from the output folder
                say(f"warning: {lesson.name}: slide {number} shows {where}, which does not exist (a broken image)")
            wanted = {deck: deck_outputs(deck, pdf=pdf, notes=notes) for deck in decks}
            build = DeckBuild(lesson, status, [p for deck, w in wanted.items() for p in (deck, *w)], run,
                              rendered=not all(_is_fresh(lesson, *pair) for pair in wanted.items()), decks=decks)
            say(build.line())
            builds.append(build)
        stale = [b for b in builds if b.rendered]
        if stale:
            kinds = ", ".join(["HTML", *(["PDF with notes"] if pdf else []), *(["notes text"] if notes else [])])
            say(f"drawing {sum(len(b.decks) for b in stale)} deck(s) with marp-cli ({kinds}) …")
            themes = drawn_themes([b.lesson.source for b in stale], out_dir)
            marp_batch([d for b in stale for d in b.decks], themes=themes, on_html=on_html,
                       kinds=["html", *(["pdf"] if pdf else []), *(["notes"] if notes else [])],
                       html=[deck_html(b.lesson.source) for b in stale for _ in b.decks])
        if pdf:
            say("writing the handouts (slides beside their notes, then the exercises) …")
            for build in builds:
                if not build.lesson.plain:
                    build.outputs.append(add_handout(build.lesson, build.decks[-1], out_dir, redraw=build.rendered))
        write_index(builds, out_dir)
        return builds


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


def write_index(builds: Sequence[DeckBuild], out_dir: Path) -> None:
    """``index.html``: every lesson in every edition (decks, PDFs, handout), with where its outputs came from.

    The lessons built before into ``out_dir`` stay listed (``index.json`` remembers them) while their files
    are there: building one lesson does not drop the others."""
    record = out_dir / "index.json"
    try:
        rows: dict[str, dict[str, Any]] = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    except ValueError:
        rows = {}
    for build in builds:
        when = f"site {build.run.site} · {build.run.executed_at:%Y-%m-%d %H:%M} UTC" if build.run else build.status
        rows[build.lesson.name] = {"title": build.lesson.title, "source": when}
    kinds = [("{}.html", "instructor"), ("{}.pdf", "instructor_pdf"), ("{}.learner.html", "learner"),
             ("{}.learner.pdf", "learner_pdf"), ("{}.handout.pdf", "handout")]
    rows = {name: row for name, row in sorted(rows.items()) if (out_dir / f"{name}.html").exists()}
    lines = []
    for name, row in rows.items():
        links = [f"<a href='{html.escape(kind.format(name))}'>{label(key)}</a>" for kind, key in kinds
                 if (out_dir / kind.format(name)).exists()]
        lines.append(f"<tr><td>{html.escape(row['title'])}</td><td>{' · '.join(links)}</td>"
                     f"<td>{html.escape(row['source'])}</td></tr>")
    page = (f"<!doctype html><html lang='{lang()}'><meta charset='utf-8'><title>{label('index')}</title>"
            "<style>body{font-family:'Noto Sans CJK JP',sans-serif;margin:2em}td,th{padding:.3em .8em;"
            f"border-bottom:1px solid #ddd;text-align:left}}</style><h1>{label('index')}</h1><table>"
            f"<tr><th>{label('lesson')}</th><th>{label('editions')}</th><th>{label('source')}</th></tr>"
            + "".join(lines) + "</table></html>\n")
    record.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    _write_if_changed(out_dir / "index.html", page)
