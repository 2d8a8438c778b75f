"""Marp-compatible both ways: any Marp deck renders through `kit slides` as marp-cli renders it, and imports
as a lesson that renders the same until its author makes a fence run.

The compatibility suite: the decks of ``tests/fixtures/marp`` (written for it: built-in themes, a theme
beside the deck that imports another, paginate, header/footer, scoped style, ``_class``, ``![bg left]``,
filtered backgrounds, ``<!-- fit -->``, KaTeX and MathJax, ``size: 4:3``, ``headingDivider``, inline
HTML with ``html: true`` in the front matter or in the folder's ``.marprc.yml``, a setext heading, ``***``
and a ``---`` in a note, fences in several languages, notes, emoji) are rendered to PDF by marp-cli
directly (as their author would: ``--theme-set themes --pdf --allow-local-files``, ``--html`` for the two
that want HTML), by ``kit slides DECK.md``, and imported with ``kit lessons import`` from a folder that is
then deleted and rendered without execution. Every page is rasterised at 40 dpi and compared.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest

from litmarp.cli import main
from litmarp.deckimport import deck_to_lesson, import_deck
from litmarp.decks import build_decks, write_deck
from litmarp.errors import LessonError
from litmarp.marp import marp_env, marp_executable
from litmarp.source import check_pair, find_lessons

DECKS = pytest.mark.decks  # renders with marp-cli (and Chromium for PDF)
VERSION_LINE = re.compile(r"^\s*jupytext_version: .*\n", re.M)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "marp"
COMPAT = ["01-default", "02-gaia", "03-uncover", "04-harbour", "config/05-config"]
WANTS_HTML = {"04-harbour", "config/05-config"}  # front matter html: true; the folder's .marprc.yml
MAX_CHANGED = 0.02  # of a page's pixels
PIXEL_TOLERANCE = 16  # of 255, per channel: anti-aliasing is not a change


def sections(html: Path) -> int:
    return len(re.findall(r"<section\b[^>]*\bid=\"\d+\"", html.read_text(encoding="utf-8")))


def marp_cli_html(deck: Path, out: Path) -> Path:
    """What plain marp-cli makes of the deck (run from the deck's folder, as a user would)."""
    subprocess.run([str(marp_executable()), deck.name, "-o", str(out)], cwd=deck.parent, check=True,
                   capture_output=True, timeout=120)
    return out


# --- the compatibility suite ----------------------------------------------------------------------


@functools.cache
def pages(pdf: Path) -> list[np.ndarray]:
    """The PDF's pages as RGB arrays, rasterised at 40 dpi (a 1280x720 slide: 533x300 pixels)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "40", str(pdf), f"{folder}/page"], check=True, timeout=120)
        return [np.asarray(Image.open(p).convert("RGB"), dtype=np.int16)
                for p in sorted(Path(folder).glob("page-*.ppm"))]


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of pixels that differ (1.0 for pages of different sizes)."""
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b).max(axis=2) > PIXEL_TOLERANCE).mean())


@dataclass
class Compat:
    reference: dict[str, Path]  # deck -> marp-cli's PDF
    kit: dict[str, Path]  # deck -> `kit slides DECK.md`'s PDF
    imported: dict[str, Path]  # deck -> the imported lesson's PDF
    project: Path  # the project folder the decks were imported into
    report: list[str]


