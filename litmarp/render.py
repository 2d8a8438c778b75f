"""Executed notebook → Marp Markdown: markdown cells as they are (they already are Marp slides), each code
cell followed by its outputs (text clipped in an ````` ```output ````` fence, PNG images written beside the
deck, ``text/markdown`` inlined).

Cell tags ``remove-cell``, ``remove-input`` and ``remove-output`` work as in Jupyter Book; cell metadata
``clip=N`` and ``width=N`` override the defaults for one cell; ``show-warnings`` keeps the Python warnings a
library prints to stderr. The parameters cells are never shown. Relative references in the markdown are
rewritten so they still resolve from where the deck is written.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litmarp.shell import NOT_RUN_MIME, split_commands, transcript

DEFAULT_MAX_LINES = 12
DEFAULT_IMAGE_WIDTH = 600
DEFAULT_WIDTH = 96
OUTPUT_FENCE = "output"
# A command cell's transcript (commands as typed, then what they printed), and commands shown but not run.
TERMINAL_FENCE = "terminal"
NOT_RUN_FENCE = "not-run"
COMMAND_MAGIC = "%%bash"

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class RenderOptions:

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


def clip_text(text: str, max_lines: int, width: int = 0) -> str:
    """Wrap ``text`` to ``width``, at a space where there is one (Marp shrinks a code block until its longest
    line fits, so one long warning line would make the whole output unreadable), and clip it to at most
    ``max_lines`` slide lines, marker included.

    Keeps the head and the tail (the tail of a log usually holds the result) and puts ``… N lines
    omitted`` between them. A line is kept or left out whole, never cut between its wrapped parts.
    """
    lines = text.rstrip("\n").split("\n")
    parts = [_wrapped(line, width) for line in lines]
    if max_lines <= 0 or sum(map(len, parts)) <= max_lines:
        return "\n".join(p for group in parts for p in group)
    budget = max(max_lines - 1, 1)
    head, tail = 0, len(parts)  # shown: parts[:head] and parts[tail:]
    used = 0
    while head < tail:  # alternate: a line from the tail, then one from the head, while they fit
        order = (tail - 1, head) if len(parts) - tail <= head else (head, tail - 1)
        pick = next((k for k in order if used + len(parts[k]) <= budget), None)
        if pick is None:
            break
        used += len(parts[pick])
        if pick == tail - 1:
            tail -= 1
        else:
            head += 1
    flat = [p for group in parts for p in group]
    if head == 0 and tail == len(parts):  # one line longer than the whole budget: show its first and last parts
        keep_head = budget // 2
        keep_tail = budget - keep_head
        return "\n".join([*flat[:keep_head], f"… {len(flat) - budget} wrapped lines omitted",
                          *flat[len(flat) - keep_tail:]])
    return "\n".join([*(p for group in parts[:head] for p in group), f"… {tail - head} lines omitted",
                      *(p for group in parts[tail:] for p in group)])


def _fence(text: str, lang: str) -> str:
    # A longer fence than any backtick run inside keeps the block closed.
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def cell_source(cell: Any) -> str:
    """A cell's source as one string (nbformat nodes and raw notebook JSON alike)."""
    return _join(cell.get("source", ""))


def cell_tags(cell: Any) -> set[str]:
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


def strip_warnings(text: str) -> str:
    """Remove Python warnings (and the source line each quotes) from a stderr stream."""
    return _WARNING.sub("", text if text.endswith("\n") else text + "\n")


# --- References a deck makes (images, media, CSS url(…)), relinked wherever the deck is written ------------

# Not a path relative to the deck: a URL (scheme:), an absolute path, an anchor, a query, a template.
_NOT_RELATIVE = re.compile(r"^([a-z][a-z0-9+.-]*:|/|#|\?|\{\{|$)", re.I)
# ![alt](target …) and [text](target …): Marp's images (also ![bg …]) and links.
_MD_REF = re.compile(r"(!?\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]\(\s*)(<[^<>\n]+>|[^\s()<>]+)")
# src=, poster=, href=, data= on the HTML elements that load or link something.
_HTML_REF = re.compile(r"(<(?:img|source|video|audio|track|iframe|embed|object|a|link|image|use|input)\b"
                       r"(?:\s[^<>]*?)?\s(?:src|poster|href|data|xlink:href)\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'<>]+)",
                       re.I)
