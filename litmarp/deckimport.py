"""Turn an existing Marp deck into a paired lesson that renders as the deck did
(``python -m litmarp import talk.md``: ``slides/<name>.md`` and its notebook).

- jupytext's ``jupyter:`` block goes into the front matter, and two blank lines before each slide break
  (found as Marp finds them, :func:`litmarp.render.markdown_parser`), so each slide is its own cell and the
  md → ipynb → md round trip is stable;
- the files the deck refers to are copied to ``slides/assets/<name>/`` and the references rewritten; its
  theme (and the themes it imports) to ``slides/themes/``, never over another of that name, and the files
  a theme's ``url(…)`` names to ``slides/assets/themes/<theme>/``;
- **no fence runs**: a fence jupytext would make a code cell gets jupytext's ``.noeval`` after its language
  (Marp reads only the first word, so the slide is unchanged), unless ``run_python``/``run_bash`` say so;
- a ``parameters`` cell (the project's site variable and default) goes on the title slide, as in every lesson.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from litmarp import project
from litmarp.errors import ConfigError, LessonError
from litmarp.marp import (
    BUILTIN_THEMES,
    check_theme,
    css_theme_name,
    deck_html,
    deck_theme,
    deck_themes,
    dropped_config,
    theme_files,
    theme_folders,
)
from litmarp.paths import shown_path
from litmarp.render import FRONT_MATTER, map_references, markdown_parser
from litmarp.source import Lesson, find_lessons

SHOWN_ONLY = ".noeval"  # jupytext: a fence with this attribute stays Markdown (jupytext #347)
ASSETS = "assets"
THEME_ASSETS = "themes"  # assets/themes/<theme>/: the files a theme's url() names
Report = Callable[[str], None]


def jupyter_header(workshop: project.Project) -> str:
    """jupytext's ``jupyter:`` block, with the kernel the project's lessons name (the first notebook's; else
    ``python3``): an imported deck opens with the same kernel as every lesson."""
    spec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for notebook in sorted(workshop.notebooks.glob("*.ipynb"))[:1]:
        try:
            spec = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
        except (ValueError, KeyError, TypeError):
            pass
    return ("jupyter:\n  jupytext:\n    text_representation:\n      extension: .md\n      format_name: markdown\n"
            "      format_version: '1.3'\n  kernelspec:\n"
            + "".join(f"    {key}: {spec[key]}\n" for key in ("display_name", "language", "name")
                      if key in spec)).rstrip("\n")


def parameters_cell(workshop: project.Project) -> str:
    """The parameters cell every lesson has: the site, from the project's environment variable."""
    return (f'```python tags=["parameters"]\nimport os\n\nsite = os.environ.get("{workshop.site_env}", '
            f'"{workshop.default_site}")\n```')


@dataclass
class DeckParts:
    """What the import made of a deck, for its report."""

    shown: Counter[str] = field(default_factory=Counter)  # fences kept shown-only, by language
    run: Counter[str] = field(default_factory=Counter)  # fences made cells, by language
    copied: list[Path] = field(default_factory=list)  # files brought into slides/assets/ (<name>/, themes/)
    missing: list[str] = field(default_factory=list)  # references to files that do not exist
    themes: list[Path] = field(default_factory=list)  # theme CSS copied to slides/themes/


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML between the ``---`` lines, body); an empty YAML when the deck has none."""
    match = FRONT_MATTER.match(text)
    return ((match.group(1) or "").rstrip("\n"), text[match.end():]) if match else ("", text)


def _cell_fence(line: str) -> re.Match[str] | None:
    """The opening of a fence jupytext's Markdown reader would make a code cell (its own pattern)."""
    from jupytext.cell_reader import MarkdownCellReader

    return MarkdownCellReader.start_code_re.match(line)


