"""Turn an existing Marp deck into a paired lesson.

``python -m kit lessons import talk.md`` writes ``slides/<name>.md`` and its
notebook. The deck keeps its Marp front matter, directives, presenter notes
and images (links are rewritten relative to ``slides/``); what changes:

- jupytext's ``jupyter:`` block is added to the front matter (kernel ``workshop-kit``,
  the one ``make lab`` registers, as in every lesson);
- every slide break gets two blank lines before it, so each slide is its own
  cell and the md → ipynb → md round trip is stable;
- shell fences (``bash``, ``sh``, ``shell``, ``zsh``) become ``console`` fences:
  still shown, never run (jupytext would make a ``bash`` fence a ``%%bash`` cell);
- a ``parameters`` cell (``site = os.environ.get("KIT_SITE", "local")``) is added to the title slide, as
  every lesson has; it is never shown on a slide.

``python`` fences become code cells that run, as in every lesson.
"""

from __future__ import annotations

import re
from pathlib import Path

from kit.errors import ConfigError, LessonError
from kit.lessons import NOTEBOOKS_DIR, SLIDES_DIR, Lesson, find_lessons
from kit.render import relink_images

SHELL_FENCES = ("bash", "sh", "shell", "zsh")
JUPYTER_HEADER = """jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
      format_version: '1.3'
  kernelspec:
    display_name: Python (BART workshop kit)
    language: python
    name: workshop-kit"""
PARAMETERS_CELL = ('```python tags=["parameters"]\nimport os\n\nsite = os.environ.get("KIT_SITE", "local")  '
                   '# ie-ryukyu / local / ci / 自分のサイト名\n```')


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML between the ``---`` lines, body); an empty YAML when the deck has none."""
    match = re.match(r"^---[ \t]*\n(.*?\n)?---[ \t]*\n", text, re.S)
    if not match:
        return "", text
    return (match.group(1) or "").rstrip("\n"), text[match.end():]


def _normalise_body(body: str) -> str:
    """Two blank lines before each slide break; shell fences become console fences."""
    out: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        opening = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)(.*)$", line)
        if fence is None and opening:
            fence = opening.group(1)
            if opening.group(2) in SHELL_FENCES:
                line = f"{fence}console{opening.group(3)}"
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None and line.strip() == "---":
            while out and not out[-1].strip():
                out.pop()
            out.extend(["", "", "---"])
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def _with_parameters(body: str) -> str:
    """The parameters cell at the end of the title slide (before the first break)."""
    if re.search(r'^```python tags=\[[^\]]*"parameters"', body, re.M):
        return body
    head, sep, rest = body.partition("\n\n\n---\n")
    return f"{head.rstrip()}\n\n{PARAMETERS_CELL}{sep}{rest}" if sep else f"{head.rstrip()}\n\n{PARAMETERS_CELL}\n"


def deck_to_lesson(text: str, *, source_dir: Path | None = None, slides_dir: Path = SLIDES_DIR) -> str:
    """The lesson Markdown for a Marp deck's text (pure apart from path arithmetic)."""
    yaml, body = split_front_matter(text)
    if re.search(r"^jupyter:", yaml, re.M):
        raise ConfigError("this deck already has a jupytext header: it is a lesson already",
                          hint="copy it into slides/ and run `make sync`")
    if not re.search(r"^marp:\s*true", yaml, re.M):
        yaml = "marp: true" + ("\n" + yaml if yaml else "")
    if source_dir is not None:
        body = relink_images(body, source_dir, slides_dir)
    body = _with_parameters(_normalise_body(body))
    return f"---\n{yaml}\n{JUPYTER_HEADER}\n---\n\n{body}"


def import_deck(deck: Path, *, name: str | None = None, slides_dir: Path = SLIDES_DIR,
                notebooks_dir: Path = NOTEBOOKS_DIR, force: bool = False) -> Lesson:
    """Write ``slides_dir/<name>.md`` from a Marp deck and pair it with ``notebooks_dir/<name>.ipynb``.

    Raises:
        LessonError: the deck is missing, or the lesson exists (without ``force``).
    """
    import jupytext

    if not deck.is_file():
        raise LessonError(f"no such deck: {deck}", hint="give the path of a Marp Markdown file")
    name = (name or deck.stem).removesuffix(".md")
    target = slides_dir / f"{name}.md"
    if target.exists() and not force:
        raise LessonError(f"{target} exists", hint="choose another --name, or pass --force to overwrite it")
    slides_dir.mkdir(parents=True, exist_ok=True)
    notebooks_dir.mkdir(parents=True, exist_ok=True)
    text = deck_to_lesson(deck.read_text(encoding="utf-8"), source_dir=deck.parent, slides_dir=slides_dir)
    nb = jupytext.reads(text, fmt="md")
    # Written by jupytext itself, so the Markdown is byte-for-byte what a later sync writes.
    jupytext.write(nb, target, fmt="md")
    jupytext.write(nb, notebooks_dir / f"{name}.ipynb")
    return find_lessons([name], slides_dir=slides_dir, notebooks_dir=notebooks_dir)[0]
