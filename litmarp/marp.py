"""marp-cli and Chromium: the pinned marp-cli, the themes a deck may use (found where marp-cli would look),
``--html`` where the deck or its marp-cli configuration asks for it, and drawing many decks per process.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from litmarp import proc, project
from litmarp.errors import LessonError
from litmarp.paths import shown_path
from litmarp.proc import chrome_path
from litmarp.render import FRONT_MATTER, code_lines, relink_images


def marp_executable(root: Path | None = None) -> Path:
    """The pinned marp-cli (``npm ci`` installs it): the project's ``node_modules``, else the one beside the
    engine (a workshop of its own that installs none), else ``marp`` on PATH."""
    here = [(root or project.current().root) / "node_modules" / ".bin" / "marp",
            Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "marp"]
    found = next((path for path in here if path.exists()), None) or shutil.which("marp")
    if found is None:
        raise LessonError(
            f"marp-cli is not installed ({here[0]} is missing)",
            hint="install it in the project: `npm ci` where a package-lock.json pins it (`make setup` runs it), "
                 "else `npm install @marp-team/marp-cli`",
        )
    return Path(found)


MARP_KINDS = ("html", "pdf", "notes")
BUILTIN_THEMES = ("default", "gaia", "uncover")
_THEME_NAME = re.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")  # a CSS comment, where @theme NAME is


def front_matter(markdown: str) -> dict[str, Any]:
    """A deck's YAML front matter as a mapping (empty when it has none or it does not parse)."""
    import yaml

    match = FRONT_MATTER.match(markdown)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(0).strip().strip("-"))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def css_theme_name(css: str) -> str | None:
    """The name a theme CSS declares (``/* @theme NAME */``), or None: marp-cli ignores such a file."""
    for comment in _THEME_NAME.findall(css):
        match = re.search(r"@theme\s+([^\s*]+)", comment)
        if match:
            return match.group(1)
    return None


def theme_files(sets: Sequence[Path]) -> dict[str, Path]:
    """Theme name -> CSS file, for theme sets as marp-cli takes them (folders are searched, files taken)."""
    found: dict[str, Path] = {}
    for entry in sets:
        for css in sorted(entry.rglob("*.css")) if entry.is_dir() else [entry] if entry.is_file() else []:
            name = css_theme_name(css.read_text(encoding="utf-8", errors="replace"))
            if name:
                found.setdefault(name, css)
    return found


def deck_theme(markdown: str) -> str | None:
    """The theme a deck asks for: its front matter's ``theme``, or a ``<!-- theme: NAME -->`` directive
    (the last one wins, as in Marp); None for Marp's default theme."""
    front = FRONT_MATTER.match(markdown)
    name = front_matter(markdown).get("theme")
    if name is None and front:  # YAML that does not parse: Marp's loose YAML may still read the key
        loose = re.search(r"^theme:\s*(\S+)", front.group(0), re.M)
        name = loose.group(1) if loose else None
    body = markdown[front.end():] if front else markdown
    code = code_lines(body)
    text = "\n".join(line for n, line in enumerate(body.split("\n")) if n not in code)
    for comment in re.findall(r"<!--(.*?)-->", text, re.S):
        for match in re.finditer(r"^\s*\$?theme\s*:\s*(.+?)\s*$", comment, re.M):
            name = match.group(1)
    return str(name).strip("'\"") if name else None


def theme_folders(source: Path) -> list[Path]:
    """Where a deck's themes are looked for: the project's themes (``slides/themes``), and for a deck outside
    ``slides/`` its folder and its ``themes/`` folder (as a marp-cli user passes ``--theme-set``)."""
    folder = source.resolve().parent
    workshop = project.current()
    themes = workshop.themes
    return [themes] if folder == workshop.slides.resolve() else [themes, folder, folder / "themes"]


def deck_themes(source: Path) -> list[Path]:
    """The theme sets for a deck: the project's themes, plus the theme CSS files (``@theme`` declared) beside a
    deck outside ``slides/`` and in its ``themes/`` folder, so its own ``theme:`` is found as marp-cli would."""
    sets = [project.current().themes]
    for folder in theme_folders(source)[1:]:
        sets += sorted(css for css in folder.glob("*.css")
                       if css_theme_name(css.read_text(encoding="utf-8", errors="replace")))
    return sets