# CSS url(…): backgroundImage directives, style attributes, <style> blocks, themes in front matter.
_CSS_URL = re.compile(r"(url\(\s*)(\"[^\"\n]*\"|'[^'\n]*'|&quot;.*?&quot;|[^\s\"')]+)(?=\s*\))", re.I)
_IMPORT = re.compile(r"@import(?:-theme)?\s*$", re.I)  # searched up to a url(: is it an @import's?
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
FRONT_MATTER = re.compile(r"^---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|$)", re.S)  # group 1: the YAML


@functools.lru_cache(maxsize=1)
def markdown_parser() -> Any:
    """markdown-it with the block rules marp-core uses (CommonMark, tables, strikethrough, raw HTML blocks,
    ``$$`` math): what is a slide break, a fence or a heading is decided as Marp decides it."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(dollarmath_plugin)


def code_lines(markdown: str) -> set[int]:
    """The line numbers (from 0) inside fenced or indented code blocks: text shown as it is."""
    if "```" not in markdown and "~~~" not in markdown and "    " not in markdown and "\t" not in markdown:
        return set()
    lines: set[int] = set()
    for token in markdown_parser().parse(markdown):
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(*token.map))
    return lines


def map_references(markdown: str, fix: Callable[[str], str | None], *, document: bool = True,
                   css: bool = False) -> str:
    """Rewrite every relative reference the Markdown makes outside code: ``![…](…)`` (Marp's ``![bg]`` too),
    links, ``src=``/``poster=``/``href=`` in HTML, and CSS ``url(…)`` (in directives such as
    ``backgroundImage``, ``style`` attributes and ``<style>`` blocks, and in the front matter).

    ``fix`` gets the path as a file path (percent-escapes decoded, ``#…``/``?…`` cut off) and returns the
    new path, or None to leave the reference as it is. Code (fences, indented blocks, inline code) is
    shown, never read: it is left alone. ``document``: the text may start with front matter (a whole deck);
    False for a notebook's Markdown cell, where a first ``---`` is a slide break. ``css``: the text is a theme's
    stylesheet: only its ``url(…)``, never an ``@import``'s (which names a theme, not a file).
    """
    from urllib.parse import quote, unquote

    def rewrite(target: str) -> str:
        quote_char = target[0] if target[:1] in "\"'<" else ""
        inner = target[1:-1] if quote_char else target
        entity = inner.startswith("&quot;") and inner.endswith("&quot;") and len(inner) > 12
        if entity:
            inner = inner[6:-6]
        cut = next((i for i, char in enumerate(inner) if char in "#?"), len(inner))
        path, rest = inner[:cut], inner[cut:]
        if _NOT_RELATIVE.match(path.strip()):
            return target
        moved = fix(unquote(path.strip()))
        if moved is None:
            return target
        escape = "%" in path or (" " in moved and not quote_char)
        new = (quote(moved, safe="/._-~") if escape else moved) + rest
        if entity:
            new = f"&quot;{new}&quot;"
        return f"{quote_char}{new}{'>' if quote_char == '<' else quote_char}" if quote_char else new

    def relinked(match: re.Match[str]) -> str:
        return match.group(1) + rewrite(match.group(2))

    if css:
        return _CSS_URL.sub(lambda m: m.group(0) if _IMPORT.search(markdown, max(0, m.start() - 80), m.start())
                            else relinked(m), markdown)
    head = ""
    front = FRONT_MATTER.match(markdown) if document else None
    if front:
        head, markdown = _CSS_URL.sub(relinked, front.group(0)), markdown[front.end():]
    lines = markdown.split("\n")
    shown: list[str] = []  # code, held out while the rest is rewritten

    def hold(text: str) -> str:
        shown.append(text)
        return f"\x00{len(shown) - 1}\x00"

    code = code_lines(markdown)
    masked = "\n".join(hold(line) if n in code else _CODE_SPAN.sub(lambda m: hold(m.group(0)), line)
                       for n, line in enumerate(lines))
    for pattern in (_MD_REF, _HTML_REF, _CSS_URL):
        masked = pattern.sub(relinked, masked)
    return head + re.sub(r"\x00(\d+)\x00", lambda m: shown[int(m.group(1))], masked)


def relink_images(markdown: str, source_dir: Path, deck_dir: Path, *, document: bool = True,
                  css: bool = False) -> str:
    """Rewrite the relative references written for ``source_dir`` (images, media, CSS ``url(…)``, links;
    :func:`map_references`) so they resolve from ``deck_dir``. ``document``, ``css``: as for
    :func:`map_references`."""
    if source_dir.resolve() == deck_dir.resolve():
        return markdown
    base, target = source_dir.resolve(), deck_dir.resolve()
    return map_references(markdown, lambda path: Path(os.path.relpath((base / path).resolve(), target)).as_posix(),
                          document=document, css=css)


def _outputs_to_md(outputs: list[Any], *, assets_dir: Path, assets_ref: str, stem: str,
                   max_lines: int, width: int, text_width: int, warnings: bool = False,
                   fence: str = OUTPUT_FENCE) -> list[str]:
    blocks: list[str] = []
    text_buffer: list[str] = []
    # Commands not run for one reason, one after the other: one block, the label once.
    not_run: dict[str, list[str]] = {}  # at most one label: the block being collected

    def flush() -> None:
        for label, commands in not_run.items():
            blocks.append(_fence(f"{label}\n{transcript(commands)}", NOT_RUN_FENCE))
        not_run.clear()
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
            shown = data[NOT_RUN_MIME]
            if shown["label"] not in not_run or text_buffer:
                flush()
            not_run.setdefault(shown["label"], []).append(shown["command"])
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


def lesson_code(cells: list[Any], skip: frozenset[str] = PARAMETER_TAGS) -> list[int]:
    """Indices of the code cells that run the lesson's own code: not its parameters cells (no slide shows them)."""
    return [i for i, c in enumerate(cells)
            if c["cell_type"] == "code" and cell_source(c).strip() and not skip & cell_tags(c)]


def is_command_cell(source: str) -> bool:
    """A command cell: a ```bash fence in the lesson, ``%%bash`` in the notebook (:mod:`litmarp.shell`)."""
    return source.lstrip().startswith(COMMAND_MAGIC + "\n") or source.strip() == COMMAND_MAGIC


def command_text(source: str) -> str:
    """The commands of a command cell (its source without the ``%%bash`` line)."""
    return source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""


def starts_slide(cell: Any) -> bool:
    """A markdown cell that begins a slide (its ``---`` break): the one rule for where slides start."""
    return cell["cell_type"] == "markdown" and cell_source(cell).lstrip("\n").startswith("---\n")


def parameter_slide_cells(cells: list[Any]) -> set[int]:
    """Indices of the cells to drop: every parameters cell, and the slide holding one when
    nothing else on it runs (the deck's first slide always stays)."""
    drop = {i for i, c in enumerate(cells) if c["cell_type"] == "code" and PARAMETER_TAGS & cell_tags(c)}
    groups: list[list[int]] = [[]]
    for i, cell in enumerate(cells):
        if starts_slide(cell):
            groups.append([])
        groups[-1].append(i)
    for group in groups[1:]:
        code = [i for i in group if cells[i]["cell_type"] == "code" and cell_source(cells[i]).strip()]
        text = "\n".join(cell_source(cells[i]) for i in group if cells[i]["cell_type"] == "markdown")
        if code and all(i in drop for i in code) and "\n---\n" not in text.lstrip("\n")[4:]:
            drop.update(group)
    return drop


def notebook_to_marp(nb: Any, deck_path: Path, *, options: RenderOptions = RenderOptions(),
                     stamp: str | None = None, source_dir: Path | None = None) -> str:
    """The Markdown deck of an (executed) notebook to be written at ``deck_path``; its images are written to
    ``<deck stem>/`` beside it. ``stamp`` (site and time of the outputs) is the title slide's footer;
    ``source_dir`` is the lesson's folder, for relative references."""
    assets_dir = deck_path.parent / deck_path.stem
    assets_ref = deck_path.stem
    cells = list(nb["cells"])
    dropped = parameter_slide_cells(cells)
    parts: list[str] = []
    stamped = stamp is None
    for index, cell in enumerate(cells):
        tags = cell_tags(cell)
        source = cell_source(cell)
        if "remove-cell" in tags or index in dropped:
            continue
        if cell["cell_type"] == "raw":
            if index == 0 and source.lstrip().startswith("---"):
                front = _front_matter(source)
                parts.append(relink_images(front, source_dir, deck_path.parent) if source_dir is not None else front)
            continue
        if cell["cell_type"] == "markdown":
            if source_dir is not None:
                source = relink_images(source, source_dir, deck_path.parent, document=False)
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