def _normalise_body(body: str, *, run: set[str], parts: DeckParts) -> str:
    """Two blank lines before each slide break (as Marp finds them); every fence jupytext would run is made
    shown-only unless its language is in ``run``; the parameters cell at the end of the title slide."""
    lines = body.split("\n")
    tokens = markdown_parser().parse(body)
    breaks = {t.map[0] for t in tokens if t.type == "hr" and t.level == 0 and t.map}
    fences = {t.map[0] for t in tokens if t.type == "fence" and t.map}
    with_parameters = bool(re.search(r'^```python tags=\[[^\]]*"parameters"', body, re.M))
    parameters = parameters_cell(project.current())
    out: list[str] = []
    for number, line in enumerate(lines):
        opening = _cell_fence(line) if number in fences else None
        if opening:
            ticks, space, language, rest = opening.groups()
            if language.lower() in run and ".noeval" not in rest.split():
                parts.run[language.lower()] += 1
            else:
                if SHOWN_ONLY not in rest.split():
                    line = f"```{ticks}{space}{language} {SHOWN_ONLY}{rest}"
                parts.shown[language.lower()] += 1
        if number in breaks:
            while out and not out[-1].strip():
                out.pop()
            if not with_parameters:
                out.extend(["", parameters] if out else [parameters])
                with_parameters = True
            out.extend(["", ""] if out else [])
        out.append(line)
    text = "\n".join(out).strip("\n")
    if not with_parameters:
        text = f"{text}\n\n{parameters}" if text else parameters
    return text + "\n"


