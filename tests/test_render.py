"""Notebook → Marp rendering: clipping, wrapping, images, cell tags."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest
from conftest import output_blocks
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from litmarp.errors import LessonError
from litmarp.marp import deck_html, deck_theme, deck_themes, marp_batch_command, marp_config
from litmarp.render import RenderOptions, clean_text, clip_text, notebook_to_marp, relink_images

# A 1x1 PNG.
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)).decode()


def stream(text: str) -> nbformat.NotebookNode:
    return new_output("stream", name="stdout", text=text)


def test_clip_keeps_head_and_tail_and_counts_omitted() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 101))
    clipped = clip_text(text, 10).split("\n")
    assert len(clipped) == 10
    assert clipped[0] == "line 1"
    assert clipped[-1] == "line 100"
    assert "… 91 lines omitted" in clipped


def test_clip_leaves_short_text_alone() -> None:
    assert clip_text("a\nb\n", 5) == "a\nb"


def test_clean_text_strips_ansi_and_progress_rewrites() -> None:
    assert clean_text("\x1b[31mred\x1b[0m") == "red"
    assert clean_text(" 10%\r 50%\r100%\ndone") == "100%\ndone"


def test_wrap_text_splits_long_lines() -> None:
    wrapped = clip_text("x" * 25, 1000, 10).split("\n")
    assert wrapped[0] == "x" * 10
    assert all(len(line) <= 10 for line in wrapped)


def test_wrap_breaks_at_a_space_and_clip_keeps_wrapped_lines_whole() -> None:
    line = "  out| {'eval_loss': '0.6482', 'eval_runtime': '0.0994', 'eval_samples_per_second': '1006'}"
    wrapped = clip_text(line, 1000, 60).split("\n")
    assert wrapped[0].endswith("'eval_runtime': '0.0994',") and wrapped[1] == "  'eval_samples_per_second': '1006'}"
    log = "\n".join([*(f"step {i}" for i in range(20)), line])
    clipped = clip_text(log, 6, 60).split("\n")
    assert len(clipped) <= 6 and clipped[-2:] == wrapped  # the long last line, whole
    assert clipped[0] == "step 0" and any(c.startswith("… ") for c in clipped)
    assert not any(c.startswith("  'eval_samples") for c in clipped[:-1])  # no orphaned second half


def make_nb() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [
        new_raw_cell("---\nmarp: true\ntheme: basic1\njupyter:\n  kernelspec:\n    name: python3\n---"),
        new_markdown_cell("# Title\n\n<!-- note -->"),
        new_code_cell("print('long')", outputs=[stream("\n".join(str(i) for i in range(50)))]),
        new_code_cell("hidden()", metadata={"tags": ["remove-cell"]}, outputs=[stream("SECRET\n")]),
        new_code_cell("no_input()", metadata={"tags": ["remove-input"]}, outputs=[stream("shown output\n")]),
        new_code_cell("no_output()", metadata={"tags": ["remove-output"]}, outputs=[stream("HIDDEN OUT\n")]),
        new_code_cell("plot()", outputs=[
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]),
        new_code_cell("table()", outputs=[new_output("display_data", data={"text/markdown": "| a |\n| - |\n| 1 |"})]),
        new_code_cell("print('x')", metadata={"clip": 3}, outputs=[stream("1\n2\n3\n4\n5\n6\n")]),
    ]
    return nb


def test_notebook_to_marp(tmp_path: Path) -> None:
    deck = tmp_path / "lesson.md"
    md = notebook_to_marp(make_nb(), deck, options=RenderOptions(max_lines=8))
    # Marp's keys stay, jupytext's block goes.
    assert md.startswith("---\nmarp: true\ntheme: basic1\n---")
    assert "kernelspec" not in md
    assert "<!-- note -->" in md
    blocks = list(output_blocks(md))
    assert all(len(b.split("\n")) <= 8 for b in blocks[:1])
    assert "… 43 lines omitted" in blocks[0]
    # remove-cell drops both; remove-input keeps the output; remove-output keeps the code.
    assert "hidden()" not in md and "SECRET" not in md
    assert "no_input()" not in md and "shown output" in md
    assert "no_output()" in md and "HIDDEN OUT" not in md
    # Images are written beside the deck and referenced with a Marp size.
    (ref,) = re.findall(r"!\[w:600\]\((lesson/cell6-0-[0-9a-f]{8}\.png)\)", md)
    assert (tmp_path / ref).read_bytes().startswith(b"\x89PNG")
    assert "| a |" in md
    # Per-cell clip metadata wins over the default.
    assert blocks[-1].split("\n") == ["1", "… 4 lines omitted", "6"]


def test_parameters_cells_are_never_shown(tmp_path: Path) -> None:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# Title"),
        new_code_cell('site = "local"', metadata={"tags": ["parameters"]}),
        new_code_cell('# Parameters\nsite = "ci"\n', metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("---\n\n## Next\n\ntext"),
        new_code_cell("print(1)"),
    ]
    md = notebook_to_marp(nb, tmp_path / "d.md")
    assert "site =" not in md
    assert md.startswith("# Title") and "## Next" in md and "print(1)" in md


def test_a_slide_holding_only_the_parameters_cell_is_dropped(tmp_path: Path) -> None:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# Title"),
        new_markdown_cell("---\n\n## パラメータ\n\nsites/*.toml から読む"),
        new_code_cell('site = "local"', metadata={"tags": ["parameters"]}),
        new_markdown_cell("<!-- note on the parameters slide -->"),
        new_markdown_cell("---\n\n## Next"),
        new_code_cell("print(1)"),
    ]
    md = notebook_to_marp(nb, tmp_path / "d.md")
    assert "パラメータ" not in md and "note on the parameters" not in md
    assert md.count("\n---\n") == 1 and "## Next" in md


def test_stamp_goes_on_the_title_slide_as_a_footer(tmp_path: Path) -> None:
    nb = make_nb()
    md = notebook_to_marp(nb, tmp_path / "d.md", stamp="出力: site ci · 2026-01-01 00:00 UTC")
    body = md.split("\n---\n", 1)[1]
    assert body.lstrip().startswith("<!-- _footer: '出力: site ci · 2026-01-01 00:00 UTC' -->")


def test_library_warnings_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    warning = ("/x/transformers/utils.py:12: FutureWarning: `foo` is deprecated\n"
               "  warnings.warn(\n")
    nb = new_notebook()
    nb.cells = [
        new_code_cell("a()", outputs=[new_output("stream", name="stderr", text=warning + "real message\n")]),
        new_code_cell("b()", metadata={"tags": ["show-warnings"]},
                      outputs=[new_output("stream", name="stderr", text=warning)]),
    ]
    blocks = list(output_blocks(notebook_to_marp(nb, tmp_path / "d.md")))
    assert blocks[0] == "real message"
    assert "FutureWarning" in blocks[1]


def test_relative_images_are_relinked_from_the_source(tmp_path: Path) -> None:
    nb = new_notebook()
    nb.cells = [new_markdown_cell("![w:200](img/a.png) ![](https://x.org/b.png) ![](/abs/c.png)")]
    md = notebook_to_marp(nb, tmp_path / "out" / "d.md", source_dir=tmp_path / "talk")
    assert "![w:200](../talk/img/a.png)" in md
    assert "(https://x.org/b.png)" in md and "(/abs/c.png)" in md


def test_every_kind_of_reference_is_relinked_and_code_is_left_alone(tmp_path: Path) -> None:
    deck = """---