def drawn_themes(sources: Sequence[Path], out_dir: Path) -> list[Path]:
    """The theme sets for marp-cli drawing these decks into ``out_dir``, the project's first.

    Marp puts a theme into each deck's HTML, so a ``url(…)`` in it resolves from the HTML, not from the CSS;
    marp-cli writes the HTML beside its deck, so such a path means the deck's folder (``slides/`` for the
    project's themes). A theme with one is written again into ``out_dir/.themes/``, relinked for ``out_dir``.
    """
    workshop = project.current()
    bases = {workshop.themes: workshop.slides}  # theme set -> the folder its url()s are written for
    for source in sources:
        for entry in deck_themes(source):
            bases.setdefault(entry, workshop.slides if entry == workshop.themes else source.resolve().parent)
    drawn: list[Path] = []
    for entry, base in sorted(bases.items(), key=lambda item: (item[0] != workshop.themes, str(item[0]))):
        files = {css: css.read_text(encoding="utf-8", errors="replace") for css in theme_files([entry]).values()}
        moved = {css: relink_images(text, base, out_dir, css=True) for css, text in files.items()}
        if all(moved[css] == text for css, text in files.items()):
            drawn.append(entry)
            continue
        for number, (css, text) in enumerate(moved.items()):
            if text == files[css]:
                drawn.append(css)
            else:
                copy = out_dir / ".themes" / f"{len(drawn)}-{number}-{css.name}"
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_text(text, encoding="utf-8")
                drawn.append(copy)
    return drawn


def check_theme(markdown: str, source: Path) -> None:
    """Raise unless the theme the deck asks for is built in or in its theme sets (marp-cli would fall back to
    the default theme without a word).

    Raises:
        LessonError: naming the theme and every place looked in.
    """
    name = deck_theme(markdown)
    if name is None or name in BUILTIN_THEMES:
        return
    sets = deck_themes(source)
    if name in theme_files(sets):
        return
    looked = [f"Marp's built-in themes ({', '.join(BUILTIN_THEMES)})"]
    themes = project.current().themes
    for folder in theme_folders(source):
        names = sorted(theme_files([folder] if folder == themes else
                                   [p for p in sets if p.parent == folder]))
        where = f"{folder}/" if folder == themes else f"{folder}/*.css"
        looked.append(f"{where} ({', '.join(names) or 'no themes'})")
    raise LessonError(
        f"{source.name} asks for theme '{name}', which was not found (Marp would fall back to its default "
        "theme)", details="looked in:\n" + "\n".join(f"  {place}" for place in looked),
        hint=f"put the theme's CSS (with /* @theme {name} */) beside the deck or in its themes/ folder, "
             f"or in {shown_path(themes)}/ for a lesson; or fix the deck's theme:")


# marp-cli's own configuration lookup (cosmiconfig, which npm installed with it), run by node in a folder. A
# config that prints goes to stderr; only the keys and a boolean html come back (a config holds code too).
_CONFIG_JS = """
console.log = console.info = (...words) => process.stderr.write(words.join(" ") + "\\n");
const [cli, folder] = process.argv.slice(1);
let cosmiconfig;
try {
  ({cosmiconfig} = require(require.resolve("cosmiconfig", {paths: [cli]})));
} catch (error) {
  process.stderr.write(`cosmiconfig, marp-cli's configuration loader, is not beside ${cli}`);
  process.exit(3);
}
cosmiconfig("marp").search(folder).then((found) => {
  const config = found && !found.isEmpty ? found.config : undefined;
  const object = typeof config === "object" && config !== null && !Array.isArray(config);
  process.stdout.write(JSON.stringify(config === undefined ? {} : {file: found.filepath,
    keys: object ? Object.keys(config) : [], html: object && typeof config.html === "boolean" ? config.html : null}));
}).catch((error) => { process.stderr.write(`${error.filepath || folder}: ${error.message}`); process.exit(1); });
"""


def marp_config(folder: Path) -> dict[str, Any]:
    """The marp-cli configuration a user running ``marp`` in ``folder`` gets, found and read by marp-cli's own
    loader (``.marprc*``, ``marp.config.js``/``.mjs``/``.cjs``, ``package.json``'s ``marp``...): ``{}`` when there is
    none, else ``file`` (its path), ``keys`` (every key it sets) and ``html`` (True, False or None).

    Raises:
        LessonError: the file cannot be read (node's message), as marp-cli would stop on it.
    """
    names = (".marprc", "marp.config.", "package.json", ".config")
    found = [p for p in sorted(folder.glob("*")) if p.name.startswith(names)]
    found += sorted(folder.glob(".config/*"))  # cosmiconfig looks in .config/ too: edits there count
    if [p.name for p in found] == ["package.json"]:  # most projects' (ours): no node for a package without marp
        try:
            if "marp" not in json.loads(found[0].read_text(encoding="utf-8")):
                return {}
        except (ValueError, TypeError):
            pass  # marp-cli's loader says what is wrong with it
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in found)
    return _read_config(folder.resolve(), stamps) if found else {}


@functools.lru_cache(maxsize=64)
def _read_config(folder: Path, stamps: tuple[tuple[str, int, int], ...]) -> dict[str, Any]:
    cli = Path(os.path.realpath(marp_executable()))
    result = proc.run(["node", "-e", _CONFIG_JS, str(cli), str(folder)], check=False, timeout=60,
                      hint="marp-cli runs on node: install Node.js (the README's set-up does)")
    if result.returncode == 3:
        raise LessonError(result.stderr.strip(), hint="install marp-cli in the project: `npm ci`")
    if result.returncode:
        raise LessonError(f"marp-cli's configuration cannot be read: {result.stderr.strip()}",
                          hint="fix that file (marp-cli run in that folder stops on it too)")
    return json.loads(result.stdout or "{}")


