"""The engine serves another workshop: a two-slide workshop in a temporary folder, with no kit/ at all.

Its only ties to the engine are ``[tool.litmarp]`` in its own pyproject.toml (with a site check of its own,
a module of the workshop named there) and jupytext's pairing in its jupytext.toml. ``kit`` cannot be
imported in these processes, nor in the kernels they start: a stand-in package that fails on import comes
first on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LESSON_HEADER

pytestmark = pytest.mark.decks

PYPROJECT = """\
[project]
name = "another-workshop"
version = "1"

[tool.litmarp]
site-env = "TALK_SITE"
default-site = "laptop"
check-site = "talk_sites:check"
inputs = ["pyproject.toml", "talk_sites.py"]
"""

SITES = """\
def check(name):
    if name not in ("laptop", "lab"):
        raise ValueError(f"no site {name!r} in this workshop: use laptop or lab")
"""

LESSON = LESSON_HEADER.replace("theme: basic1\n", "") + """
# Another workshop

```python tags=["parameters"]
site = "laptop"
```


---

## Computed, and typed

```python
total = sum(range(10))
print("total", total, "on", site)
```

```bash
echo "from bash: $((6 * 7))"
```
"""


def _run(folder: Path, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` in ``cwd`` (default: the workshop's folder), where ``kit`` cannot be imported."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "LITMARP_", "TALK_"))}
    base.update(PYTHONPATH=str(folder / "blocked"), **env)
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd or folder, env=base, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def workshop(tmp_path: Path) -> Path:
    folder = tmp_path / "talk"
    (folder / "slides").mkdir(parents=True)
    (folder / "blocked" / "kit").mkdir(parents=True)
    (folder / "blocked" / "kit" / "__init__.py").write_text("raise ImportError('the engine imported kit')\n")
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "jupytext.toml").write_text('formats = "slides///md,notebooks///ipynb"\n')  # the pairing is jupytext's
    (folder / "talk_sites.py").write_text(SITES)
    (folder / "slides" / "01-talk.md").write_text(LESSON, encoding="utf-8")
    paired = _run(folder, "jupytext", "--sync", "slides/01-talk.md")
    assert paired.returncode == 0, paired.stderr
    return folder


def test_a_workshop_without_kit_is_checked_executed_and_rendered(workshop: Path) -> None:
    assert not (workshop / "kit").exists()
    checked = _run(workshop, "litmarp", "check")
    assert checked.returncode == 0 and "1 lesson(s) in sync: 01-talk" in checked.stdout, checked.stderr

    built = _run(workshop, "litmarp", "slides", "--out", "out", "--fit", "off")
    assert built.returncode == 0, built.stdout + built.stderr
    deck = (workshop / "out" / "01-talk.md").read_text(encoding="utf-8")
    assert "total 45 on laptop" in deck  # the site from default-site, injected as the parameter
    assert "$ echo" in deck and "from bash: 42" in deck  # a command cell, run in bash
    assert "section pre:has(> code.language-terminal)" in deck  # told apart on Marp's default theme too
    assert "outputs: site laptop" in deck  # the engine's words in the project's language (lang: en by default)
    assert (workshop / "out" / "01-talk.html").stat().st_size > 0
    assert (workshop / "build" / "cache").is_dir()  # the default cache folder, in this workshop

    # A second lesson, built alone for the site $TALK_SITE names: the index still lists the first.
    second = workshop / "slides" / "02-more.md"
    second.write_text(LESSON.replace("# Another workshop", "# More").replace("range(10)", "range(11)"),
                      encoding="utf-8")
    assert _run(workshop, "jupytext", "--sync", "slides/02-more.md").returncode == 0
    more = _run(workshop, "litmarp", "slides", "02-more", "--out", "out", "--fit", "off", TALK_SITE="lab")
    assert more.returncode == 0 and "02-more: executed (site lab" in more.stdout, more.stdout + more.stderr
    assert "total 55 on lab" in (workshop / "out" / "02-more.md").read_text(encoding="utf-8")
    index = (workshop / "out" / "index.html").read_text(encoding="utf-8")
    assert "<title>Slides</title>" in index and "Another workshop" in index and ">More<" in index
    assert "href='01-talk.learner.html'" in index and "href='02-more.html'" in index

    # Both for that site: the first executes for it, the second's outputs come from the cache.
    both = _run(workshop, "litmarp", "slides", "--out", "out", "--fit", "off", TALK_SITE="lab")
    assert "01-talk: executed (site lab" in both.stdout, both.stdout + both.stderr
    assert "02-more: outputs from the cache" in both.stdout, both.stdout + both.stderr


def test_the_workshops_site_check_refuses_a_site_before_any_kernel_starts(workshop: Path) -> None:
    """From a folder below the project's root, too: the project and its check are found from there."""
    refused = _run(workshop, "litmarp", "slides", "--site", "moon", "--out", "../out", "--fit", "off",
                   cwd=workshop / "slides")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "site 'moon' refused by talk_sites:check (ValueError: no site 'moon' in this workshop: use laptop or lab)" \
        in refused.stderr and "Traceback" not in refused.stderr
    assert not (workshop / "out").exists() and not (workshop / "build").exists()


