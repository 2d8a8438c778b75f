"""`make watch`: the marp-cli server command and which lessons a change re-renders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

from litmarp.watch import changed_lessons, marp_server_command, served_files


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


def test_served_files_are_where_the_browser_asks_for_them(tmp_path: Path) -> None:
    out = tmp_path / "build" / "slides"
    texts = [("![w:100](../../slides/assets/a.png)\n\n![](deck.assets/out.png)\n\n![](https://x.org/b.png)", False),
             ("section { background: url('../../slides/themes/bg.png'); }", True)]
    assert served_files(out, texts) == {"slides/assets/a.png": tmp_path / "slides" / "assets" / "a.png",
                                        "slides/themes/bg.png": tmp_path / "slides" / "themes" / "bg.png"}


@pytest.mark.decks
def test_the_server_shows_a_decks_image_from_the_slides_folder(tmp_path: Path) -> None:
    """marp-cli's server serves the output folder alone: an image beside the lesson must still be there."""
    import base64
    import re
    import urllib.request
    from urllib.parse import urljoin

    (tmp_path / "pyproject.toml").write_text("[tool.litmarp]\n")
    (tmp_path / "slides" / "themes").mkdir(parents=True)
    (tmp_path / "slides" / "assets").mkdir()
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0g"
                           "AAAABJRU5ErkJggg==")  # one pixel
    (tmp_path / "slides" / "assets" / "dot.png").write_bytes(png)
    (tmp_path / "slides" / "pic.md").write_text("---\nmarp: true\n---\n\n# 図\n\n![w:200](assets/dot.png)\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "LITMARP_"))}
    server = subprocess.Popen([sys.executable, "-m", "litmarp", "watch", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        said = []
        for line in server.stdout:
            said.append(line)
            if "serving" in line:
                break
        deck = ""
        for _ in range(100):  # marp-cli's server takes a moment to listen
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/pic.md", timeout=10) as page:
                    deck = page.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        image = re.search(r'<img src="([^"]+)"', deck)
        assert image, "".join(said) + deck[-2000:]
        # Where a browser asks for it: the URL of the deck, joined with the image's (urljoin as browsers do).
        url = urljoin(f"http://127.0.0.1:{port}/pic.md", image[1])
        assert url.startswith(f"http://127.0.0.1:{port}/"), url  # from the server, not inlined
        with urllib.request.urlopen(url, timeout=10) as served:
            assert served.read() == png
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_links_follow_what_the_decks_name_and_never_break_the_server(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from litmarp.watch import link_served_files

    (tmp_path / "pyproject.toml").write_text("[tool.litmarp]\n")
    (tmp_path / "slides" / "assets").mkdir(parents=True)
    for name in ("a.png", "b.png"):
        (tmp_path / "slides" / "assets" / name).write_bytes(b"png")
    (tmp_path.parent / "outside.png").write_bytes(b"png")
    monkeypatch.chdir(tmp_path)
    out = Path("build/slides")
    out.mkdir(parents=True)
    deck = out / "deck.md"
    deck.write_text("![](../../slides/assets/a.png)\n![](../../slides/assets/b.png)\n![](../../../outside.png)\n")
    said: list[str] = []
    link_served_files(out, [], said.append)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_symlink()) == [
        "slides/assets/a.png", "slides/assets/b.png"]  # never a file outside the project
    deck.write_text("![](../../slides/assets/a.png)\n")
    link_served_files(out, [], said.append)
    assert [str(p.relative_to(out)) for p in out.rglob("*") if p.is_symlink()] == ["slides/assets/a.png"]
    assert said == []
    # A file where a folder of links must go: said, and the server still starts.
    other = Path("other")
    other.mkdir()
    (other / "slides").write_text("mine")
    (other / "deck.md").write_text("![](../slides/assets/a.png)\n")
    link_served_files(other, [], said.append)
    assert len(said) == 1 and "cannot show slides/assets/a.png" in said[0], said
