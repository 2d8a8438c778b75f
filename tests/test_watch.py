"""`make watch`: the marp-cli server command and which lessons a change re-renders."""

from __future__ import annotations

from pathlib import Path

from litmarp.watch import changed_lessons, marp_server_command


def test_server_command_golden() -> None:
    assert marp_server_command("marp", Path("build/slides"), themes=[Path("slides/themes")]) == [
        "marp", "--server", "build/slides", "--theme-set", "slides/themes"]
    assert marp_server_command("marp", Path("out"), themes=[Path("t")], html=True)[-1] == "--html"


def test_a_lesson_edit_re_renders_that_lesson_and_a_shared_file_all() -> None:
    a, b, site = Path("slides/a.md"), Path("slides/b.md"), Path("sites/ci.toml")
    sources = {a: "a", b: "b"}
    before = {a: 1.0, b: 1.0, site: 1.0}
    assert changed_lessons(before, dict(before), sources) == []
    assert changed_lessons(before, {**before, a: 2.0}, sources) == ["a"]
    assert changed_lessons(before, {**before, site: 2.0}, sources) == ["a", "b"]
