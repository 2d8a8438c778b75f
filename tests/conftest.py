"""Shared fixtures: the rendered decks of every lesson.

`make check` executes and renders all lessons once (ci profile) into build/check
and sets KIT_CHECK_BUILD; the deck tests read those. Run on their own, the tests
execute and render the lessons themselves into a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit.lessons import build_slides, find_lessons


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