def test_check_says_when_jupytext_does_not_pair_the_projects_folders(workshop: Path) -> None:
    """The folders are the project's ([tool.litmarp]), the pairing jupytext's: a mismatch is named, with the line
    to write (else an edit in Jupyter would never reach the lesson)."""
    (workshop / "jupytext.toml").write_text('formats = "lessons///md,notebooks///ipynb"\n')
    checked = _run(workshop, "litmarp", "check")
    assert checked.returncode == 9, checked.stdout + checked.stderr
    assert "jupytext does not pair slides/01-talk.md with notebooks/01-talk.ipynb" in checked.stderr
    assert 'write in jupytext.toml: formats = "slides///md,notebooks///ipynb"' in checked.stderr


def test_outside_any_workshop_the_engine_says_what_it_needs(tmp_path: Path) -> None:
    (tmp_path / "blocked").mkdir()
    alone = _run(tmp_path, "litmarp", "check")
    assert alone.returncode == 2, alone.stderr
    assert "is not in a litmarp project" in alone.stderr and "[tool.litmarp]" in alone.stderr


def test_lint_imports_fails_on_a_cross_import(tmp_path: Path) -> None:
    """make check runs lint-imports: the engine importing the workshop breaks the build."""
    import shutil

    from kit.sites import PROJECT_ROOT

    for package in ("litmarp", "kit"):
        shutil.copytree(PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    lint = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--contract", "engine"]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    kept = subprocess.run(lint, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    render = tmp_path / "litmarp" / "render.py"
    text = render.read_text(encoding="utf-8")
    head = "from __future__ import annotations\n"
    assert head in text
    render.write_text(text.replace(head, head + "from kit.sites import PROJECT_ROOT\n", 1), encoding="utf-8")
    broken = subprocess.run(lint, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "litmarp.render -> kit.sites" in broken.stdout and "BROKEN" in broken.stdout


def test_an_imported_deck_brings_its_theme_to_the_projects_theme_folder(workshop: Path) -> None:
    pyproject = workshop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'themes = "themes"\n')
    talk = workshop / "elsewhere"
    talk.mkdir()
    (talk / "mine.css").write_text("/* @theme mine */\n@import 'gaia';\nh1 { color: #123456; }\n")
    (talk / "talk.md").write_text("---\nmarp: true\ntheme: mine\n---\n\n# Mine\n")
    imported = _run(workshop, "litmarp", "import", "elsewhere/talk.md", "--name", "02-talk")
    assert imported.returncode == 0, imported.stderr
    assert (workshop / "themes" / "mine.css").is_file()
    assert not (workshop / "slides" / "themes").exists()
    built = _run(workshop, "litmarp", "slides", "02-talk", "--no-exec", "--fit", "off")
    assert built.returncode == 0, built.stdout + built.stderr
    assert "#123456" in (workshop / "build" / "slides" / "02-talk.html").read_text(encoding="utf-8")