marp: true
backgroundImage: url('img/bg.png')
---

![bg left sepia](img/a%20b.png) ![w:200](<img/c d.png> "t") [handout](docs/h.pdf) [web](https://x.org/a.png)
<img alt="x" src="img/e.svg"> <video poster='p.png'><source src=clip.mp4></video>
<div style="background: url(&quot;img/f.png&quot;)">x</div>
<!-- _backgroundImage: url(img/g.png) -->
<style scoped>section { background-image: url("img/h.png#part"); }</style>
`![](img/code.png)` and ![](#anchor) ![](data:image/png;base64,AAAA) ![](/abs/i.png)

```markdown
![](img/fenced.png) <img src="img/fenced.svg">
```

    ![](img/indented.png)
"""
    out = relink_images(deck, tmp_path / "talk", tmp_path / "build" / "slides")
    for moved in ("url('../../talk/img/bg.png')", "](../../talk/img/a%20b.png)", "](<../../talk/img/c d.png> \"t\")",
                  "](../../talk/docs/h.pdf)", 'src="../../talk/img/e.svg"', "poster='../../talk/p.png'",
                  "src=../../talk/clip.mp4", "url(&quot;../../talk/img/f.png&quot;)", "url(../../talk/img/g.png)",
                  'url("../../talk/img/h.png#part")'):
        assert moved in out
    for kept in ("`![](img/code.png)`", "![](#anchor)", "(data:image/png;base64,AAAA)", "(/abs/i.png)",
                 "(https://x.org/a.png)", '![](img/fenced.png) <img src="img/fenced.svg">',
                 "    ![](img/indented.png)"):
        assert kept in out
    # A notebook's Markdown cell that starts with a slide break has no front matter: all of it is relinked.
    cell = "---\n\n![bg](img/a.png)\n\n<!--\n---\n-->"
    assert "](../../talk/img/a.png)" in relink_images(cell, tmp_path / "talk", tmp_path / "build" / "slides",
                                                       document=False)


def test_a_themes_urls_are_relinked_and_its_imports_left_alone(tmp_path: Path) -> None:
    css = ("/* @theme t */\n@import 'base';\n@import url(\"gaia\");\n@import-theme url('x');\n"
           "section { background: url(img/bg.png) } h1 { background-image: url( \"img/a b.svg\" ) }\n"
           "h2 { background: url(https://x.org/c.png) }\n")
    out = relink_images(css, tmp_path / "talk", tmp_path / "build", css=True)
    assert "url(../talk/img/bg.png)" in out and 'url( "../talk/img/a b.svg" )' in out
    for kept in ("@import 'base';", '@import url("gaia");', "@import-theme url('x');", "url(https://x.org/c.png)"):
        assert kept in out


def test_the_projects_theme_set_is_drawn_even_for_no_deck(tmp_path: Path) -> None:
    """marp-cli's server starts with --theme-set before any lesson exists (an empty one is a usage error)."""
    from litmarp import project
    from litmarp.marp import drawn_themes

    assert drawn_themes([], tmp_path) == [project.current().themes]


def test_the_theme_a_deck_asks_for() -> None:
    assert deck_theme("---\nmarp: true\ntheme: gaia\n---\n# x\n") == "gaia"
    assert deck_theme("---\nmarp: true\n---\n<!-- theme: 'mine' -->\n# x\n") == "mine"
    assert deck_theme("# x\n\n```markdown\n<!-- theme: shown -->\n```\n") is None
    assert deck_theme("---\nmarp: true\n---\n# x\n") is None


@pytest.mark.decks  # marp-cli's configuration is read by its own loader: node and npm ci
def test_html_is_what_the_deck_or_its_marp_cli_configuration_asks_for(tmp_path: Path) -> None:
    deck = tmp_path / "talk" / "talk.md"
    deck.parent.mkdir()
    deck.write_text("---\nmarp: true\n---\n\n# x\n")
    assert not deck_html(deck)  # off by default, as in marp-cli
    (deck.parent / ".marprc.yml").write_text("html: true\n")
    assert deck_html(deck)
    deck.write_text("---\nmarp: true\nhtml: false\n---\n\n# x\n")
    assert not deck_html(deck)  # the deck's own word first
    (deck.parent / ".marprc.yml").unlink()
    (deck.parent / "package.json").write_text('{"marp": {"html": true}}')
    deck.write_text("---\nmarp: true\n---\n\n# x\n")
    assert deck_html(deck)


@pytest.mark.decks  # node and marp-cli's loader (npm ci)
def test_a_marp_config_js_is_read_by_marp_clis_own_loader(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    deck.write_text("---\nmarp: true\n---\n\n# x\n")
    # Code, which may print and hold functions: only its keys and a boolean html come back.
    (tmp_path / "marp.config.js").write_text(
        "console.log('loading');\nmodule.exports = { html: 1 < 2, engine: ({ marp }) => marp, n: 10n };\n")
    assert deck_html(deck)
    assert marp_config(tmp_path)["keys"] == ["html", "engine", "n"]
    (tmp_path / "marp.config.js").unlink()
    (tmp_path / "marp.config.mjs").write_text("export default { html: false };\n")
    assert not deck_html(deck)
    (tmp_path / "marp.config.mjs").write_text("export default 'not an object';\n")
    assert not deck_html(deck) and marp_config(tmp_path)["keys"] == []
    (tmp_path / "marp.config.mjs").write_text("export default { html: \n")
    with pytest.raises(LessonError, match=r"configuration cannot be read: .*marp\.config\.mjs") as err:
        deck_html(deck)
    assert "fix that file" in err.value.hint


def test_theme_url_paths_are_drawn_from_the_decks_folder(tmp_path: Path) -> None:
    from litmarp import project
    from litmarp.marp import drawn_themes

    (tmp_path / "talk").mkdir()
    deck = tmp_path / "talk" / "talk.md"
    deck.write_text("---\nmarp: true\ntheme: mine\n---\n\n# x\n")
    (tmp_path / "talk" / "mine.css").write_text("/* @theme mine */\nsection { background: url(img/a.png) }\n")
    drawn = drawn_themes([deck], tmp_path / "out")
    assert drawn[0] == project.current().themes  # no url() in the project's: the folder as it is
    assert drawn[1].parent == tmp_path / "out" / ".themes"
    assert "url(../talk/img/a.png)" in drawn[1].read_text()  # from out/, where the HTML is


def test_theme_sets_hold_only_theme_css(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "mine.css").write_text("/* @theme mine */\n")
    (tmp_path / "print.css").write_text("body { color: black; }\n")  # not a theme: marp-cli would reject it
    (tmp_path / "themes" / "other.css").write_text("/**\n * @theme other\n */\n")
    sets = deck_themes(tmp_path / "talk.md")
    assert sets[1:] == [tmp_path / "mine.css", tmp_path / "themes" / "other.css"]


def test_marp_batch_commands_golden() -> None:
    decks, themes = [Path("b/a.md"), Path("b/c.md")], [Path("slides/themes")]
    assert marp_batch_command("marp", decks, themes=themes) == [
        "marp", "b/a.md", "b/c.md", "--theme-set", "slides/themes"]
    assert marp_batch_command("marp", decks, kind="pdf", themes=themes) == [
        "marp", "b/a.md", "b/c.md", "--theme-set", "slides/themes", "--pdf", "--pdf-notes", "--allow-local-files"]
    assert marp_batch_command("marp", decks, kind="notes", themes=themes)[-1] == "--notes"
    assert marp_batch_command("marp", decks, themes=themes, html=True) == [
        "marp", "b/a.md", "b/c.md", "--theme-set", "slides/themes", "--html"]
    assert marp_batch_command("marp", decks, themes=[*themes, Path("talk/mine.css")]) == [
        "marp", "b/a.md", "b/c.md", "--theme-set", "slides/themes", "talk/mine.css"]
    with pytest.raises(ValueError):
        marp_batch_command("marp", decks, kind="pptx", themes=themes)


@pytest.mark.parametrize("text", ["```\ninner\n```", "plain"])
def test_output_fence_survives_backticks(tmp_path: Path, text: str) -> None:
    nb = new_notebook()
    nb.cells = [new_code_cell("x", outputs=[stream(text + "\n")])]
    md = notebook_to_marp(nb, tmp_path / "d.md")
    assert list(output_blocks(md)) == [text]


def test_clip_of_one_line_longer_than_the_budget_shows_its_ends() -> None:
    long = "[" + ", ".join(map(str, range(600))) + "]"
    clipped = clip_text(long, 12, 96).split("\n")
    assert len(clipped) == 12 and clipped[0].startswith("[0, 1, 2") and clipped[-1].endswith("599]")
    assert any("wrapped lines omitted" in c for c in clipped)


def test_wrap_never_loops_on_tiny_widths_or_deep_indentation() -> None:
    text = "abc def ghi jkl " * 3
    for width in range(0, 8):
        lines = clip_text(text, 1000, width).split("\n")
        if width < 4:  # a continuation starts with two spaces: narrower cannot advance, the line stays
            assert lines == [text]
        else:  # every line fits, and nothing is lost or doubled
            assert all(len(line) <= width for line in lines), (width, lines)
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    parts = clip_text(" " * 60 + "x" * 50, 1000, 40).split("\n")
    assert "".join(p.strip() for p in parts) == "x" * 50
