"""Does every slide fit? Measured in a real browser (Playwright driving the system Chromium).

Each slide's content is measured against its content box (the 1280×720 slide less the theme's padding), in
slide pixels whatever the window's size, so a report means the same on every machine with the same fonts.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litmarp.errors import FitError, LessonError
from litmarp.proc import chrome_path

FIT_HINT = ("split the slide, print fewer or shorter lines, clip the output (```python clip=N```); "
            "then re-render (outputs come from the cache)")
# Tolerance for sub-pixel rounding.
TOLERANCE_PX = 2.0
# The smallest text a room can read on a 1280x720 slide as presented (Marp's auto-scaling included).
MIN_TEXT_PX = 16.0

# Runs in the page: one record per slide. Header and footer are absolutely
# positioned by the theme and excluded; an element that clips its own content
# (scrollWidth/scrollHeight beyond its box) counts as overflowing by the hidden part.
_MEASURE_JS = r"""
() => {
  const slides = Array.from(document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section'))
    .filter(s => !s.hasAttribute('data-marpit-advanced-background')
                 || s.getAttribute('data-marpit-advanced-background') === 'content');
  return slides.map((s, i) => {
    const r = s.getBoundingClientRect();
    const scale = r.height / s.offsetHeight || 1;
    const cs = getComputedStyle(s);
    const limitBottom = s.offsetHeight - parseFloat(cs.paddingBottom);
    const limitRight = s.offsetWidth - parseFloat(cs.paddingRight);
    let bottom = 0, right = 0, inner = 0, innerY = 0;
    for (const el of s.querySelectorAll(':scope > *')) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'header' || tag === 'footer' || tag === 'style' || tag === 'script') continue;
      const st = getComputedStyle(el);
      if (st.position === 'absolute' || st.position === 'fixed' || st.display === 'none') continue;
      const e = el.getBoundingClientRect();
      if (e.width === 0 && e.height === 0) continue;
      bottom = Math.max(bottom, (e.bottom - r.top) / scale);
      right = Math.max(right, (e.right - r.left) / scale);
      for (const box of [el, ...el.querySelectorAll('pre, table, code, img')]) {
        if (box.clientWidth > 0) inner = Math.max(inner, box.scrollWidth - box.clientWidth);
        const bs = getComputedStyle(box);
        if (box.clientHeight > 0 && bs.overflowY !== 'visible') {
          innerY = Math.max(innerY, box.scrollHeight - box.clientHeight);
        }
      }
    }
    // The smallest text as presented: the computed font size times every scale between the element
    // and the slide (Marp's auto-scaling draws a code block or a fitted heading inside an SVG that
    // shrinks it; the computed size does not say so).
    let smallest = Infinity;
    const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.textContent.trim()) continue;
      const el = t.parentElement;
      if (!el || el.closest('style, script') || !el.offsetWidth) continue;
      const st = getComputedStyle(el);
      if (st.display === 'none' || st.visibility === 'hidden') continue;
      // The scale from an element at least 100 px wide: offsetWidth is rounded to whole pixels, which
      // would make a short word look scaled. A scaled block is wider than its box, so never that small.
      let box = el;
      while (box.offsetWidth < 100 && box.parentElement && box !== s) box = box.parentElement;
      const own = box.getBoundingClientRect().width / box.offsetWidth;
      smallest = Math.min(smallest, parseFloat(st.fontSize) * own / scale);
    }
    const heading = s.querySelector('h1, h2, h3');
    return {
      index: i + 1,
      title: heading ? heading.textContent.trim() : '',
      height: Math.max(bottom - limitBottom, innerY),
      width: Math.max(right - limitRight, inner),
      smallest: Number.isFinite(smallest) ? Math.round(smallest * 10) / 10 : null,
    };
  });
}
"""


_SHOW_ALL_CSS = "svg.bespoke-marp-slide { content-visibility: visible !important; }"

_READY_JS = r"""
() => document.fonts.status === 'loaded'
      && (!document.querySelector('marp-pre') || !!customElements.get('marp-pre'))
      && new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))))
