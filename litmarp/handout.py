"""The learner's handout PDF: each page of the learner's deck (poppler's ``pdftoppm``) beside its notes, then
the exercises, printed by Chromium (Playwright). Marp has none: its PDF puts the notes in annotations.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Sequence
from pathlib import Path

from litmarp import editions, proc
from litmarp.fit import chromium_page
from litmarp.labels import label, lang
from litmarp.render import cell_tags, command_text, is_command_cell
from litmarp.source import Lesson

PAGE_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 10.5pt; color: #1c2733; }
h1 { font-size: 16pt; margin: 0 0 6mm; }
.slide { display: grid; grid-template-columns: 95mm 1fr; gap: 6mm; margin-bottom: 6mm;
         break-inside: avoid; }
.slide img { width: 95mm; border: 1px solid #ccd; }
.notes { white-space: pre-wrap; line-height: 1.5; }
.exercises { break-before: page; }
pre { font-family: "Noto Sans Mono CJK JP", monospace; font-size: 9.5pt; background: #f4f7fb;
      border-left: 4px solid #e0a100; padding: 3mm; white-space: pre-wrap; }
"""


def split_notes(notes_text: str, pages: int) -> list[str]:
    """marp-cli's notes file (one block a slide, ``---`` between them) as one text per slide."""
    blocks = [b.strip() for b in notes_text.split("\n---\n")] if notes_text.strip() else []
    return (blocks + [""] * pages)[:pages]


def handout_html(title: str, pages: Sequence[bytes], notes: Sequence[str], exercises: Sequence[str]) -> str:
    """The handout page (pure): PNG pages with their notes, then the exercises."""
    parts = [f"<!doctype html><html lang='{lang()}'><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{PAGE_CSS}</style><body><h1>{html.escape(title)}</h1>"]
    for n, (png, note) in enumerate(zip(pages, notes, strict=True), 1):
        data = base64.b64encode(png).decode()
        parts.append(f"<div class='slide'><img alt='slide {n}' src='data:image/png;base64,{data}'>"
                     f"<div class='notes'>{html.escape(note)}</div></div>")
    if exercises:
        parts.append(f"<div class='exercises'><h1>{label('exercises')}</h1>")
        parts += [f"<h2>{label('exercise', n=n)}</h2><pre>{html.escape(task)}</pre>"
                  for n, task in enumerate(exercises, 1)]
        parts.append("</div>")
    return "".join(parts) + "</body></html>"


def rasterize(pdf: Path, dpi: int = 60) -> list[bytes]:
    """The PDF's pages as PNG bytes (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), f"{tmp}/p"], timeout=300,
                 hint="the handout needs pdftoppm, from poppler-utils (`apt-get install poppler-utils`, or `make "
                      "setup` as root)")
        return [p.read_bytes() for p in sorted(Path(tmp).glob("p-*.png"))]


def write_handout(deck_pdf: Path, notes_txt: Path, exercises: Sequence[str], out: Path, *, title: str) -> Path:
    """Write ``out`` (PDF): the deck's slides beside their notes, then the exercises."""
    pages = rasterize(deck_pdf)
    notes = split_notes(notes_txt.read_text(encoding="utf-8") if notes_txt.exists() else "", len(pages))
    with chromium_page("the handout") as page:
        page.set_content(handout_html(title, pages, notes, exercises), wait_until="load")
        page.pdf(path=str(out), format="A4", print_background=True)
    return out


def add_handout(lesson: Lesson, learner_deck: Path, out_dir: Path, *, redraw: bool) -> Path:
    """The learner's handout (``<name>.handout.pdf``) of a lesson whose learner deck is drawn (drawn again
    when ``redraw``, or when it is missing)."""
    import jupytext

    out = out_dir / f"{lesson.name}.handout.pdf"
    tasks = [command_text(cell.source) if is_command_cell(cell.source) else cell.source  # as the lesson writes it
             for cell in editions.edition(jupytext.read(lesson.source), "learner").cells
             if editions.EXERCISE in cell_tags(cell)]
    if redraw or not out.exists():
        write_handout(learner_deck.with_suffix(".pdf"), learner_deck.with_suffix(".notes.txt"), tasks, out,
                      title=lesson.title)
    return out