def build_compat(root: Path) -> list[str]:
    """Each fixture deck rendered by marp-cli, by the kit as it is, and imported then rendered, in ``root``;
    the marp-cli runs go on beside the kit's. Returns what the import and the render reported."""
    reference, plain, moved = root / "marp-cli", root / "plain", root / "to-import"
    for folder in (reference, plain, moved, root / "project", root / "out"):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in (reference, plain, moved):
        shutil.copytree(FIXTURES, folder)
    env = {**os.environ, **marp_env(pdf=True)}

    def marp_cli(decks: list[str], html: bool) -> None:
        cmd = [str(marp_executable()), *(f"{d}.md" for d in decks), "--theme-set", "themes", "--pdf",
               "--allow-local-files", *(["--html"] if html else [])]
        subprocess.run(cmd, cwd=reference, env=env, check=True, capture_output=True, timeout=300)

    report: list[str] = []
    project = root / "project"
    with ThreadPoolExecutor(max_workers=1) as pool:
        marp_cli_done = pool.submit(lambda: [marp_cli([d for d in COMPAT if (d in WANTS_HTML) == html], html)
                                             for html in (False, True)])
        names = []
        for deck in COMPAT:
            name = "imported-" + Path(deck).name
            import_deck(moved / f"{deck}.md", name=name, slides_dir=project / "slides",
                        notebooks_dir=project / "notebooks", report=report.append)
            names.append(name)
        shutil.rmtree(moved)  # the lessons need nothing from where the decks were
        build_decks([str(plain / f"{d}.md") for d in COMPAT] + names, out_dir=root / "out", pdf=True,
                    notes=False, execute=False, slides_dir=project / "slides", notebooks_dir=project / "notebooks",
                    report=report.append)
        marp_cli_done.result()
    return report


@pytest.fixture(scope="module")
def compat(tmp_path_factory: pytest.TempPathFactory) -> Compat:
    """The compatibility suite's renders, made once per test run (pytest-xdist workers share them, one
    building while the others wait: ``make check`` runs this file on one worker anyway)."""
    import fcntl

    shared = os.environ.get("PYTEST_XDIST_WORKER")
    root = tmp_path_factory.getbasetemp().parent / "marp-compat" if shared else tmp_path_factory.mktemp("compat")
    root.mkdir(exist_ok=True)
    done = root / "report.txt"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            done.write_text("\n".join(build_compat(root)), encoding="utf-8")
    out = root / "out"
    return Compat(reference={d: root / "marp-cli" / f"{d}.pdf" for d in COMPAT},
                  kit={d: out / f"{Path(d).name}.pdf" for d in COMPAT},
                  imported={d: out / f"imported-{Path(d).name}.pdf" for d in COMPAT}, project=root / "project",
                  report=done.read_text(encoding="utf-8").split("\n"))


@DECKS
@pytest.mark.parametrize("path", ["kit", "imported"])
@pytest.mark.parametrize("deck", COMPAT)
def test_every_slide_looks_as_marp_cli_draws_it(compat: Compat, deck: str, path: str) -> None:
    expected = pages(compat.reference[deck])
    got = pages(getattr(compat, path)[deck])
    assert len(got) == len(expected), f"{deck} ({path}): {len(got)} slides, marp-cli draws {len(expected)}"
    differing = {n: round(changed(a, b), 3) for n, (a, b) in enumerate(zip(expected, got, strict=True), 1)
                 if changed(a, b) > MAX_CHANGED}
    assert not differing, f"{deck} ({path}): slides that differ from marp-cli's (fraction of pixels): {differing}"


@DECKS
def test_the_comparison_sees_a_different_slide(compat: Compat) -> None:
    """The measure is not blind: two slides of one deck differ by far more than the tolerance."""
    first, second = pages(compat.reference["04-harbour"])[:2]
    assert changed(first, second) > 5 * MAX_CHANGED


