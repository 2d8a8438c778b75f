"""The execution cache (jupyter-cache): what re-executes a lesson and what does not.

Real papermill runs of tiny lessons; each build reports per lesson whether it
ran or came from the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from litmarp import project
from litmarp.cache import open_cache
from litmarp.decks import build_decks
from litmarp.errors import CellError

pytestmark = pytest.mark.decks


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """Build the tiny lessons of a workshop in ``tmp_path`` (its own [tool.litmarp]: the inputs below, this
    project's themes); return {lesson: status} ('ran' or 'cache')."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.litmarp]\nthemes = "{project.current().themes}"\n'
        'inputs = ["requirements.lock", "sites/default.toml", "sites/{site}.toml", "code/**/*.py"]\n')
    monkeypatch.chdir(tmp_path)

    def run(site: str = "ci", **kwargs: object) -> dict[str, str]:
        builds = build_decks(site=site, out_dir=tmp_path / "out", cache_path=tmp_path / "cache", **kwargs)
        return {b.lesson.name: b.status for b in builds}

    return run


def deck(tmp_path: Path, name: str) -> str:
    return (tmp_path / "out" / f"{name}.md").read_text(encoding="utf-8")


def test_nothing_changed_executes_nothing_and_text_edits_show(tmp_path: Path, make_lesson, build) -> None:
    a = make_lesson("a", ("## スライド A\n\n説明 1", "print('out-A', site)"))
    make_lesson("b", ("## スライド B", "print('out-B')"))
    assert build() == {"a": "ran", "b": "ran"}
    assert "out-A ci" in deck(tmp_path, "a")
    assert "outputs: site ci" in deck(tmp_path, "a")  # the title slide says where the outputs come from
    assert build() == {"a": "cache", "b": "cache"}
    # A text-only edit: nothing runs, the new text is on the slide with the cached output.
    a.write_text(a.read_text(encoding="utf-8").replace("説明 1", "説明 2 (edited)"), encoding="utf-8")
    assert build() == {"a": "cache", "b": "cache"}
    assert "説明 2 (edited)" in deck(tmp_path, "a") and "out-A ci" in deck(tmp_path, "a")
    # Render metadata (how many lines are shown) is not execution: still from the cache.
    a.write_text(a.read_text(encoding="utf-8").replace("```python\nprint", "```python clip=3\nprint"),
                 encoding="utf-8")
    assert build() == {"a": "cache", "b": "cache"}


def test_code_edit_re_executes_that_lesson_only(tmp_path: Path, make_lesson, build) -> None:
    a = make_lesson("a", ("## A", "print('one')"))
    make_lesson("b", ("## B", "print('B')"))
    build()
    a.write_text(a.read_text(encoding="utf-8").replace("print('one')", "print('two')"), encoding="utf-8")
    assert build() == {"a": "ran", "b": "cache"}
    assert "two" in deck(tmp_path, "a")


def test_site_and_site_profile_change_re_execute(tmp_path: Path, make_lesson, build) -> None:
    make_lesson("a", ("## A", "print(site)"))
    sites = tmp_path / "sites"
    sites.mkdir()
    for name in ("default", "ci"):
        (sites / f"{name}.toml").write_text(f"# {name}\n")
    assert build(site="ci") == {"a": "ran"}
    assert build(site="local") == {"a": "ran"}
    assert "local" in deck(tmp_path, "a")
    assert build(site="ci") == {"a": "cache"}
    (sites / "local.toml").write_text("# a profile for another site\n")
    assert build(site="ci") == {"a": "cache"}  # another site's profile is not this one's input
    (sites / "ci.toml").write_text((sites / "ci.toml").read_text() + "\n# changed\n")
    assert build(site="ci") == {"a": "ran"}
    (sites / "default.toml").write_text("# every site's defaults changed\n")
    assert build(site="ci") == {"a": "ran"}


def test_environment_and_declared_inputs_re_execute(tmp_path: Path, make_lesson, build) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("torch==2.13.0\n")
    (tmp_path / "data.txt").write_text("v1")
    make_lesson("a", ("## A", "print('a')"), front="  litmarp:\n    reads: [data.txt]\n")
    make_lesson("b", ("## B", "print('b')"))
    assert build() == {"a": "ran", "b": "ran"}
    (tmp_path / "data.txt").write_text("v2")
    assert build() == {"a": "ran", "b": "cache"}
    lock.write_text("torch==2.14.0\n")
    assert build() == {"a": "ran", "b": "ran"}
    code = tmp_path / "code" / "helpers" / "kit_code.py"
    code.parent.mkdir(parents=True)
    code.write_text("x = 1\n")  # a new module the lessons import
    assert build() == {"a": "ran", "b": "ran"}
    code.write_text("x = 2\n")  # a module changed (no version number to bump)
    assert build() == {"a": "ran", "b": "ran"}
    assert build() == {"a": "cache", "b": "cache"}


def test_refresh_forces_a_run_of_the_named_lesson(tmp_path: Path, make_lesson, build) -> None:
    make_lesson("a", ("## A", "print('a')"))
    make_lesson("b", ("## B", "print('b')"))
    build()
    assert build(refresh=["a"]) == {"a": "ran", "b": "cache"}
    assert build(refresh=True) == {"a": "ran", "b": "ran"}


def test_a_failing_lesson_is_never_cached(tmp_path: Path, make_lesson, build) -> None:
    make_lesson("a", ("## 壊れた", "raise ValueError('deliberate')"))
    for _ in range(2):  # the second attempt runs again: nothing was stored
        with pytest.raises(CellError, match="deliberate"):
            build()
    assert list(open_cache(tmp_path / "cache").list_cache_records()) == []


def test_progress_names_lesson_cell_and_slide(tmp_path: Path, make_lesson, build) -> None:
    make_lesson("a", ("## 最初のスライド", "x = 1"), ("## 次のスライド", "print(x)"))
    lines: list[str] = []
    build(report=lines.append)
    cells = [line for line in lines if " cell " in line]
    assert len(cells) == 2  # the two slides' cells; not the parameters cells (no slide shows them)
    assert "cell 1/2" in cells[0] and "最初のスライド" in cells[0]
    assert "cell 2/2" in cells[-1] and "次のスライド" in cells[-1] and cells[-1].rstrip().endswith(" s")
    assert any(line.startswith("a: executed (site ci") for line in lines)
    assert lines[-1].startswith("drawing 2 deck(s) with marp-cli")  # the instructor's and the learner's
