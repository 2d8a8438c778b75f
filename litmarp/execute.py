"""Executing a lesson: papermill from the Markdown source, with progress, quietly, cached.

The kernel's working directory is ``notebooks/`` (as for a participant in Jupyter); outputs go to
``build/`` and never over the sources. One line per code cell says where it is (lesson, cell n/N, slide
title, elapsed).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from litmarp import cache, project
from litmarp.cache import METADATA_KEY, CachedRun, execution_inputs
from litmarp.editions import for_execution
from litmarp.errors import CellError
from litmarp.paths import shown_path
from litmarp.render import PARAMETER_TAGS, clean_text, lesson_code, starts_slide
from litmarp.source import Lesson

# ipykernel logs a warning on every start when it listens on TCP (the local default). --ext: ```bash cells
# are command cells (litmarp.shell) in every lesson, whether or not it configures the terminal; `make lab`
# registers the kernel with the same extension.
KERNEL_ARGS = ("--IPKernelApp.log_level=ERROR", "--ext=litmarp.shell")

Report = Callable[[str], None]


def _slide_title_before(cells: list, index: int) -> str | None:
    """The title of the slide that holds cell ``index``: its heading, else its ``_header`` directive, else its
    number (``#4``). Only that slide's own cells count (a deck whose titles are headers names the right one)."""
    starts = [i for i, c in enumerate(cells[:index]) if starts_slide(c)]
    first = starts[-1] if starts else 0
    text = "\n".join("".join(c["source"]) for c in cells[first:index] if c.get("cell_type") == "markdown")
    match = re.search(r"^#+ (.+)$", text, re.M) or re.search(r"<!--\s*_?header:\s*(.+?)\s*-->", text)
    if match:
        return match.group(1).strip().strip("'\"")
    return f"#{len(starts) + 1}" if cells else None


def parameterized(lesson: Lesson, site: str, parameters: dict[str, Any] | None = None) -> Any:
    """The lesson's notebook with papermill's parameters cell injected and the cache inputs recorded.

    ``parameters`` override more of the lesson's parameters cell (e.g. lesson 03's ``follow_minutes``).
    """
    import jupytext
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook


    # Through papermill's own loader, which adds the metadata its parameterizer expects. Exercise cells
    # (blanks to fill) never run: the solutions after them do (litmarp.editions).
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{lesson.name}.ipynb"
        nbformat.write(for_execution(jupytext.read(lesson.source)), path)
        nb = load_notebook_node(str(path))
    nb = parameterize_notebook(nb, {"site": site, **(parameters or {})}, kernel_name="python3", language="python")
    nb.metadata[METADATA_KEY] = execution_inputs(nb, site=site)
    return nb


# A cell's time limit unless the lesson's front matter (jupyter: litmarp: cell_timeout: N) or the cell
# (```python timeout=N```, ```bash timeout=N```) says otherwise: lesson 03 follows a job for up to 15 min.
DEFAULT_CELL_TIMEOUT = 1200
TICK_SECONDS = 30.0


def cell_timeout(nb: Any, cell: Any) -> int:
    """A cell's time limit in seconds: its ``timeout``, else the lesson's ``cell_timeout``, else the default."""
    lesson_default = nb.metadata.get("litmarp", {}).get("cell_timeout")
    return int(cell.metadata.get("timeout") or lesson_default or DEFAULT_CELL_TIMEOUT)


class _Progress:
    """papermill's cell hooks: one line per code cell as it starts, and a line every :data:`TICK_SECONDS`
    while it runs (a three-minute training and a hung cell must not look alike)."""

    def __init__(self, lesson: str, nb: Any, report: Report | None) -> None:
        self.lesson = lesson
        self.cells = nb.cells
        self.code = lesson_code(nb.cells)
        self.report = report
        self.start = time.monotonic()
        self.current: tuple[int, float] | None = None  # (cell index, when it started)
        self.last: tuple[int, float, float] | None = None  # the last cell that ended: (index, start, end)
        self.done = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="cell-clock", daemon=True)

    def where(self, cell_index: int) -> str:
        n = self.code.index(cell_index) + 1 if cell_index in self.code else "?"
        title = _slide_title_before(self.cells, cell_index) or ""
        return f"{self.lesson}  cell {n}/{len(self.code)}  {title[:40]:<40}"

    def started(self, cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        if cell_index not in self.code:
            return
        self.current = (cell_index, time.monotonic())
        if self.report:
            self.report(f"  {self.where(cell_index)}  {time.monotonic() - self.start:6.1f} s")
            if not self.ticker.is_alive():
                self.ticker.start()

    def finished(self, cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        if self.current is not None:
            self.last = (*self.current, time.monotonic())
        self.current = None

    def overran(self, nb: Any) -> int | None:
        """The last cell, when it ran to its time limit (so an interrupt that stopped it was the timeout's)."""
        if self.last is None:
            return None
        index, since, ended = self.last
        return index if ended - since >= cell_timeout(nb, nb.cells[index]) - 0.5 else None

    def _tick(self) -> None:
        shown = None
        while not self.done.wait(1.0):
            current = self.current
            if current is None or self.report is None:
                continue
            index, since = current
            ran = time.monotonic() - since
            ticks = int(ran // TICK_SECONDS)
            if ticks and (index, ticks) != shown:
                shown = (index, ticks)
                self.report(f"  {self.where(index)}  … still running, {ran:4.0f} s in this cell")


def _stop_kernels_on_ctrl_c() -> Callable[[], None]:
    """On Ctrl-C, kill the kernel and everything it started, then stop as Python does (KeyboardInterrupt).

    nbclient runs the cell in an event loop of its own thread: a plain KeyboardInterrupt in this thread left
    its clean-up waiting for the running cell (a `sleep 600` kept the build for ten minutes)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupted(signum: int, frame: Any) -> None:
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore


def _cell_error(lesson: Lesson, cells: list[Any], index: int, source: str, what: str, evidence: str = "", *,
                hint: str) -> CellError:
    """A cell's failure, named by lesson, slide and cell, with the cell's first line."""
    title = _slide_title_before(cells, index) if cells else None
    first_line = next((line for line in source.splitlines() if line.strip()), "")
    return CellError(f"lesson {lesson.name} ({shown_path(lesson.source)}): cell {index}"
                     + (f" on slide '{title}'" if title else "") + f" {what}",
                     details=f"cell starts: {first_line}" + evidence, hint=hint)


def _timeout_error(lesson: Lesson, nb: Any, index: int) -> CellError:
    return _cell_error(lesson, nb.cells, index, nb.cells[index].source,
                       f"ran past its time limit of {cell_timeout(nb, nb.cells[index])} s and was stopped",
                       hint="make the cell shorter, or give it more time: timeout=N in its fence "
                            "(```python timeout=1800```), or cell_timeout under jupyter: litmarp: in the lesson's "
                            "front matter")


def run_notebook(lesson: Lesson, nb: Any, *, site: str, out_dir: Path, report: Report | None = None) -> Path:
    """Execute an already parameterized notebook with papermill; return the executed copy.

    Raises:
        CellError: a cell raised, or ran past its time limit (:func:`cell_timeout`).
    """
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError


    out_dir.mkdir(parents=True, exist_ok=True)
    source_nb = out_dir / f"{lesson.name}.source.ipynb"
    nbformat.write(nb, source_nb)
    output = out_dir / f"{lesson.name}.ipynb"
    workshop = project.current()
    cwd = lesson.notebook.parent if lesson.notebook.parent.is_dir() else workshop.notebooks
    progress = _Progress(lesson.name, nb, report)
    # Subprocesses a lesson starts (the workshop's commands, batch jobs) read the same site.
    site_env = workshop.site_env
    previous = os.environ.get(site_env)
    os.environ[site_env] = site
    restore = _stop_kernels_on_ctrl_c()
    try:
        papermill.execute_notebook(
            str(source_nb), str(output), parameters=None, kernel_name="python3",
            progress_bar=False, cwd=str(cwd), extra_arguments=list(KERNEL_ARGS),
            on_cell_start=progress.started, on_cell_executed=progress.finished,
            # At its limit the cell is interrupted (KeyboardInterrupt in the kernel: a command cell stops
            # its command too), and the kernel shuts down cleanly.
            timeout_func=lambda cell: cell_timeout(nb, cell), interrupt_on_timeout=True,
        )
    except PapermillExecutionError as exc:
        overran = progress.overran(nb) if exc.ename == "KeyboardInterrupt" else None
        if overran is not None:
            raise _timeout_error(lesson, nb, overran) from None
        # papermill adds its own error banner cells; the cell index counts without them.
        cells = [c for c in (nbformat.read(output, as_version=4).cells if output.exists() else [])
                 if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
        raise _cell_error(lesson, cells, exc.cell_index, exc.source, f"raised {exc.ename}: {exc.evalue}",
                          "\n" + clean_text("\n".join(exc.traceback[-8:])),
                          hint=f"open notebooks/{lesson.name}.ipynb, run it with site={site!r}, fix the cell "
                               f"and sync; the executed copy is {output}") from None
    except CellTimeoutError:  # the kernel did not answer the interrupt either
        raise _timeout_error(lesson, nb, progress.current[0] if progress.current else 0) from None
    finally:
        restore()
        progress.done.set()
        if previous is None:
            os.environ.pop(site_env, None)
        else:
            os.environ[site_env] = previous
    source_nb.unlink(missing_ok=True)
    return output


def executed_lesson(lesson: Lesson, *, site: str, out_dir: Path, refresh: bool = False,
                    cache_path: Path | None = None, report: Report | None = None) -> tuple[Path, CachedRun | None]:
    """The lesson's executed notebook (from the cache when nothing that determines it changed) and where its
    outputs come from (None for a lesson without code). ``site``: as the build checked it (``Project.site``)."""
    import nbformat

    nb = parameterized(lesson, site)
    output = out_dir / f"{lesson.name}.ipynb"
    out_dir.mkdir(parents=True, exist_ok=True)
    if not lesson_code(nb.cells, PARAMETER_TAGS | {"skip-execution"}):  # fences only shown: no kernel to start
        nbformat.write(nb, output)
        return output, None
    store = cache.open_cache(cache_path)
    store, hit = (store, None) if refresh else cache.repaired(store, report or print, cache.lookup, nb)
    if hit is not None:
        merged, run = hit
        nbformat.write(merged, output)
        return output, run
    started = time.monotonic()
    executed = run_notebook(lesson, nb, site=site, out_dir=out_dir, report=report)
    outputs, seconds = nbformat.read(executed, as_version=4), time.monotonic() - started
    _, run = cache.repaired(store, report or print, cache.store, nb, outputs, uri=str(lesson.source), site=site,
                            seconds=seconds)
    return executed, run
