"""Every slide fits: measured in Chromium (Playwright driving the system browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litmarp import project
from litmarp.errors import FitError
from litmarp.fit import SlideFit, check_fit, chromium_launch_args, measure_decks
from litmarp.marp import marp_batch
from litmarp.source import find_lessons

NAMES = [lesson.name for lesson in find_lessons()]

OVERFULL = """---
marp: true
theme: basic1
paginate: true
---

# Fits

One line.

---

## 詰め込みすぎ

{lines}

---

## Too wide

| {wide} |
| {rule} |
"""


def test_chromium_switches_golden() -> None:
    assert chromium_launch_args() == [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ]


@pytest.fixture(scope="module")
def measured_decks(built_decks: Path) -> list[SlideFit]:
    """Every slide of every built deck, measured in one browser."""
    return measure_decks([built_decks / f"{name}.html" for name in NAMES])


@pytest.mark.decks
@pytest.mark.parametrize("name", NAMES)
def test_every_slide_fits(measured_decks: list[SlideFit], name: str) -> None:
    measured = [slide for slide in measured_decks if slide.deck == name]
    assert measured, f"{name}: no slides measured"
    bad = [slide.describe() for slide in measured if not slide.fits]
    assert not bad, "slides that do not fit:\n" + "\n".join(bad)


@pytest.mark.decks
def test_an_overfull_slide_is_named_with_its_overflow(tmp_path: Path) -> None:
    deck = tmp_path / "overfull.md"
    deck.write_text(OVERFULL.format(lines="\n".join(f"- item {i}" for i in range(30)),
                                    wide=" | ".join(["a-rather-long-column-heading"] * 12),
                                    rule=" | ".join(["---"] * 12)), encoding="utf-8")
    html = marp_batch([deck], themes=[project.current().themes])[0]
    with pytest.raises(FitError) as err:
        check_fit([html])
    text = str(err.value)
    assert "overfull: slide 2 「詰め込みすぎ」 is" in text and "px too tall" in text
    assert "overfull: slide 3 「Too wide」 is" in text and "px too wide" in text
    assert "slide 1" not in text
    tall = next(s for s in measure_decks([html]) if s.number == 2)
    assert tall.over_height > 300  # 30 list items of 26 px text cannot be near the bottom edge


@pytest.mark.decks
def test_a_slide_of_long_code_lines_is_named_with_its_text_size(tmp_path: Path) -> None:
    """Marp shrinks a code block until its longest line fits: 120 columns come out unreadable."""
    code = "\n".join(f"value_{i:02d} = compute_something(argument_one, argument_two) + {'x' * 50}"[:120].ljust(120, "x")
                     for i in range(30))
    deck = tmp_path / "crammed.md"
    deck.write_text("---\nmarp: true\ntheme: basic1\n---\n\n# Fine\n\n---\n\n## 詰め込んだコード\n\n"
                    f"```python\n{code}\n```\n", encoding="utf-8")
    with pytest.raises(FitError) as err:
        check_fit(marp_batch([deck], themes=[project.current().themes]))
    assert "crammed: slide 2 「詰め込んだコード」" in str(err.value) and "has text at" in str(err.value)
    assert "slide 1" not in str(err.value)
    crammed = next(s for s in measure_decks([tmp_path / "crammed.html"]) if s.number == 2)
    assert crammed.smallest is not None and crammed.smallest < 16