# marp-cli configuration that changes how slides are drawn, which the engine does not pass on (html it does).
NOT_CARRIED = ("engine", "options", "theme", "themeSet", "template")


def dropped_config(folder: Path) -> str | None:
    """A warning naming what the marp-cli configuration in ``folder`` sets that the engine draws without."""
    config = marp_config(folder)
    dropped = [key for key in config.get("keys", []) if key in NOT_CARRIED]
    if not dropped:
        return None
    return (f"warning: {config['file']} sets {', '.join(dropped)} for marp-cli: the engine draws without them "
            "(of the configuration only html comes along), so look at the slides; a theme goes beside the deck, "
            "in its themes/ folder or in the project's")


def deck_html(source: Path) -> bool:
    """Whether marp-cli gets ``--html`` for a deck: ``html: true`` in the deck's front matter, else in the
    marp-cli configuration beside the deck, else in the project's (its root). Off by default, as in marp-cli:
    Marp then renders only the HTML elements and attributes it considers safe (no ``style=``, no custom
    elements, no scripts), so a deck from elsewhere runs nothing it does not ask for."""
    text = source.read_text(encoding="utf-8") if source.is_file() else ""
    asked = front_matter(text).get("html")
    if asked is None:
        for folder in dict.fromkeys([source.resolve().parent, project.current().root]):
            asked = marp_config(folder).get("html")
            if asked is not None:
                break
    return asked is True


def marp_batch_command(marp_bin: Path | str, decks: Sequence[Path], *, kind: str = "html",
                       themes: Sequence[Path], html: bool = False) -> list[str]:
    """marp-cli over several decks at once (one process, and for PDF one browser: much faster than one each),
    each output beside its deck: ``<deck>.html``, ``.pdf`` or ``.txt`` (notes). Pure; golden-tested."""
    if kind not in MARP_KINDS:
        raise ValueError(f"kind must be one of {MARP_KINDS}, not {kind!r}")
    flags = ["--pdf", "--pdf-notes", "--allow-local-files"] if kind == "pdf" else ["--notes"] if kind == "notes" else []
    return [str(marp_bin), *map(str, decks), "--theme-set", *map(str, themes), *flags, *(["--html"] if html else [])]


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


def marp_batch(decks: Sequence[Path], *, themes: Sequence[Path], kinds: Sequence[str] = ("html",),
               html: bool | Sequence[bool] = False, on_html: Callable[[Path], None] | None = None) -> list[Path]:
    """Draw decks with marp-cli, every kind at once (a browser mostly waits), each output beside its deck:
    ``.html``, ``.pdf``, notes ``.notes.txt``. Per kind, one process for the decks that get ``--html`` (``html``:
    for all decks, or one flag per deck) and one for the others. ``on_html`` gets each HTML page as soon as
    they are written (the fit check measures while the PDF is drawn). Returns the HTML pages."""
    flags = [html] * len(decks) if isinstance(html, bool) else list(html)
    groups = {wanted: [deck for deck, flag in zip(decks, flags, strict=True) if flag == wanted]
              for wanted in (False, True)}
    suffixes = {"html": ".html", "pdf": ".pdf", "notes": ".txt"}
    outputs = {kind: [deck.with_suffix(suffixes[kind]) for deck in decks] for kind in kinds}
    started = max((p.stat().st_mtime for paths in outputs.values() for p in paths if p.exists()), default=0.0)

    def draw(kind: str, wanted: bool) -> None:
        proc.run(marp_batch_command(marp_executable(), groups[wanted], kind=kind, themes=themes, html=wanted),
                 env=marp_env(pdf=kind == "pdf"), timeout=120 + 60 * len(groups[wanted]),
                 hint="see the marp-cli message above; `npm ci` reinstalls it")

    with ThreadPoolExecutor(max_workers=2 * len(kinds)) as pool:
        jobs = {kind: [pool.submit(draw, kind, wanted) for wanted, group in groups.items() if group] for kind in kinds}
        for kind in kinds:  # the HTML first
            for job in jobs[kind]:
                job.result()
            missing = [p for p in outputs[kind] if not p.exists() or p.stat().st_mtime < started]
            if missing:
                raise LessonError(f"marp-cli reported success but did not write {', '.join(map(str, missing))}")
            if kind == "html" and on_html is not None:
                for page in outputs[kind]:
                    on_html(page)
    for notes in outputs.get("notes", []):
        notes.replace(notes.with_suffix(".notes.txt"))
    return outputs.get("html", [])
