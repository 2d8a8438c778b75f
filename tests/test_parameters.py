"""Every lesson's parameters cell takes its site from $KIT_SITE (then ``local``), so a participant who
exported KIT_SITE opens any notebook on the right site without editing six cells. The builds
(litmarp.execute) set KIT_SITE for the kernel in the same way; papermill injects nothing."""

from __future__ import annotations

import jupytext
import pytest

from litmarp.source import find_lessons


def parameters_source(lesson) -> str:
    cells = [c for c in jupytext.read(lesson.notebook).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{lesson.name}: one parameters cell expected"
    return cells[0].source


@pytest.mark.parametrize("lesson", find_lessons(), ids=lambda lesson: lesson.name)
def test_parameters_cell_follows_kit_site(lesson, monkeypatch: pytest.MonkeyPatch) -> None:
    source = parameters_source(lesson)
    monkeypatch.setenv("KIT_SITE", "ie-ryukyu")
    namespace: dict = {}
    exec(compile(source, lesson.name, "exec"), namespace)  # what a plain kernel runs first
    assert namespace["site"] == "ie-ryukyu"
    monkeypatch.delenv("KIT_SITE")
    namespace = {}
    exec(compile(source, lesson.name, "exec"), namespace)
    assert namespace["site"] == "local"
