"""Executed notebook → Marp Markdown → HTML/PDF.

A lesson's markdown cells are copied as they are (they already are Marp
slides); each code cell is followed by its outputs:

- text (streams, ``text/plain`` results, errors) in an ````` ```output `````
  fence, clipped to ``max_lines`` with an "… N lines omitted" marker;
- images written as PNG files next to the deck and referenced with a Marp
  size (``![w:600](...)``);
- ``text/markdown`` results inlined, so a lesson can show a table.

Cell tags ``remove-cell``, ``remove-input`` and ``remove-output`` work as in
Jupyter Book; cell metadata ``clip=N`` and ``width=N`` override the defaults
for one cell. The executed notebook is only read, never written back.

The parameters cell (papermill's ``parameters`` tag, and the cell papermill
injects) is never shown; a slide that holds nothing else to run is dropped
with it. Python warnings a library prints to stderr are left out of the slide
unless the cell is tagged ``show-warnings``. Relative image links in the
markdown are rewritten so they still resolve from where the deck is written.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit import proc
from kit.errors import LessonError
from kit.shell import NOT_RUN_MIME, split_commands, transcript
from kit.sites import PROJECT_ROOT

DEFAULT_MAX_LINES = 12
DEFAULT_IMAGE_WIDTH = 600
DEFAULT_WIDTH = 96
OUTPUT_FENCE = "output"
# A command cell's transcript (commands as typed, then what they printed), and commands shown but not run.
TERMINAL_FENCE = "terminal"
NOT_RUN_FENCE = "not-run"
COMMAND_MAGIC = "%%bash"
THEMES_DIR = PROJECT_ROOT / "slides" / "themes"

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class RenderOptions:
    """Knobs for :func:`notebook_to_marp`."""

    max_lines: int = DEFAULT_MAX_LINES
    image_width: int = DEFAULT_IMAGE_WIDTH
    width: int = DEFAULT_WIDTH


def clean_text(text: str) -> str:
    """Strip ANSI colours and collapse carriage-return progress bars to their last state."""
    text = _ANSI.sub("", text)
    lines = []
    for line in text.split("\n"):
        # A progress bar rewrites its line with \r; only the final state is worth a slide.
        parts = [p for p in line.split("\r") if p]
        lines.append(parts[-1] if parts else "")
    return "\n".join(lines)


def _wrapped(line: str, width: int) -> list[str]:
    """One output line as the slide shows it: broken at spaces where it can, mid-word only where it must."""
    if width < 4 or len(line) <= width:  # (a continuation starts with two spaces: 4 is the least that advances)
        return [line]
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", max(width // 2, 3), width + 1)  # a space in the second half of the line
        cut = cut if cut > 0 and line[:cut].strip() else width
        out.append(line[:cut].rstrip() or line[:cut])  # (a line of indentation only stays as it is)
        line = "  " + line[cut:].lstrip()
    return [*out, line]


def wrap_text(text: str, width: int) -> str:
    """Hard-wrap lines longer than ``width`` characters, at a space where there is one.

    Marp shrinks a code block until its longest line fits, so one long warning
    line would make the whole output unreadable.
    """
    return "\n".join(part for line in text.split("\n") for part in _wrapped(line, width))


def clip_text(text: str, max_lines: int, width: int = 0) -> str:
    """Wrap ``text`` to ``width`` (:func:`wrap_text`) and clip it to at most ``max_lines`` slide lines, marker
    included.

    Keeps the head and the tail (the tail of a log usually holds the result) and puts ``… N lines
    omitted`` between them. A line is kept or left out whole, never cut between its wrapped parts.
    """
    lines = text.rstrip("\n").split("\n")
    parts = [_wrapped(line, width) for line in lines]
    if max_lines <= 0 or sum(map(len, parts)) <= max_lines:
        return "\n".join(p for group in parts for p in group)
    budget = max(max_lines - 1, 1)
    head: list[list[str]] = []
    tail: list[list[str]] = []
    i, j = 0, len(parts) - 1
    used = 0
    while i <= j:  # alternate: a line from the tail, then one from the head, while they fit
        sides = (True, False) if len(tail) <= len(head) else (False, True)
        take_tail = next((t for t in sides if used + len(parts[j] if t else parts[i]) <= budget), None)
        if take_tail is None:
            break
        group = parts[j] if take_tail else parts[i]
        used += len(group)
        if take_tail:
            tail.insert(0, group)
            j -= 1
        else:
            head.append(group)
            i += 1
    if not head and not tail:  # one line longer than the whole budget: show its first and last parts
        flat = [p for group in parts for p in group]
        keep_head = budget // 2
        keep_tail = budget - keep_head
        return "\n".join([*flat[:keep_head], f"… {len(flat) - budget} wrapped lines omitted",
                          *flat[len(flat) - keep_tail:]])
    omitted = j - i + 1
    shown = [p for group in head for p in group]
    shown.append(f"… {omitted} lines omitted")
    return "\n".join([*shown, *(p for group in tail for p in group)])


def _fence(text: str, lang: str) -> str:
    # A longer fence than any backtick run inside keeps the block closed.
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _front_matter(raw: str) -> str:
    """Keep Marp's keys and drop jupytext's ``jupyter:`` block from a YAML header."""
    lines = raw.strip("\n").split("\n")
    out: list[str] = []
    skipping = False
    for line in lines:
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = line.startswith("jupyter:")
        if not skipping:
            out.append(line)
    return "\n".join(out)


# A Python warning as printed by warnings.showwarning: "file:line: XWarning: text" plus the source line.
_WARNING = re.compile(r"^[^\n]*:\d+: [A-Za-z]*Warning: [^\n]*\n(?:[ \t]+[^\n]*\n)?", re.M)
_IMAGE_LINK = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")


def strip_warnings(text: str) -> str:
    """Remove Python warnings (and the source line each quotes) from a stderr stream."""
    return _WARNING.sub("", text if text.endswith("\n") else text + "\n")


def relink_images(markdown: str, source_dir: Path, deck_dir: Path) -> str:
    """Rewrite relative image links written for ``source_dir`` so they resolve from ``deck_dir``."""
    if source_dir.resolve() == deck_dir.resolve():
        return markdown

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", target, re.I):
            return match.group(0)
        moved = os.path.relpath((source_dir / target).resolve(), deck_dir.resolve())
        return f"{match.group(1)}{Path(moved).as_posix()}{match.group(3)}"

    return _IMAGE_LINK.sub(fix, markdown)


def _outputs_to_md(outputs: list[Any], *, assets_dir: Path, assets_ref: str, stem: str,
                   max_lines: int, width: int, text_width: int, warnings: bool = False,
                   fence: str = OUTPUT_FENCE) -> list[str]:
    blocks: list[str] = []
    text_buffer: list[str] = []

    def flush() -> None:
        if text_buffer:
            text = clip_text(clean_text("".join(text_buffer)), max_lines, text_width)
            if text.strip():
                blocks.append(_fence(text, fence))
            text_buffer.clear()

    for k, out in enumerate(outputs):
        kind = out.get("output_type")
        if kind == "stream":
            text = _join(out.get("text", ""))
            text_buffer.append(strip_warnings(text) if out.get("name") == "stderr" and not warnings else text)
            continue
        if kind == "error":
            text_buffer.append(f"{out.get('ename')}: {out.get('evalue')}\n")
            continue
        data = out.get("data", {})
        if NOT_RUN_MIME in data:
            flush()
            shown = data[NOT_RUN_MIME]
            blocks.append(_fence(f"{shown['label']}\n{transcript([shown['command']])}", NOT_RUN_FENCE))
        elif "image/png" in data:
            flush()
            assets_dir.mkdir(parents=True, exist_ok=True)
            png = base64.b64decode(_join(data["image/png"]))
            # The content in the name: a changed plot changes the deck, so it is re-rendered.
            name = f"{stem}-{k}-{hashlib.sha256(png).hexdigest()[:8]}.png"
            if not (assets_dir / name).exists():
                (assets_dir / name).write_bytes(png)
            blocks.append(f"![w:{width}]({assets_ref}/{name})")
        elif "text/markdown" in data:
            flush()
            blocks.append(_join(data["text/markdown"]).strip("\n"))
        elif "text/plain" in data:
            text_buffer.append(_join(data["text/plain"]) + "\n")
    flush()
    return blocks


def _join(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


PARAMETER_TAGS = frozenset({"parameters", "injected-parameters"})


def is_command_cell(source: str) -> bool:
    """A command cell: a ```bash fence in the lesson, ``%%bash`` in the notebook (:mod:`kit.shell`)."""
    return source.lstrip().startswith(COMMAND_MAGIC + "\n") or source.strip() == COMMAND_MAGIC


def command_text(source: str) -> str:
    """The commands of a command cell (its source without the ``%%bash`` line)."""
    return source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""


def _starts_slide(cell: Any) -> bool:
    return cell["cell_type"] == "markdown" and _source(cell).lstrip("\n").startswith("---\n")


def parameter_slide_cells(cells: list[Any]) -> set[int]:
    """Indices of the cells to drop: every parameters cell, and the slide holding one when
    nothing else on it runs (the deck's first slide always stays)."""
    drop = {i for i, c in enumerate(cells) if c["cell_type"] == "code" and PARAMETER_TAGS & _tags(c)}
    groups: list[list[int]] = [[]]
    for i, cell in enumerate(cells):
        if _starts_slide(cell):
            groups.append([])
        groups[-1].append(i)
    for group in groups[1:]:
        code = [i for i in group if cells[i]["cell_type"] == "code" and _source(cells[i]).strip()]
        text = "\n".join(_source(cells[i]) for i in group if cells[i]["cell_type"] == "markdown")
        if code and all(i in drop for i in code) and "\n---\n" not in text.lstrip("\n")[4:]:
            drop.update(group)
    return drop


def notebook_to_marp(nb: Any, deck_path: Path, *, options: RenderOptions = RenderOptions(),
                     stamp: str | None = None, source_dir: Path | None = None) -> str:
    """Render an (executed) notebook as a Marp deck and write its images.

    Args:
        nb: A notebook (nbformat node or the parsed JSON dict).
        deck_path: Where the Markdown deck will be written; images go to
            ``<deck stem>/`` beside it and are referenced relatively.
        options: Clipping and image-size defaults.
        stamp: Where the outputs come from (site, time): the title slide's footer.
        source_dir: The folder of the lesson source, for relative image links.

    Returns:
        The Markdown text of the deck.
    """
    assets_dir = deck_path.parent / deck_path.stem
    assets_ref = deck_path.stem
    cells = list(nb["cells"])
    dropped = parameter_slide_cells(cells)
    parts: list[str] = []
    stamped = stamp is None
    for index, cell in enumerate(cells):
        tags = _tags(cell)
        source = _source(cell)
        if "remove-cell" in tags or index in dropped:
            continue
        if cell["cell_type"] == "raw":
            if index == 0 and source.lstrip().startswith("---"):
                parts.append(_front_matter(source))
            continue
        if cell["cell_type"] == "markdown":
            if source_dir is not None:
                source = relink_images(source, source_dir, deck_path.parent)
            if not stamped:
                # A local directive: the title slide's footer names the outputs' site and time.
                source = f"<!-- _footer: '{stamp}' -->\n\n{source}"
                stamped = True
            parts.append(source)
            continue
        meta = cell.get("metadata", {})
        command = is_command_cell(source)
        if command and not cell.get("outputs"):
            # Not executed: the commands as typed, nothing else (never output that did not happen).
            parts.append(_fence(transcript(split_commands(command_text(source))), TERMINAL_FENCE))
            continue
        if "remove-input" not in tags and source.strip() and not command:
            parts.append(_fence(source, "python"))
        if "remove-output" not in tags:
            parts.extend(_outputs_to_md(
                cell.get("outputs", []), assets_dir=assets_dir, assets_ref=assets_ref,
                stem=f"cell{index}", max_lines=int(meta.get("clip", options.max_lines)),
                width=int(meta.get("width", options.image_width)), text_width=options.width,
                warnings="show-warnings" in tags, fence=TERMINAL_FENCE if command else OUTPUT_FENCE,
            ))
    return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def output_blocks(deck_markdown: str) -> Iterable[str]:
    """Yield the text of every output block in a rendered deck (for checks)."""
    for match in re.finditer(r"^(`{3,})" + OUTPUT_FENCE + r"\n(.*?)\n\1$", deck_markdown, re.S | re.M):
        yield match.group(2)


