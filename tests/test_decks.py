"""Rendered decks: slides, pages, images, outputs, fonts, links (real marp-cli and Chromium)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import output_blocks

from kit.sites import PROJECT_ROOT
from litmarp.proc import chrome_path
from litmarp.render import DEFAULT_MAX_LINES, parameter_slide_cells
from litmarp.source import find_lessons

LESSONS = find_lessons()
NAMES = [lesson.name for lesson in LESSONS]


def slide_count(markdown: str) -> int:
    """Slides in a Marp deck: `---` rules outside the front matter and code fences, plus one."""
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") else markdown
    count, fence = 1, None
    for line in body.split("\n"):
        match = re.match(r"^(`{3,})", line)
        if match and (fence is None or match.group(1) == fence and line.strip() == fence):
            fence = None if fence else match.group(1)
        elif fence is None and line.strip() == "---":
            count += 1
    return count


def clip_limit(source: str) -> int:
    return max([DEFAULT_MAX_LINES, *(int(v) for v in re.findall(r"\bclip=(\d+)", source))])


def test_slide_count_parser() -> None:
    assert slide_count("---\nmarp: true\n---\n\n# a\n\n\n---\n\n```python\n---\n```\n\n\n---\n\nc\n") == 3


def dropped_slides(name: str) -> int:
    """Slides of the source that hold nothing but the parameters cell (the deck leaves them out)."""
    import jupytext

    cells = jupytext.read(PROJECT_ROOT / "slides" / f"{name}.md").cells
    return sum(1 for i in parameter_slide_cells(cells)
               if cells[i].cell_type == "markdown" and cells[i].source.lstrip("\n").startswith("---\n"))


@pytest.mark.parametrize("name", NAMES)
def test_deck_has_one_section_and_page_per_slide(built_decks: Path, name: str) -> None:
    source = (PROJECT_ROOT / "slides" / f"{name}.md").read_text(encoding="utf-8")
    expected = slide_count(source) - dropped_slides(name)
    assert slide_count((built_decks / f"{name}.md").read_text(encoding="utf-8")) == expected
    html = (built_decks / f"{name}.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<section\b", html)) == expected
    info = subprocess.run(["pdfinfo", str(built_decks / f"{name}.pdf")], capture_output=True, text=True, check=True)
    assert f"Pages:           {expected}" in info.stdout or re.search(rf"Pages:\s+{expected}\b", info.stdout)


@pytest.mark.parametrize("name", NAMES)
def test_no_slide_shows_the_presenters_checkout_home_or_login(built_decks: Path, name: str) -> None:
    """Decks go in front of a room: paths are written from the project, the work folder or ~."""
    import getpass

    deck = (built_decks / f"{name}.md").read_text(encoding="utf-8")
    assert str(PROJECT_ROOT) not in deck, f"{name}: the checkout's path is on a slide"
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        assert not re.search(re.escape(home) + r"(/|\b)", deck), f"{name}: the home folder's path is on a slide"
    user = getpass.getuser()
    if user not in ("root", "runner", "user"):  # words the lessons use for themselves ("root 権限")
        assert not re.search(rf"\b{re.escape(user)}\b", deck), f"{name}: the login {user!r} is on a slide"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell_is_in_the_notebook_but_not_on_a_slide(built_decks: Path, name: str) -> None:
    import jupytext

    notebook = jupytext.read(PROJECT_ROOT / "notebooks" / f"{name}.ipynb")
    params = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"notebooks/{name}.ipynb: one cell tagged parameters"
    deck = (built_decks / f"{name}.md").read_text(encoding="utf-8")
    assert params[0].source.strip() not in deck
    assert "# Parameters" not in deck and "## パラメータ" not in deck
    # The title slide says which site and when the outputs were produced.
    assert re.search(r"_footer: '出力: site ci · \d{4}-\d\d-\d\d \d\d:\d\d UTC'", deck)


@pytest.mark.parametrize("name", NAMES)
def test_handout_pdf_has_the_notes_and_a_notes_file(built_decks: Path, name: str) -> None:
    notes = (built_decks / f"{name}.notes.txt").read_text(encoding="utf-8")
    source_notes = [n for n in re.findall(r"<!--\s*(.*?)\s*-->", (PROJECT_ROOT / "slides" / f"{name}.md")
                    .read_text(encoding="utf-8"), re.S) if not re.match(r"_?\w+:", n)]
    assert source_notes and source_notes[0].splitlines()[0] in notes
    # The notes are text annotations (/Subtype /Text) whose /Contents is UTF-16 text; the PDF's
    # objects are in compressed object streams.
    pdf = (built_decks / f"{name}.pdf").read_bytes()
    objects = b"".join(_inflate(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S))
    notes_in_pdf = [bytes.fromhex(h.decode()).decode("utf-16") for h in
                    re.findall(rb"/Subtype /Text\s*/Rect \[[^\]]*\]\s*/Contents <([0-9A-Fa-f]+)>", objects)]
    assert notes_in_pdf, "the PDF carries no presenter-note annotations (--pdf-notes)"
    assert any(source_notes[0].splitlines()[0] in note for note in notes_in_pdf)


def _inflate(data: bytes) -> bytes:
    import zlib

    try:
        return zlib.decompress(data)
    except zlib.error:
        return b""


@pytest.mark.parametrize("name", NAMES)
def test_every_referenced_image_exists_and_outputs_are_clipped(built_decks: Path, name: str) -> None:
    deck = (built_decks / f"{name}.md").read_text(encoding="utf-8")
    for ref in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", deck):
        assert (built_decks / ref).is_file(), f"{name}: missing image {ref}"
    limit = clip_limit((PROJECT_ROOT / "slides" / f"{name}.md").read_text(encoding="utf-8"))
    for block in output_blocks(deck):
        assert len(block.split("\n")) <= limit, f"{name}: output block longer than {limit} lines"
    assert "Traceback" not in deck


def test_intro_deck_has_its_executed_outputs(built_decks: Path) -> None:
    deck = (built_decks / "00-intro.md").read_text(encoding="utf-8")
    assert re.search(r"print\(torch.__version__, transformers.__version__\)\"\n\d+\.\d+\S* \d+\.\d+", deck)
    assert "このサイトでは実行していません: GPU なし\n$ nvidia-smi" in deck  # no GPU in CI: said, not faked
    images = re.findall(r"!\[w:\d+\]\((00-intro/[^)]+\.png)\)", deck)
    assert images and (built_decks / images[0]).stat().st_size > 5000


def test_results_deck_has_bleu_samples_and_loss_plot(built_decks: Path) -> None:
    deck = (built_decks / "04-results.md").read_text(encoding="utf-8")
    assert re.search(r"BLEU\s+\d+\.\d\d / 100\s+= 0\.\d{4}", deck)
    assert "tok:none" in deck  # the sacrebleu signature
    assert "入力: " in deck and "正解: " in deck and "生成文: " in deck
    plots = re.findall(r"!\[w:\d+\]\((04-results/[^)]+\.png)\)", deck)
    assert plots and all((built_decks / p).stat().st_size > 5000 for p in plots)


def test_slurm_decks_show_real_jobs(built_decks: Path) -> None:
    slurm_deck = (built_decks / "03-slurm.md").read_text(encoding="utf-8")
    assert "#SBATCH --gpus tesla:1" in slurm_deck
    assert "COMPLETED" in slurm_deck and "CANCELLED" in slurm_deck
    extras = (built_decks / "05-extras.md").read_text(encoding="utf-8")
    assert "Hello Slurm!" in extras


def test_first_slide_screenshot_is_not_blank(built_decks: Path, tmp_path: Path) -> None:
    import matplotlib.image

    chrome = chrome_path()
    assert chrome, "Chromium is needed (make setup installs it)"
    shot = tmp_path / "slide1.png"
    subprocess.run(
        [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--hide-scrollbars", "--window-size=1280,720", f"--screenshot={shot}",
         (built_decks / "00-intro.html").resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    pixels = matplotlib.image.imread(shot)[..., :3]
    dark = (pixels.mean(axis=2) < 0.5).mean()
    assert dark > 0.005, "slide 1 rendered blank"


def test_japanese_font_is_installed_and_embedded(built_decks: Path) -> None:
    fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no Japanese font: install fonts-noto-cjk"
    pdf = str(built_decks / "00-intro.pdf")
    listing = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    embedded = [line for line in listing.splitlines()[2:] if " yes " in line]
    assert embedded, "the PDF embeds no font"
    # Missing glyphs come out as boxes with no text behind them; real glyphs extract as text.
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "学科サーバ" in text and "ファインチューニング" in text


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|(https?://[^\s)>`'\"]+)")


def documents() -> list[Path]:
    return [*(PROJECT_ROOT / "slides").glob("*.md"), PROJECT_ROOT / "README.md"]


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_links_resolve_or_are_well_formed(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    text = re.sub(r"^(`{3,}).*?^\1", "", text, flags=re.S | re.M)  # links inside code are examples
    for local, url in LINK.findall(text):
        target = url or local
        if target.startswith(("http://", "https://")):
            parsed = urlparse(target)
            assert parsed.netloc and "." in parsed.netloc and " " not in target, f"{doc}: bad URL {target}"
        elif not target.startswith(("#", "mailto:")):
            path = (doc.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{doc}: link to missing {target}"


def _fenced(deck: str, lang: str) -> list[str]:
    return [m.group(2) for m in re.finditer(rf"^(`{{3,}}){lang}\n(.*?)\n\1$", deck, re.S | re.M)]


@pytest.mark.slurm
def test_the_slurm_deck_shows_the_real_sbatch_and_its_job(built_decks: Path) -> None:
    deck = (built_decks / "03-slurm.md").read_text(encoding="utf-8")
    pattern = re.compile(r"^\$ sbatch train\.sbatch\nSubmitted batch job (\d+)\n\$ JOB=(\d+)$", re.M)
    submitted = [m for block in _fenced(deck, "terminal") if (m := pattern.search(block))]
    assert submitted, "no `$ sbatch train.sbatch` with its job on the slides"
    job = submitted[0].group(1)
    assert submitted[0].group(2) == job
    # Slurm's own record of that job (the dev cluster keeps it in the job-completion file).
    record = subprocess.run(["sacct", "-c", "-n", "-j", job, "-o", "jobid,jobname%20,state"], capture_output=True,
                            text=True, check=True).stdout
    assert re.search(rf"^{job}\s+bart-finetune\s+COMPLETED", record, re.M), record
    assert "$ tail -n 5 logs/bart-finetune-$JOB.log\n" in deck


@pytest.mark.parametrize("name", NAMES)
def test_no_python_output_pretends_to_be_a_terminal(built_decks: Path, name: str) -> None:
    """Command lines on a slide come from command cells (```terminal); a printed `$ …` did not run as shown."""
    deck = (built_decks / f"{name}.md").read_text(encoding="utf-8")
    for block in output_blocks(deck):
        assert not re.search(r"^\$ ", block, re.M), f"{name}: an output block shows a command line:\n{block}"


def test_a_site_without_a_runtime_labels_the_container_steps(built_decks: Path) -> None:
    deck = (built_decks / "01-container.md").read_text(encoding="utf-8")
    label = "このサイトでは実行していません: コンテナランタイムなし"
    not_run = _fenced(deck, "not-run")
    assert f"{label}（サイト ci はホストの Python で動かす）\n$ singularity pull " \
           "docker://huggingface/transformers-pytorch-gpu:4.35.2" in not_run
    assert any("\n$ singularity build --fakeroot env.sif env.def\n$ du -h *.sif" in block for block in not_run)
    assert not any("$ singularity" in block for block in _fenced(deck, "terminal")), "shown as if it ran"
    assert "$ grep -A 9 '^%post' env.def\n%post" in deck  # what does run on the site, runs
