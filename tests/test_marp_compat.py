"""Marp-compatible both ways: any Marp deck renders through `kit slides`, and imports as a lesson."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jupytext
import pytest

from kit.cli import main
from kit.deckimport import deck_to_lesson, import_deck
from kit.lessons import check_pair, find_lessons
from kit.render import marp_executable

pytestmark = pytest.mark.decks
VERSION_LINE = re.compile(r"^\s*jupytext_version: .*\n", re.M)


def sections(html: Path) -> int:
    return len(re.findall(r"<section\b[^>]*\bid=\"\d+\"", html.read_text(encoding="utf-8")))


def marp_cli_html(deck: Path, out: Path) -> Path:
    """What plain marp-cli makes of the deck (run from the deck's folder, as a user would)."""
    subprocess.run([str(marp_executable()), deck.name, "-o", str(out)], cwd=deck.parent, check=True,
                   capture_output=True, timeout=120)
    return out


def test_a_plain_marp_deck_renders_like_marp_cli(plain_deck: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    reference = marp_cli_html(plain_deck, tmp_path / "reference.html")
    out = tmp_path / "out"
    assert main(["slides", str(plain_deck), "--out", str(out), "--fit", "off"]) == 0
    assert "talk: plain Marp" in capsys.readouterr().out
    html = out / "talk.html"
    assert sections(html) == sections(reference) == 4
    text = html.read_text(encoding="utf-8")
    assert 'data-theme="gaia"' in text  # the deck's own theme
    assert "The speaker says hello first." in text  # notes kept
    # The image still resolves from where the deck was written.
    (ref,) = re.findall(r'src="([^"]*pixel\.png)"', text)
    assert (out / ref).resolve() == (plain_deck.parent / "img" / "pixel.png").resolve()
    assert "a plain deck is not executed" in text and not (out / "executed").exists()


def test_a_deck_outside_slides_finds_its_own_theme(plain_deck: Path, tmp_path: Path) -> None:
    css = "/* @theme mine */\n@import 'default';\nsection { background: #fdf6e3; }\n"
    (plain_deck.parent / "mine.css").write_text(css)
    plain_deck.write_text(plain_deck.read_text(encoding="utf-8").replace("theme: gaia", "theme: mine"),
                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["slides", str(plain_deck), "--out", str(out), "--fit", "off"]) == 0
    assert 'data-theme="mine"' in (out / "talk.html").read_text(encoding="utf-8")


def test_import_keeps_directives_notes_breaks_and_shell_fences(plain_deck: Path, tmp_path: Path) -> None:
    assert main(["lessons", "import", str(plain_deck), "--name", "10-talk", "--slides-dir", str(tmp_path / "slides"),
                 "--notebooks-dir", str(tmp_path / "notebooks")]) == 0
    lesson = find_lessons(["10-talk"], slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks")[0]
    text = lesson.source.read_text(encoding="utf-8")
    header = text.split("\n---\n", 1)[0]
    for key in ("marp: true", "theme: gaia", "header: 'A talk written for plain marp-cli'", "kernelspec:"):
        assert key in header
    for kept in ("<!-- _class: lead -->", "<!-- _backgroundColor: #eef -->", "<!-- The speaker says hello first. -->",
                 "<!-- Note on the third slide. -->", "](../talk/img/pixel.png)"):
        assert kept in text
    assert "```console\necho \"shown, never run\"" in text and "```bash" not in text
    nb = jupytext.read(lesson.source)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert [c.source for c in code[1:]] == ['print("a plain deck is not executed")']
    # Round trip md -> ipynb -> md is stable, and the pair is in sync.
    back = jupytext.writes(jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb"), fmt="md")
    assert VERSION_LINE.sub("", back) == VERSION_LINE.sub("", text)
    check_pair(lesson)
    # Importing again gives the same lesson.
    assert deck_to_lesson(plain_deck.read_text(encoding="utf-8"), source_dir=plain_deck.parent,
                          slides_dir=tmp_path / "slides") == VERSION_LINE.sub("", text)


def test_an_imported_lesson_renders_with_the_same_slides(plain_deck: Path, tmp_path: Path) -> None:
    lesson = import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "slides",
                         notebooks_dir=tmp_path / "notebooks")
    reference = marp_cli_html(plain_deck, tmp_path / "reference.html")
    out = tmp_path / "out"
    assert main(["slides", str(lesson.source), "--site", "ci", "--out", str(out), "--fit", "off"]) == 0
    deck = (out / "10-talk.md").read_text(encoding="utf-8")
    assert sections(out / "10-talk.html") == sections(reference)
    assert "a plain deck is not executed" in deck  # now it runs: its output is on the slide
    assert re.search(r"```output\na plain deck is not executed\n```", deck)
    assert "site = " not in deck


def test_import_refuses_to_overwrite_a_lesson(plain_deck: Path, tmp_path: Path) -> None:
    from kit.errors import LessonError

    import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")
    with pytest.raises(LessonError, match="--force"):
        import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")


def test_a_deck_with_a_jupytext_header_is_refused(tmp_path: Path) -> None:
    from kit.errors import ConfigError

    with pytest.raises(ConfigError, match="already"):
        deck_to_lesson("---\nmarp: true\njupyter:\n  kernelspec:\n    name: python3\n---\n\n# x\n")
