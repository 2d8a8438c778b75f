"""Shared fixtures: the rendered decks of every lesson, tiny lessons, a plain Marp deck.

`make check` executes and renders all lessons once (ci profile) into build/check
and sets KIT_CHECK_BUILD; the deck tests read those. Run on their own, the tests
build the decks themselves into a temporary folder (executing only what the
execution cache does not hold).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kit.lessons import build_slides, find_lessons

# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAaJPXQAAAABJRU5ErkJggg==")

LESSON_HEADER = """---
marp: true
theme: basic1
paginate: true
lang: ja
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
      format_version: '1.3'
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
---
"""

PLAIN_DECK = """---
marp: true
theme: gaia
paginate: true
header: 'A talk written for plain marp-cli'
---

<!-- _class: lead -->
# A talk

Written for marp-cli, no jupytext header.

<!-- The speaker says hello first. -->

---

## Commands

```bash
echo "shown, never run"
```

![w:120](img/pixel.png)

---
<!-- _backgroundColor: #eef -->
## A directive and a note

- one
- two

<!-- Note on the third slide. -->

---

## Code in a plain deck

```python
print("a plain deck is not executed")
```
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the rendered decks renders them (or reuses build/check): mark it `decks`."""
    for item in items:
        if "built_decks" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.decks)


@pytest.fixture(scope="session")
def built_decks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding <lesson>.md/.html/.pdf for every lesson, executed in the ci profile."""
    names = [lesson.name for lesson in find_lessons()]
    given = os.environ.get("KIT_CHECK_BUILD")
    if given:
        folder = Path(given)
        if all((folder / f"{n}.html").exists() and (folder / f"{n}.pdf").exists() for n in names):
            return folder
    folder = tmp_path_factory.mktemp("decks")
    build_slides(site="ci", out_dir=folder, pdf=True)
    return folder


@pytest.fixture
def make_lesson(tmp_path: Path) -> Callable[..., Path]:
    """Write a tiny lesson ``<tmp>/slides/<name>.md``: a title slide with the parameters cell, then slides.

    Each slide is markdown text and optionally one code cell.
    """
    slides = tmp_path / "slides"
    slides.mkdir(exist_ok=True)
    (tmp_path / "notebooks").mkdir(exist_ok=True)

    def make(name: str, *slides_: tuple[str, str | None], front: str = "") -> Path:
        header = LESSON_HEADER.replace("jupyter:\n", f"jupyter:\n{front}") if front else LESSON_HEADER
        parts = [header, f"# {name}\n\n```python tags=[\"parameters\"]\nsite = \"local\"\n```"]
        for text, code in slides_:
            parts.append(f"---\n\n{text}" + (f"\n\n```python\n{code}\n```" if code else ""))
        path = slides / f"{name}.md"
        path.write_text(parts[0] + "\n" + "\n\n\n".join(parts[1:]) + "\n", encoding="utf-8")
        return path

    return make


@pytest.fixture
def plain_deck(tmp_path: Path) -> Path:
    """A Marp deck written for plain marp-cli (front matter, directives, notes, an image, `---` breaks)."""
    folder = tmp_path / "talk"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "pixel.png").write_bytes(PNG)
    deck = folder / "talk.md"
    deck.write_text(PLAIN_DECK, encoding="utf-8")
    return deck
