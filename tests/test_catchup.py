"""Catch-up points: `kit catchup NN` brings a fresh work folder to the start of lesson NN, keeping what the
participant edited; then the lesson runs to its end on the rehearsal site (fake Singularity, real Slurm)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.catchup import PLACERS, catch_up, leaves
from kit.lessons import find_lessons
from kit.sites import PROJECT_ROOT, load_site
from kit.train import PROGRAM_NAME

FAKES = PROJECT_ROOT / "tests" / "fakes"


def test_every_lesson_declares_what_catch_up_can_place() -> None:
    declared = {lesson.name: leaves(lesson.source) for lesson in find_lessons()}
    assert declared["01-container"] == ["env.sif"]
    assert declared["02-program"] == ["bart_finetuning.py"]
    assert set(declared["03-slurm"]) == {"train.sbatch", "logs/", "runs/"}
    assert all(item in PLACERS for items in declared.values() for item in items)
    for lesson in find_lessons()[2:]:  # every lesson after 01 starts with the line that catches up to it
        number = lesson.name.split("-")[0]
        assert f'# from kit.catchup import catch_up; catch_up("{number}", site)' in \
            lesson.source.read_text(encoding="utf-8"), lesson.name


def test_an_edited_program_survives_catch_up_and_is_said_to(tmp_path: Path) -> None:
    site = load_site("ci", overrides={"work_dir": str(tmp_path / "work")})
    (tmp_path / "work").mkdir()
    mine = (PROJECT_ROOT / PROGRAM_NAME).read_text(encoding="utf-8") + "# my change\n"
    (tmp_path / "work" / PROGRAM_NAME).write_text(mine, encoding="utf-8")
    said = catch_up("03", site, say=lambda line: None)
    assert (tmp_path / "work" / PROGRAM_NAME).read_text(encoding="utf-8") == mine
    assert any(line.startswith("02-program: program: kept your bart_finetuning.py") and "+# my change" in line
               for line in said), said
    assert "01-container: image: none needed (site ci runs on the host Python)" in said


def test_an_unknown_lesson_is_named_with_the_lessons(tmp_path: Path) -> None:
    from kit.errors import LessonError

    with pytest.raises(LessonError, match="no lesson 09") as err:
        catch_up("09", load_site("ci", overrides={"work_dir": str(tmp_path)}))
    assert "03-slurm" in (err.value.hint or "")


@pytest.mark.slurm
@pytest.mark.decks
@pytest.mark.parametrize("lesson", [lesson.name for lesson in find_lessons()][1:])
def test_after_catch_up_the_lesson_runs_to_its_end(lesson: str, tmp_path: Path, slurm_cluster: None) -> None:
    """A late participant: a fresh home, `kit catchup NN`, then lesson NN on the rehearsal site."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KIT_SITE"}
    env.update(PATH=os.pathsep.join([str(FAKES), os.environ["PATH"]]), HOME=str(home),
               MPLCONFIGDIR=os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.config/matplotlib"),
               FAKE_CONTAINER_PYTHON=sys.executable, FAKE_CONTAINER_LOG=str(tmp_path / "calls.jsonl"),
               KIT_CACHE_DIR=str(tmp_path / "cache"))
    number = lesson.split("-")[0]
    caught = subprocess.run([sys.executable, "-m", "kit", "catchup", number, "--site", "rehearsal"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert caught.returncode == 0, caught.stdout[-3000:] + caught.stderr[-3000:]
    assert f"is ready for lesson {number}" in caught.stdout or "nothing to place" in caught.stdout
    ran = subprocess.run([sys.executable, "-m", "kit", "lessons", "execute", lesson, "--site", "rehearsal", "--out",
                          str(tmp_path / "out")], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (tmp_path / "out" / f"{lesson}.ipynb").is_file()