def deck_to_lesson(text: str, *, run_python: bool = False, run_bash: bool = False, html: bool = False,
                   parts: DeckParts | None = None) -> str:
    """The lesson Markdown for a Marp deck's text (pure: references are rewritten by :func:`import_deck`).

    ``html``: the deck gets ``--html`` where it is (:func:`litmarp.marp.deck_html`: its marp-cli configuration,
    which stays behind): the lesson says ``html: true`` in its front matter.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    yaml, body = split_front_matter(text)
    if re.search(r"^jupyter:", yaml, re.M):
        raise ConfigError("this deck already has a jupytext header: it is a lesson already",
                          hint="copy it into the project's slides folder and pair it: `jupytext --sync slides/NAME.md`")
    if not re.search(r"^marp:\s*true", yaml, re.M):
        yaml = "marp: true" + ("\n" + yaml if yaml else "")
    if html and not re.search(r"^html\s*:", yaml, re.M):
        yaml += "\nhtml: true"
    run = {lang for lang, flag in (("python", run_python), ("bash", run_bash)) if flag}
    body = _normalise_body(body, run=run, parts=parts if parts is not None else DeckParts())
    return f"---\n{yaml}\n{jupyter_header(project.current())}\n---\n\n{body}"


def _asset_path(relative: str) -> Path:
    """Where a file the deck refers to goes under ``assets/<name>/``: its path from the deck, with each
    ``..`` as ``_up`` (a file above the deck's folder stays inside the lesson's assets)."""
    return Path(*("_up" if part == ".." else part for part in Path(os.path.normpath(relative)).parts))


def _asset_fix(source_dir: Path, slides_dir: Path, assets: Path, parts: DeckParts,
               plan: dict[Path, Path]) -> Callable[[str], str | None]:
    """For :func:`map_references`: a file referred to from ``source_dir`` goes to ``assets`` (noted in ``plan``,
    target -> source, for :func:`_copy`), named from ``slides_dir``; None (left as written) for nothing there."""

    def fix(path: str) -> str | None:
        found = source_dir / path
        if found.is_dir():
            return Path(os.path.relpath(found.resolve(), slides_dir.resolve())).as_posix()
        if not found.is_file():
            parts.missing.append(path)
            return None
        target = assets / _asset_path(path)
        plan[target] = found
        return target.relative_to(slides_dir).as_posix()

    return fix


def _copy(plan: dict[Path, Path], parts: DeckParts) -> None:
    for target, found in plan.items():
        if target not in parts.copied:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
            parts.copied.append(target)


def bring_assets(text: str, source_dir: Path, slides_dir: Path, name: str, parts: DeckParts) -> str:
    """Copy every local file the deck refers to into ``slides_dir/assets/<name>/`` and rewrite the
    references (relative to ``slides_dir``); a reference to nothing is left as it is."""
    plan: dict[Path, Path] = {}
    text = map_references(text, _asset_fix(source_dir, slides_dir, slides_dir / ASSETS / name, parts, plan))
    _copy(plan, parts)
    return text


def bring_theme(text: str, deck: Path, slides_dir: Path, parts: DeckParts) -> None:
    """Copy the deck's theme (and the themes it imports) from beside the deck to where the lessons' builds look:
    the project's ``themes`` folder (``slides_dir/themes/`` for a folder of lessons outside the project's).
    A file its ``url(…)`` names (from the deck's folder, where marp-cli writes the HTML) goes to
    ``slides_dir/assets/themes/<theme>/``, the same for every deck that uses the theme, and the copy names it
    from ``slides_dir``. Nothing is written when something clashes.

    Raises:
        LessonError: the theme is nowhere (naming the places looked in), or the lesson's themes hold another
            theme of that name or another file of that name, or a different file where the theme's file goes
            (never replaced: other lessons may use it).
    """
    asked = deck_theme(text)
    if asked is None or asked in BUILTIN_THEMES:
        return
    lesson_sets = theme_files(deck_themes(slides_dir / "lesson.md"))
    own = theme_files(deck_themes(deck)[1:])
    if asked not in own and asked not in lesson_sets:
        check_theme(text, deck)  # raises: the theme is nowhere
    wanted, todo = [], [asked]
    while todo:
        theme = todo.pop()
        if theme in own and theme not in wanted:
            wanted.append(theme)
            css = own[theme].read_text(encoding="utf-8", errors="replace")
            todo += re.findall(r"@import(?:-theme)?\s+(?:url\(\s*)?[\"']([^\"'/]+?)(?:\.css)?[\"']", css)
    folder = theme_folders(slides_dir / "lesson.md")[-1]  # the project's themes, or slides_dir/themes
    hint = ("rename one of the themes (its /* @theme NAME */ and the deck's theme:), or delete {} if the deck's is "
            "the one to keep (other lessons may use it)")
    writes: dict[Path, str] = {}
    plan: dict[Path, Path] = {}
    for theme in wanted:
        source = own[theme]
        fix = _asset_fix(deck.parent, slides_dir, slides_dir / ASSETS / THEME_ASSETS / theme, parts, plan)
        css = map_references(source.read_text(encoding="utf-8", errors="replace"), fix, css=True)
        there = lesson_sets.get(theme)
        if there is not None and there.read_text(encoding="utf-8", errors="replace") == css:
            continue  # the lessons have this very theme
        target = folder / source.name
        clash = there if there is not None else target if target.exists() else None
        if clash is not None:
            what = f"theme '{theme}'" if there is not None else f"a file named {target.name}"
            raise LessonError(f"{clash} already holds {what}, not the deck's {source}", hint=hint.format(clash.name))
        writes[target] = css
    for target, found in plan.items():
        if target.exists() and target.read_bytes() != found.read_bytes():
            raise LessonError(f"{target} already holds another file than the theme's {found}",
                              hint=hint.format(target.name))
    _copy(plan, parts)
    for target, css in writes.items():
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
        parts.themes.append(target)


def _check_cells(text: str, parts: DeckParts) -> None:
    """The lesson has exactly the cells the import meant: the parameters cell and the fences made to run
    (a fence jupytext reads where Marp sees none, inside HTML for instance, would run unasked)."""
    import jupytext

    nb = jupytext.reads(text, fmt="md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(code) != 1 + sum(parts.run.values()):
        unexpected = [c.source.split("\n", 1)[0] for c in code if "parameters" not in c.metadata.get("tags", [])]
        raise LessonError("jupytext would run code the deck only shows",
                          details="\n".join(f"  {line}" for line in unexpected),
                          hint="put such a fence on a line of its own, outside HTML blocks, then import again")
    written = jupytext.writes(nb, fmt="md")
    if written.count("<!-- #region") > text.count("<!-- #region"):
        raise LessonError("jupytext would mark cells with <!-- #region --> (Marp shows it as a presenter note)",
                          hint="look for a fence inside HTML or an unclosed fence in the deck")


def import_deck(deck: Path, *, name: str | None = None, slides_dir: Path | None = None,
                notebooks_dir: Path | None = None, force: bool = False, run_python: bool = False,
                run_bash: bool = False, report: Report | None = None) -> Lesson:
    """Write ``slides_dir/<name>.md`` from a Marp deck, with its files and theme, and pair it with
    ``notebooks_dir/<name>.ipynb``; ``run_python``/``run_bash``: make every such fence run (by default none).

    Raises:
        LessonError: the deck is missing, the lesson exists (without ``force``), its theme is nowhere.
    """
    import jupytext

    say = report or (lambda line: None)
    workshop = project.current()
    slides_dir, notebooks_dir = slides_dir or workshop.slides, notebooks_dir or workshop.notebooks
    if not deck.is_file():
        raise LessonError(f"no such deck: {deck}", hint="give the path of a Marp Markdown file")
    name = (name or deck.stem).removesuffix(".md")
    if name == THEME_ASSETS:  # slides/assets/themes/ holds the themes' files
        raise LessonError(f"a lesson cannot be named {name}", hint="choose another --name")
    target = slides_dir / f"{name}.md"
    if target.exists() and not force:
        raise LessonError(f"{target} exists", hint="choose another --name, or pass --force to overwrite it")
    parts = DeckParts()
    text = deck.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    html = deck_html(deck)
    dropped = dropped_config(deck.parent)
    if dropped:
        say(dropped)
    lesson_text = deck_to_lesson(text, run_python=run_python, run_bash=run_bash, html=html, parts=parts)
    _check_cells(lesson_text, parts)
    bring_theme(text, deck, slides_dir, parts)
    lesson_text = bring_assets(lesson_text, deck.parent, slides_dir, name, parts)
    slides_dir.mkdir(parents=True, exist_ok=True)
    notebooks_dir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.reads(lesson_text, fmt="md")
    # Written by jupytext itself, so the Markdown is byte-for-byte what a later sync writes.
    jupytext.write(nb, target, fmt="md")
    jupytext.write(nb, notebooks_dir / f"{name}.ipynb")
    if html and not re.search(r"^html\s*:", split_front_matter(text)[0], re.M):
        say("html: true added to the front matter (the deck's marp-cli configuration turns HTML on)")
    for folder, what in ((slides_dir / ASSETS / name, "the deck"), (slides_dir / ASSETS / THEME_ASSETS, "its theme")):
        count = sum(folder in path.parents for path in parts.copied)
        if count:
            say(f"copied {count} file(s) {what} refers to into {folder}/")
    for css in parts.themes:
        say(f"theme '{css_theme_name(css.read_text(encoding='utf-8'))}': copied to {css}")
    for ref in dict.fromkeys(parts.missing):
        say(f"warning: the deck refers to {ref}, which is not in {deck.parent}: left as written")
    if parts.shown:
        languages = ", ".join(f"{lang} {n}" for lang, n in sorted(parts.shown.items()))
        say(f"fences shown, not run ({languages}): to run a python or bash one, delete its `{SHOWN_ONLY}`, "
            f"then `jupytext --sync {shown_path(slides_dir / f'{name}.md')}`")
    return find_lessons([name], slides_dir=slides_dir, notebooks_dir=notebooks_dir)[0]
