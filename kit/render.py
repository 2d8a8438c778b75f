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
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit import proc
from kit.errors import LessonError
from kit.sites import PROJECT_ROOT

DEFAULT_MAX_LINES = 12
DEFAULT_IMAGE_WIDTH = 600
DEFAULT_WIDTH = 96
OUTPUT_FENCE = "output"
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


def wrap_text(text: str, width: int) -> str:
    """Hard-wrap lines longer than ``width`` characters.

    Marp shrinks a code block until its longest line fits, so one long warning
    line would make the whole output unreadable.
    """
    if width <= 0:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = "  " + line[width:]
        out.append(line)
    return "\n".join(out)


def clip_text(text: str, max_lines: int) -> str:
    """Clip ``text`` to at most ``max_lines`` lines, marker included.

    Keeps the head and the tail (the tail of a log usually holds the result)
    and puts ``… N lines omitted`` between them.
    """
    lines = text.rstrip("\n").split("\n")
    if max_lines <= 0 or len(lines) <= max_lines:
        return "\n".join(lines)
    keep = max(max_lines - 1, 1)
    head = keep // 2
    tail = keep - head
    omitted = len(lines) - head - tail
    return "\n".join([*lines[:head], f"… {omitted} lines omitted", *lines[len(lines) - tail:]])


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


def _outputs_to_md(outputs: list[Any], *, assets_dir: Path, assets_ref: str, stem: str,
                   max_lines: int, width: int, text_width: int) -> list[str]:
    blocks: list[str] = []
    text_buffer: list[str] = []

    def flush() -> None:
        if text_buffer:
            text = clip_text(wrap_text(clean_text("".join(text_buffer)), text_width), max_lines)
            if text.strip():
                blocks.append(_fence(text, OUTPUT_FENCE))
            text_buffer.clear()

    for k, out in enumerate(outputs):
        kind = out.get("output_type")
        if kind == "stream":
            text_buffer.append(_join(out.get("text", "")))
            continue
        if kind == "error":
            text_buffer.append(f"{out.get('ename')}: {out.get('evalue')}\n")
            continue
        data = out.get("data", {})
        if "image/png" in data:
            flush()
            assets_dir.mkdir(parents=True, exist_ok=True)
            name = f"{stem}-{k}.png"
            (assets_dir / name).write_bytes(base64.b64decode(_join(data["image/png"])))
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


def notebook_to_marp(nb: Any, deck_path: Path, *, options: RenderOptions = RenderOptions()) -> str:
    """Render an (executed) notebook as a Marp deck and write its images.

    Args:
        nb: A notebook (nbformat node or the parsed JSON dict).
        deck_path: Where the Markdown deck will be written; images go to
            ``<deck stem>/`` beside it and are referenced relatively.
        options: Clipping and image-size defaults.

    Returns:
        The Markdown text of the deck.
    """
    assets_dir = deck_path.parent / deck_path.stem
    assets_ref = deck_path.stem
    cells = list(nb["cells"])
    injected = any("injected-parameters" in _tags(c) for c in cells)
    parts: list[str] = []
    for index, cell in enumerate(cells):
        tags = _tags(cell)
        source = _source(cell)
        if "remove-cell" in tags:
            continue
        if cell["cell_type"] == "raw":
            if index == 0 and source.lstrip().startswith("---"):
                parts.append(_front_matter(source))
            continue
        if cell["cell_type"] == "markdown":
            parts.append(source)
            continue
        # A papermill run shows the parameters it injected, not the defaults they replaced.
        if "parameters" in tags and injected:
            continue
        meta = cell.get("metadata", {})
        if "remove-input" not in tags and source.strip():
            parts.append(_fence(source, "python"))
        if "remove-output" not in tags:
            parts.extend(_outputs_to_md(
                cell.get("outputs", []), assets_dir=assets_dir, assets_ref=assets_ref,
                stem=f"cell{index}", max_lines=int(meta.get("clip", options.max_lines)),
                width=int(meta.get("width", options.image_width)), text_width=options.width,
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


def marp(deck: Path, out: Path, *, pdf: bool = False, themes: Path = THEMES_DIR) -> Path:
    """Render a Marp Markdown deck to HTML (or PDF) with marp-cli.

    Args:
        deck: The Markdown deck.
        out: The output file (``.html`` or ``.pdf``).
        pdf: Render a PDF (needs Chromium and ``--allow-local-files`` so local
            images are embedded instead of silently vanishing).
        themes: Folder of theme CSS files (``--theme-set``).
    """
    # The input goes before --theme-set: marp takes a list of files after it.
    cmd = [str(marp_executable()), str(deck), "--theme-set", str(themes), "-o", str(out)]
    env = {"BROWSER_TIMEOUT": "120000"}
    if pdf:
        chrome = chrome_path()
        if chrome is None:
            raise LessonError(
                "PDF export needs Chromium, which was not found",
                hint="install it (`apt-get install chromium`) or set CHROME_PATH; HTML works without it",
            )
        env["CHROME_PATH"] = chrome
        cmd += ["--pdf", "--allow-local-files"]
    out.parent.mkdir(parents=True, exist_ok=True)
    proc.run(cmd, env=env, timeout=300, hint="see the marp-cli message above; `make setup` reinstalls it")
    if not out.exists():
        raise LessonError(f"marp-cli reported success but wrote no {out}")
    return out
