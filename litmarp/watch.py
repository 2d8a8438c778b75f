"""``make watch``: marp-cli's server over the rendered decks, and a loop that re-renders a lesson when its
source changes (all of them when a theme or an input does). Execution goes through the cache: a text edit
shows in a second or two.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Sequence
from pathlib import Path

from litmarp import proc, project
from litmarp.decks import Report, build_decks
from litmarp.marp import deck_html, drawn_themes, marp_executable
from litmarp.source import find_lessons


def marp_server_command(marp_bin: Path | str, folder: Path, *, themes: Sequence[Path],
                        html: bool = False) -> list[str]:
    """marp-cli in server mode over ``folder`` (pure; golden-tested). The port is ``$PORT``. ``html``: a deck
    served asks for its HTML (``litmarp.marp.deck_html``); one server serves them all."""
    return [str(marp_bin), "--server", str(folder), "--theme-set", *map(str, themes), *(["--html"] if html else [])]


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
                except Exception as exc:  # noqa: BLE001 - a broken edit must not stop the server
                    report(f"error: {exc}")
    except KeyboardInterrupt:
        report("stopping the server")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0