@DECKS
def test_imported_decks_bring_their_files_and_theme(compat: Compat) -> None:
    slides = compat.project / "slides"
    assert (slides / "themes" / "harbour.css").is_file() and (slides / "themes" / "harbour-base.css").is_file()
    assert (slides / "assets" / "imported-05-config" / "_up" / "img" / "boat.svg").is_file()
    lesson = (slides / "imported-01-default.md").read_text(encoding="utf-8")
    assert "url('assets/imported-01-default/img/tiles.svg')" in lesson
    assert "![bg left:40%](assets/imported-01-default/img/boat.svg)" in lesson
    harbour = (slides / "imported-04-harbour.md").read_text(encoding="utf-8")
    assert '<img src="assets/imported-04-harbour/img/boat.svg"' in harbour
    assert "url('assets/imported-04-harbour/img/tiles.svg')" in harbour
    theme = (slides / "themes" / "harbour.css").read_text(encoding="utf-8")  # its url() came with it
    assert "url('assets/themes/harbour/img/tiles.svg')" in theme and "@import 'harbour-base'" in theme
    assert (slides / "assets" / "themes" / "harbour" / "img" / "tiles.svg").is_file()
    config = (slides / "imported-05-config.md").read_text(encoding="utf-8")
    assert "\nhtml: true\n" in config  # the folder's .marprc.yml stayed behind: the lesson says it
    assert "html: true added" in "\n".join(compat.report)
    # Nothing runs: the one code cell is the parameters cell, and every fence is still on its slide.
    for deck in COMPAT:
        nb = jupytext.read(slides / f"imported-{Path(deck).name}.md")
        assert [c.metadata.get("tags") for c in nb.cells if c.cell_type == "code"] == [["parameters"]]
    for fence in ("```python .noeval", "```bash .noeval", "```js .noeval", "````markdown .noeval",
                  "```html .noeval"):
        assert fence in lesson


# --- plain decks and the import, one deck at a time -------------------------------------------------


@DECKS
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


@DECKS
def test_a_deck_outside_slides_finds_its_own_theme(plain_deck: Path, tmp_path: Path) -> None:
    css = "/* @theme mine */\n@import 'default';\nsection { background: #fdf6e3; }\n"
    (plain_deck.parent / "mine.css").write_text(css)
    plain_deck.write_text(plain_deck.read_text(encoding="utf-8").replace("theme: gaia", "theme: mine"),
                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["slides", str(plain_deck), "--out", str(out), "--fit", "off"]) == 0
    assert 'data-theme="mine"' in (out / "talk.html").read_text(encoding="utf-8")


