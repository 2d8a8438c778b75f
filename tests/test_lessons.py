"""Lesson format: pairing, round trips, execution errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jupytext
import pytest

from litmarp import project
from litmarp.cli import main
from litmarp.errors import CellError, LessonError, PairingError
from litmarp.execute import executed_lesson
from litmarp.source import check_pair, check_pairing, find_lessons

LESSONS = find_lessons()
VERSION_LINE = re.compile(r"^\s*jupytext_version: .*$", re.M)


def test_there_are_lessons() -> None:
    assert [lesson.name for lesson in LESSONS][:1] == ["00-intro"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_round_trip_md_ipynb_md_is_identical(lesson) -> None:
    text = lesson.source.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="md")
    back = jupytext.writes(jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb"), fmt="md")
    assert VERSION_LINE.sub("", back) == VERSION_LINE.sub("", text)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_lesson_format_rules(lesson) -> None:
    text = lesson.source.read_text(encoding="utf-8")
    header = text.split("\n---\n", 1)[0]
    for key in ("marp: true", "theme: basic1", "lang: ja", "kernelspec:"):
        assert key in header, f"{lesson.source}: front matter lacks {key!r}"
    nb = jupytext.reads(text, fmt="md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), \
        f"{lesson.source}: the first code cell must be tagged parameters"
    # A plain ```bash fence would become a code cell that runs; commands to show use console/text.
    assert all(c.metadata.get("language", "python") == "python" for c in code)
    # Tags on markdown cells become <!-- #region --> comments, which Marp would show as notes.
    assert "#region" not in text


def test_committed_pairs_are_in_sync() -> None:
    assert check_pairing() == [lesson.name for lesson in LESSONS]


def copy_lesson(tmp_path: Path, name: str = "00-intro"):
    slides, notebooks = tmp_path / "slides", tmp_path / "notebooks"
    slides.mkdir()
    notebooks.mkdir()
    shutil.copy(project.current().slides / f"{name}.md", slides)
    nb = jupytext.read(slides / f"{name}.md")
    jupytext.write(nb, notebooks / f"{name}.ipynb")
    return find_lessons([name], slides_dir=slides, notebooks_dir=notebooks)[0]


def test_desynced_pair_is_reported_with_the_fix(tmp_path: Path) -> None:
    lesson = copy_lesson(tmp_path)
    check_pair(lesson)  # a fresh pair is in sync
    data = json.loads(lesson.notebook.read_text(encoding="utf-8"))
    code = next(c for c in data["cells"]
                if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", []))
    code["source"] = ["print('edited in Jupyter only')"]
    lesson.notebook.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PairingError) as err:
        check_pair(lesson)
    text = str(err.value)
    assert "00-intro.md" in text and "00-intro.ipynb" in text and "jupytext --sync" in text


def test_missing_notebook_is_reported(tmp_path: Path) -> None:
    lesson = copy_lesson(tmp_path)
    lesson.notebook.unlink()
    with pytest.raises(PairingError, match="missing"):
        check_pair(lesson)


@pytest.mark.decks
def test_failing_cell_names_lesson_cell_and_error(tmp_path: Path) -> None:
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "99-broken.md").write_text(
        "---\nmarp: true\njupyter:\n  kernelspec:\n    display_name: Python 3\n    language: python\n"
        "    name: python3\n---\n\n# Broken\n\n```python tags=[\"parameters\"]\nsite = \"local\"\n```\n\n\n"
        "---\n\n## 壊れたスライド\n\n```python\nraise ValueError(\"deliberate failure\")\n```\n",
        encoding="utf-8",
    )
    lesson = find_lessons(["99-broken"], slides_dir=slides, notebooks_dir=tmp_path)[0]
    with pytest.raises(CellError) as err:
        executed_lesson(lesson, site="ci", out_dir=tmp_path / "out", cache_path=tmp_path / "cache")[0]
    text = str(err.value)
    assert "99-broken" in text
    assert "壊れたスライド" in text
    assert "ValueError: deliberate failure" in text
    assert (tmp_path / "out" / "99-broken.ipynb").exists()
    assert err.value.exit_code != 0


def test_cli_reports_unknown_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no-such-lesson"]) == LessonError.exit_code
    assert "no such lesson: no-such-lesson" in capsys.readouterr().err


def test_a_running_cell_shows_its_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell that runs long says so every TICK_SECONDS: a long training and a hung cell must not look alike."""
    import time

    import nbformat

    from litmarp import execute

    monkeypatch.setattr(execute, "TICK_SECONDS", 0.3)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## 学習する"),
                                         nbformat.v4.new_code_cell("train()")])
    lines: list[str] = []
    progress = execute._Progress("02-program", nb, lines.append)
    progress.started(cell_index=1)
    time.sleep(2.5)
    progress.finished(cell_index=1)
    progress.done.set()
    assert lines[0].startswith("  02-program  cell 1/1  学習する")
    assert any("… still running" in line and "s in this cell" in line for line in lines[1:]), lines
    nb.cells[1].metadata["timeout"] = 2
    assert execute.cell_timeout(nb, nb.cells[1]) == 2 and progress.overran(nb) == 1