def marp_executable(root: Path = PROJECT_ROOT) -> Path:
    """The project's pinned marp-cli (``npm ci`` installs it)."""
    path = root / "node_modules" / ".bin" / "marp"
    if not path.exists():
        raise LessonError(
            f"marp-cli is not installed ({path} is missing)",
            hint="run `make setup` (it runs `npm ci` from package-lock.json)",
        )
    return path


CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chrome_path() -> str | None:
    """Chromium for PDF export: $CHROME_PATH, Debian's /usr/bin/chromium, or a Chrome/Chromium on PATH.

    The one lookup: ``kit doctor`` reports what this finds, so it never promises a
    browser that the renderer would not use.
    """
    for candidate in (os.environ.get("CHROME_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


MARP_KINDS = ("html", "pdf", "notes")


def deck_themes(source: Path) -> list[Path]:
    """The theme sets for a deck: the kit's themes, plus CSS files beside a deck outside
    ``slides/`` (and in its ``themes/`` folder), so its own ``theme:`` is found as marp-cli would."""
    sets = [THEMES_DIR]
    folder = source.resolve().parent
    if folder != THEMES_DIR.parent.resolve():
        sets += sorted([*folder.glob("*.css"), *(folder / "themes").glob("*.css")])
    return sets


def marp_command(marp_bin: Path | str, deck: Path, out: Path, *, kind: str = "html",
                 themes: Path | Sequence[Path] = THEMES_DIR) -> list[str]:
    """The marp-cli command line for one output (pure; golden-tested).

    ``html``: the bespoke HTML deck (press P for the presenter view); ``pdf``: the
    handout, presenter notes as PDF annotations, local images embedded;
    ``notes``: the presenter notes as a text file.
    """
    if kind not in MARP_KINDS:
        raise ValueError(f"kind must be one of {MARP_KINDS}, not {kind!r}")
    # The input goes before --theme-set: marp takes a list of files after it.
    sets = [themes] if isinstance(themes, Path) else list(themes)
    cmd = [str(marp_bin), str(deck), "--theme-set", *map(str, sets), "-o", str(out)]
    if kind == "pdf":
        cmd += ["--pdf", "--pdf-notes", "--allow-local-files"]
    elif kind == "notes":
        cmd += ["--notes"]
    return cmd


def marp_batch_command(marp_bin: Path | str, decks: Sequence[Path], *, kind: str = "html",
                       themes: Sequence[Path] = (THEMES_DIR,)) -> list[str]:
    """marp-cli over several decks at once, each output beside its deck (pure; golden-tested).

    One process (and for PDF one browser) for all decks: much faster than one each.
    Outputs: ``<deck>.html``, ``<deck>.pdf`` or ``<deck>.txt`` (notes).
    """
    if kind not in MARP_KINDS:
        raise ValueError(f"kind must be one of {MARP_KINDS}, not {kind!r}")
    cmd = [str(marp_bin), *map(str, decks), "--theme-set", *map(str, themes)]
    if kind == "pdf":
        cmd += ["--pdf", "--pdf-notes", "--allow-local-files"]
    elif kind == "notes":
        cmd += ["--notes"]
    return cmd


def marp_env(*, pdf: bool) -> dict[str, str]:
    """marp-cli's environment: a generous browser timeout, and for PDF the Chromium to drive.

    Raises:
        LessonError: PDF asked for and no Chromium found.
    """
    env = {"BROWSER_TIMEOUT": "120000"}
    if pdf:
        chrome = chrome_path()
        if chrome is None:
            raise LessonError(
                "PDF export needs Chromium, which was not found",
                hint="install it (`apt-get install chromium`) or set CHROME_PATH; HTML works without it",
            )
        env["CHROME_PATH"] = chrome
    return env


def marp_batch(decks: Sequence[Path], *, kind: str = "html", themes: Sequence[Path] = (THEMES_DIR,)) -> list[Path]:
    """Run :func:`marp_batch_command`; return the outputs (checked to exist)."""
    env = marp_env(pdf=kind == "pdf")
    suffix = {"html": ".html", "pdf": ".pdf", "notes": ".txt"}[kind]
    outputs = [deck.with_suffix(suffix) for deck in decks]
    started = max((p.stat().st_mtime for p in outputs if p.exists()), default=0.0)
    proc.run(marp_batch_command(marp_executable(), decks, kind=kind, themes=themes), env=env,
             timeout=120 + 60 * len(decks), hint="see the marp-cli message above; `make setup` reinstalls it")
    missing = [p for p in outputs if not p.exists() or p.stat().st_mtime < started]
    if missing:
        raise LessonError(f"marp-cli reported success but did not write {', '.join(map(str, missing))}")
    return outputs


def marp(deck: Path, out: Path, *, pdf: bool = False, notes: bool = False,
         themes: Path | Sequence[Path] = THEMES_DIR) -> Path:
    """Render a Marp Markdown deck to HTML, PDF (with notes) or a notes text file with marp-cli.

    Args:
        deck: The Markdown deck.
        out: The output file (``.html``, ``.pdf`` or ``.txt``).
        pdf: Render a PDF (needs Chromium and ``--allow-local-files`` so local
            images are embedded instead of silently vanishing).
        notes: Write the presenter notes as text.
        themes: Folder(s) or CSS file(s) of themes (``--theme-set``).
    """
    kind = "pdf" if pdf else "notes" if notes else "html"
    cmd = marp_command(marp_executable(), deck, out, kind=kind, themes=themes)
    env = marp_env(pdf=pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    proc.run(cmd, env=env, timeout=300, hint="see the marp-cli message above; `make setup` reinstalls it")
    if not out.exists():
        raise LessonError(f"marp-cli reported success but wrote no {out}")
    return out