def test_a_theme_found_nowhere_is_an_error_naming_it_and_where_it_was_looked_for(plain_deck: Path,
                                                                                 tmp_path: Path) -> None:
    (plain_deck.parent / "themes").mkdir()
    (plain_deck.parent / "themes" / "other.css").write_text("/* @theme other */\n@import 'default';\n")
    plain_deck.write_text(plain_deck.read_text(encoding="utf-8").replace("theme: gaia", "theme: lighthouse"),
                          encoding="utf-8")
    lesson = find_lessons([str(plain_deck)])[0]
    with pytest.raises(LessonError) as raised:
        write_deck(lesson, out_dir=tmp_path / "out")
    message = str(raised.value)
    assert "'lighthouse'" in message and "not found" in message
    for place in ("built-in themes (default, gaia, uncover)", "slides/themes/ (basic1)",
                  f"{plain_deck.parent}/*.css (no themes)", f"{plain_deck.parent / 'themes'}/*.css (other)"):
        assert place in message
    with pytest.raises(LessonError, match="'lighthouse'"):  # nor is it imported without its theme
        import_deck(plain_deck, slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks")


def test_import_keeps_directives_notes_breaks_and_shell_fences(plain_deck: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(plain_deck), "--name", "10-talk", "--slides-dir", str(tmp_path / "slides"),
                 "--notebooks-dir", str(tmp_path / "notebooks")]) == 0
    said = capsys.readouterr().out
    assert "fences shown, not run (bash 1, python 1)" in said and "delete its `.noeval`" in said
    lesson = find_lessons(["10-talk"], slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks")[0]
    text = lesson.source.read_text(encoding="utf-8")
    header = text.split("\n---\n", 1)[0]
    for key in ("marp: true", "theme: gaia", "header: 'A talk written for plain marp-cli'", "kernelspec:"):
        assert key in header
    for kept in ("<!-- _class: lead -->", "<!-- _backgroundColor: #eef -->", "<!-- The speaker says hello first. -->",
                 "<!-- Note on the third slide. -->", "](assets/10-talk/img/pixel.png)"):
        assert kept in text
    assert (tmp_path / "slides" / "assets" / "10-talk" / "img" / "pixel.png").read_bytes() == \
        (plain_deck.parent / "img" / "pixel.png").read_bytes()
    # Shell fences keep their language (highlighted as before); nothing runs.
    assert "```bash .noeval\necho \"shown, never run\"" in text and "```console" not in text
    nb = jupytext.read(lesson.source)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and "parameters" in code[0].metadata.get("tags", [])
    # Round trip md -> ipynb -> md is stable, and the pair is in sync.
    back = jupytext.writes(jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb"), fmt="md")
    assert VERSION_LINE.sub("", back) == VERSION_LINE.sub("", text)
    check_pair(lesson)
    # Importing again gives the same lesson.
    import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks",
                force=True)
    assert VERSION_LINE.sub("", lesson.source.read_text(encoding="utf-8")) == VERSION_LINE.sub("", text)


@DECKS
def test_an_imported_lesson_runs_nothing_until_its_author_says_so(plain_deck: Path, tmp_path: Path) -> None:
    reference = marp_cli_html(plain_deck, tmp_path / "reference.html")
    lesson = import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")
    out = tmp_path / "out"
    assert main(["slides", str(lesson.source), "--site", "ci", "--out", str(out), "--fit", "off"]) == 0
    deck = (out / "10-talk.md").read_text(encoding="utf-8")
    assert sections(out / "10-talk.html") == sections(reference)
    assert "```python .noeval\nprint(\"a plain deck is not executed\")\n```" in deck and "```output" not in deck
    assert "_footer" not in deck and "site = " not in deck  # the parameters cell alone: no stamp, not shown
    # --run-python: the python fences run, their output is on the slide, and the stamp on the title slide.
    ran = import_deck(plain_deck, name="11-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n",
                      run_python=True)
    assert main(["slides", str(ran.source), "--site", "ci", "--out", str(out), "--fit", "off"]) == 0
    deck = (out / "11-talk.md").read_text(encoding="utf-8")
    assert re.search(r"```output\na plain deck is not executed\n```", deck)
    assert "<!-- _footer: '出力: site ci" in deck and "site = " not in deck
    assert sections(out / "11-talk.html") == sections(reference)


def test_import_refuses_to_overwrite_a_lesson(plain_deck: Path, tmp_path: Path) -> None:
    import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")
    with pytest.raises(LessonError, match="--force"):
        import_deck(plain_deck, name="10-talk", slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")


def test_a_deck_with_a_jupytext_header_is_refused() -> None:
    from kit.errors import ConfigError

    with pytest.raises(ConfigError, match="already"):
        deck_to_lesson("---\nmarp: true\njupyter:\n  kernelspec:\n    name: python3\n---\n\n# x\n")


# --- how the import reads a deck: as Marp does --------------------------------------------------------

TRICKY = """---
marp: true
---

# Title

Not a break but a heading
---

```text
---
```

<!--
---
-->

$$
x
$$

***

## Second

```python
print("shown")
```

```bash
echo shown
```

```julia
println("shown")
```

- - -

## Third
"""


def cells(text: str) -> Iterator[tuple[str, str]]:
    for cell in jupytext.reads(text, fmt="md").cells:
        yield cell.cell_type, cell.source


def test_slide_breaks_are_found_as_marp_finds_them() -> None:
    lesson = deck_to_lesson(TRICKY)
    markdown = [source for kind, source in cells(lesson) if kind == "markdown"]
    assert len(markdown) == 3  # three slides: the setext underline and the rules in a fence and a note are text
    assert markdown[0].startswith("# Title") and "Not a break but a heading\n---\n" in markdown[0]
    assert markdown[1].startswith("***\n\n## Second") and markdown[2].startswith("- - -\n\n## Third")
    assert "\n\n\n***\n" in lesson and "\n\n\n- - -\n" in lesson


def test_fences_never_run_unless_asked(tmp_path: Path) -> None:
    lesson = deck_to_lesson(TRICKY)
    assert [kind for kind, _ in cells(lesson)].count("code") == 1  # the parameters cell
    for fence in ("```python .noeval", "```bash .noeval", "```julia .noeval"):
        assert fence in lesson
    assert "```text\n---\n```" in lesson  # jupytext leaves a text fence as it is
    # --run-python / --run-bash: python fences are code cells, bash fences command cells; others never run.
    ran = deck_to_lesson(TRICKY, run_python=True, run_bash=True)
    code = [source for kind, source in cells(ran) if kind == "code"][1:]
    assert code == ['print("shown")', "%%bash\necho shown"]
    assert "```julia .noeval" in ran
    # One fence at a time: deleting its .noeval makes it run.
    one = lesson.replace("```python .noeval", "```python")
    assert [source for kind, source in cells(one) if kind == "code"][1:] == ['print("shown")']


def test_a_fence_jupytext_would_run_where_marp_sees_html_is_refused(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    deck.write_text("---\nmarp: true\n---\n\n# T\n\n<div>\n```python\nprint(1)\n```\n</div>\n")
    with pytest.raises(LessonError, match="would run code the deck only shows"):
        import_deck(deck, slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n")


def test_import_reports_a_reference_to_nothing_and_leaves_it(plain_deck: Path, tmp_path: Path) -> None:
    plain_deck.write_text(plain_deck.read_text(encoding="utf-8") + "\n![](img/gone.png)\n", encoding="utf-8")
    said: list[str] = []
    lesson = import_deck(plain_deck, slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n", report=said.append)
    assert "![](img/gone.png)" in lesson.source.read_text(encoding="utf-8")
    assert any("img/gone.png" in line and "left as written" in line for line in said)


def test_two_decks_with_one_theme_and_its_files_import_side_by_side(tmp_path: Path) -> None:
    source = tmp_path / "talks"
    (source / "themes").mkdir(parents=True)
    (source / "themes" / "sea.css").write_text("/* @theme sea */\n@import 'gaia';\n"
                                               "section { background: url(wave.svg) }\n")
    (source / "wave.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    slides = tmp_path / "slides"
    said: list[str] = []
    for name in ("one", "two"):
        (source / f"{name}.md").write_text(f"---\nmarp: true\ntheme: sea\n---\n\n# {name}\n")
        import_deck(source / f"{name}.md", slides_dir=slides, notebooks_dir=tmp_path / "notebooks",
                    report=said.append)
    assert "url(assets/themes/sea/wave.svg)" in (slides / "themes" / "sea.css").read_text()
    assert f"copied 1 file(s) its theme refers to into {slides / 'assets' / 'themes'}/" in said
    assert not any("the deck refers to" in line for line in said)
    with pytest.raises(LessonError, match="cannot be named themes"):  # its assets/ folder is the themes' files
        import_deck(source / "one.md", name="themes", slides_dir=slides, notebooks_dir=tmp_path / "notebooks")
    # Another deck whose wave.svg differs must not replace the one the lessons use: nothing is written.
    other = tmp_path / "elsewhere"
    (other / "themes").mkdir(parents=True)
    shutil.copy(source / "themes" / "sea.css", other / "themes" / "sea.css")
    (other / "wave.svg").write_text("<svg/>\n")
    (other / "three.md").write_text("---\nmarp: true\ntheme: sea\n---\n\n# three\n")
    with pytest.raises(LessonError, match=r"wave\.svg already holds another file"):
        import_deck(other / "three.md", slides_dir=slides, notebooks_dir=tmp_path / "notebooks")
    assert (slides / "assets" / "themes" / "sea" / "wave.svg").read_text().startswith("<svg xmlns")
    assert not (slides / "three.md").exists()


@DECKS
def test_import_names_the_marp_cli_configuration_a_lesson_cannot_carry(plain_deck: Path, tmp_path: Path) -> None:
    (plain_deck.parent / "marp.config.js").write_text(
        "module.exports = { html: true, options: { markdown: { breaks: true } }, engine: (o) => o.marp };\n")
    said: list[str] = []
    lesson = import_deck(plain_deck, slides_dir=tmp_path / "s", notebooks_dir=tmp_path / "n", report=said.append)
    assert "\nhtml: true\n" in lesson.source.read_text(encoding="utf-8")
    warning = next(line for line in said if line.startswith("warning:") and "marp.config.js" in line)
    assert "options, engine" in warning and "look at the slides" in warning
    said.clear()  # drawn as it is, the deck gets the same word: once for two decks in one folder
    twin = plain_deck.with_name("twin.md")
    twin.write_text(plain_deck.read_text(encoding="utf-8"), encoding="utf-8")
    build_decks([str(plain_deck), str(twin)], out_dir=tmp_path / "out", execute=False, notes=False,
                report=said.append)
    assert len([line for line in said if line.startswith("warning:") and "options, engine" in line]) == 1, said


def test_an_imported_theme_never_replaces_another_of_that_name(tmp_path: Path) -> None:
    source = tmp_path / "talk"
    (source / "themes").mkdir(parents=True)
    (source / "themes" / "mine.css").write_text("/* @theme mine */\n@import 'gaia';\n")
    (source / "talk.md").write_text("---\nmarp: true\ntheme: mine\n---\n\n# T\n")
    slides = tmp_path / "slides"
    (slides / "themes").mkdir(parents=True)
    (slides / "themes" / "theirs.css").write_text("/* @theme mine */\n@import 'uncover';\n")
    with pytest.raises(LessonError, match="already holds theme 'mine'"):
        import_deck(source / "talk.md", slides_dir=slides, notebooks_dir=tmp_path / "n")
    (slides / "themes" / "theirs.css").write_text((source / "themes" / "mine.css").read_text())
    import_deck(source / "talk.md", slides_dir=slides, notebooks_dir=tmp_path / "n")  # the same theme: fine
    assert not (slides / "themes" / "mine.css").exists()


# --- the output stamp ------------------------------------------------------------------------------


def _executed(front: str, title: str, code: str = "print(1)") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell(f"---\nmarp: true\n{front}---"), nbformat.v4.new_markdown_cell(title),
                nbformat.v4.new_code_cell('site = "ci"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell("---\n\n## Next\n\n<!-- footer: later -->"),
                nbformat.v4.new_code_cell(code)]
    return nb


@pytest.mark.parametrize(("front", "title", "code", "stamped"), [
    ("", "# Title", "print(1)", True),
    ("footer: the deck's own\n", "# Title", "print(1)", False),
    ("", "<!-- _footer: mine -->\n# Title", "print(1)", False),
    ("", "<!--\nclass: lead\nfooter: mine\n-->\n# Title", "print(1)", False),
    ("", "# Title", "", False),  # only the parameters cell ran: nothing the deck shows
])
def test_the_stamp_never_replaces_the_decks_own_footer(tmp_path: Path, front: str, title: str, code: str,
                                                       stamped: bool) -> None:
    source = tmp_path / "talk.md"
    source.write_text("---\nmarp: true\njupyter:\n  kernelspec:\n    name: python3\n---\n\n# Title\n")
    executed = tmp_path / "executed.ipynb"
    nbformat.write(_executed(front, title, code), executed)
    lesson = find_lessons([str(source)])[0]
    deck = write_deck(lesson, out_dir=tmp_path / "out", executed=executed, stamp="出力: site ci").read_text()
    assert ("_footer: '出力: site ci'" in deck) == stamped