"""


@dataclass(frozen=True)
class SlideFit:
    """How far one slide's content reaches past the slide's content box (px; ≤ 0 fits)."""

    deck: str
    number: int
    title: str
    over_height: float
    over_width: float
    smallest: float | None = None  # the smallest text on the slide, in slide pixels (None: no text)

    @property
    def legible(self) -> bool:
        return self.smallest is None or self.smallest >= MIN_TEXT_PX - 0.05

    @property
    def fits(self) -> bool:
        return self.over_height <= TOLERANCE_PX and self.over_width <= TOLERANCE_PX and self.legible

    def describe(self) -> str:
        over = []
        if self.over_height > TOLERANCE_PX:
            over.append(f"{self.over_height:.0f} px too tall")
        if self.over_width > TOLERANCE_PX:
            over.append(f"{self.over_width:.0f} px too wide")
        parts = [f"is {' and '.join(over)}"] if over else []
        if not self.legible:
            parts.append(f"has text at {self.smallest:.1f} px (under {MIN_TEXT_PX:.0f} px as presented)")
        title = f" 「{self.title}」" if self.title else ""
        return f"{self.deck}: slide {self.number}{title} {'; '.join(parts)}"


def chromium_launch_args() -> list[str]:
    """The switches the fit check starts Chromium with (pure; a golden test pins them)."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def chromium_page(what: str, **page: Any) -> Iterator[Any]:
    """A Playwright page in the system Chromium, closed after.

    Raises:
        LessonError: Chromium or Playwright is missing (``what`` needs it).
    """
    chrome = chrome_path()
    if chrome is None:
        raise LessonError(f"{what} needs Chromium, which was not found",
                          hint="install it (`apt-get install chromium`) or set CHROME_PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise LessonError(f"{what} needs Playwright's Python package",
                          hint="install it: `pip install playwright` (a workshop's set-up may do it: `make setup`)") \
            from None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chrome, args=chromium_launch_args())
        try:
            yield browser.new_page(**page)
        finally:
            browser.close()


def measure_decks(html_files: Iterable[Path]) -> list[SlideFit]:
    """Measure every slide of every deck in one browser. ``html_files`` may be a generator that yields decks
    as they are rendered: the browser starts at once and measures each deck as it arrives."""
    results: list[SlideFit] = []
    with chromium_page("the fit check", viewport={"width": 1280, "height": 720}) as page:
        for html in html_files:
            results.extend(_measure(page, Path(html)))
    return results


def _measure(page: Any, html: Path) -> list[SlideFit]:
    page.goto(html.resolve().as_uri(), wait_until="load")
    # The bespoke template renders only the current slide (content-visibility: hidden on
    # the others, so their auto-scaling code blocks never size themselves); show all, as
    # each is shown when presented. marp's browser script then sizes the auto-scaling
    # elements in a later frame, once fonts are in.
    page.add_style_tag(content=_SHOW_ALL_CSS)
    page.wait_for_function(_READY_JS, timeout=30_000)
    return [SlideFit(html.stem, int(row["index"]), str(row["title"]), float(row["height"]), float(row["width"]),
                     None if row["smallest"] is None else float(row["smallest"]))
            for row in _settled(page)]


class FitWorker:
    """Measures decks in a background thread while the build goes on: ``submit(html)`` as each deck's HTML is
    written (the first starts the browser: a build that renders nothing starts none); ``results()`` waits for
    the measurements (and re-raises an error the worker met)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._done: list[list[SlideFit] | BaseException] = []
        self._thread = threading.Thread(target=self._run, name="fit-check", daemon=True)

    def _run(self) -> None:
        try:
            self._done.append(measure_decks(iter(self._queue.get, None)))  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in results()
            self._done.append(exc)

    def submit(self, html: Path) -> None:
        if self._thread.ident is None:
            self._thread.start()
        self._queue.put(html)

    def results(self) -> list[SlideFit]:
        if self._thread.ident is None:
            return []
        self._queue.put(None)
        self._thread.join()
        if isinstance(self._done[0], BaseException):
            raise self._done[0]
        return self._done[0]


def _settled(page: Any, tries: int = 40) -> list[dict[str, Any]]:
    """Measure until two measurements agree: marp's auto-scaling code blocks resize
    themselves (ResizeObserver) after fonts load, so a first look can be too early."""
    previous = None
    for _ in range(tries):
        page.wait_for_timeout(200)
        rows = page.evaluate(_MEASURE_JS)
        if rows == previous:
            return rows
        previous = rows
    raise LessonError(f"slide sizes in {page.url} kept changing for {tries / 10:.0f} s",
                      hint="a slide's layout does not settle (an animation?); check it in a browser")


def unfit_error(bad: Sequence[SlideFit]) -> FitError:
    return FitError(f"{len(bad)} slide(s) do not fit", details="\n".join(f.describe() for f in bad), hint=FIT_HINT)


def check_fit(html_files: Sequence[Path]) -> list[SlideFit]:
    """Measure the decks; raise :class:`FitError` naming every slide that does not fit."""
    measured = measure_decks(html_files)
    bad = [slide for slide in measured if not slide.fits]
    if bad:
        raise unfit_error(bad)
    return measured
