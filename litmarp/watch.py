"""``make watch``: marp-cli's server over the rendered decks, and a loop that re-renders a lesson when its
source changes (all of them when a theme or an input does). Execution goes through the cache: a text edit
shows in a second or two.
"""

from __future__ import annotations

import os
import posixpath
import signal
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from litmarp import proc, project
from litmarp.decks import Report, build_decks
from litmarp.marp import deck_html, drawn_themes, marp_executable, theme_files
from litmarp.paths import inside, shown_path
from litmarp.render import map_references
from litmarp.source import find_lessons


def marp_server_command(marp_bin: Path | str, folder: Path, *, themes: Sequence[Path],
                        html: bool = False) -> list[str]:
    """marp-cli in server mode over ``folder`` (pure; golden-tested). The port is ``$PORT``. ``html``: a deck
    served asks for its HTML (``litmarp.marp.deck_html``); one server serves them all."""
    return [str(marp_bin), "--server", str(folder), "--theme-set", *map(str, themes), *(["--html"] if html else [])]


def served_files(out_dir: Path, texts: Iterable[tuple[str, bool]]) -> dict[str, Path]:
    """{path under the server's root: the file} for each file that the decks and themes served from ``out_dir``
    name outside it (``texts``: each text, and whether it is a theme's CSS).

    marp-cli's server serves ``out_dir`` alone, and a browser reads ``../../slides/assets/a.png`` in
    ``/deck.md`` as ``/slides/assets/a.png``: a URL never climbs above its root.
    """
    root = out_dir.resolve()
    wanted: dict[str, Path] = {}

    def note(path: str) -> None:
        if path.split("/", 1)[0] == "..":
            wanted[posixpath.normpath("/" + path).lstrip("/")] = Path(os.path.normpath(root / path))

    for text, css in texts:
        map_references(text, note, css=css)
    return wanted


def link_served_files(out_dir: Path, themes: Sequence[Path], report: Report) -> None:
    """Put a link in ``out_dir`` where the browser asks for each project file the decks there name outside it
    (:func:`served_files`), so the server shows what the HTML and PDF files show; only those files (links
    to files no deck names any more go)."""
    root = project.current().root.resolve()
    texts = [(deck.read_text(encoding="utf-8", errors="replace"), False) for deck in sorted(out_dir.glob("*.md"))]
    texts += [(css.read_text(encoding="utf-8", errors="replace"), True) for css in theme_files(themes).values()]
    wanted = {out_dir / url: file for url, file in served_files(out_dir, texts).items()
              if file.is_file() and inside(file.resolve(), root)}  # never a file outside the project
    for link in [p for p in out_dir.rglob("*") if p.is_symlink()]:
        if link not in wanted and inside(Path(os.path.realpath(link)), root):
            link.unlink()  # one of ours, for a file no deck names now
    for link, file in wanted.items():
        try:
            if link.is_symlink() and Path(os.readlink(link)) == file:
                continue
            if link.is_symlink():
                link.unlink()
            elif link.exists():
                if link.resolve() != file.resolve():
                    report(f"warning: {shown_path(link)} is in the way of {shown_path(file)}: the server shows "
                           "the first")
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(file)
        except OSError as exc:  # a file where a folder must go, a read-only folder: the rest still serves
            report(f"warning: the server cannot show {shown_path(file)} ({exc.strerror}: {shown_path(link)})")


def _stamps(paths: Sequence[Path]) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in paths if p.exists()}


def changed_lessons(before: dict[Path, float], after: dict[Path, float], sources: dict[Path, str]) -> list[str]:
    """Names of the lessons to re-render: their source changed, or all of them when a shared file did."""
    touched = [p for p in after if before.get(p) != after[p]]
    if any(p not in sources for p in touched):
        return sorted(set(sources.values()))
    return sorted({sources[p] for p in touched})


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(names: Sequence[str] | None = None, *, site: str | None = None, out_dir: Path, port: int = 8080,
          report: Report = print, interval: float = 1.0) -> int:
    """Render, serve on ``port`` and re-render on changes until interrupted."""
    lessons = find_lessons(names)
    build_decks([lesson.name for lesson in lessons], site=site, out_dir=out_dir, report=report)
    sources = {lesson.source: lesson.name for lesson in lessons}
    workshop = project.current()
    # The lessons, the themes, and what every lesson depends on (the project's inputs, for every site).
    watched = [*sources, *workshop.themes.glob("*.css"), *workshop.input_files("*")]
    # SIGTERM (a terminal closing, `kill`) stops like Ctrl-C, so the server never outlives the loop.
    signal.signal(signal.SIGTERM, _interrupt)
    html = any(deck_html(lesson.source) for lesson in lessons)
    themes = drawn_themes(list(sources), out_dir)
    link_served_files(out_dir, themes, report)
    server = proc.start(marp_server_command(marp_executable(), out_dir, themes=themes, html=html),
                        env={"PORT": str(port)})
    report(f"serving {out_dir} at http://localhost:{port}/ (Ctrl-C stops); watching {len(sources)} lesson(s)")
    stamps = _stamps(watched)
    try:
        while server.poll() is None:
            time.sleep(interval)
            now = _stamps(watched)
            todo = changed_lessons(stamps, now, sources)
            stamps = now
            if todo:
                try:
                    build_decks(todo, site=site, out_dir=out_dir, report=report)
                    link_served_files(out_dir, themes, report)
                except Exception as exc:  # noqa: BLE001 - a broken edit must not stop the server
                    report(f"error: {exc}")
    except KeyboardInterrupt:
        report("stopping the server")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0
