"""Catch-up points: `kit catchup NN` brings a fresh work folder to the start of lesson NN, keeping what the
participant edited. That each lesson then runs to its end is the rehearsal (tests/test_rehearsal.py): every
lesson there runs in a fresh home after `kit catchup NN`, on the rehearsal site (fake Singularity, real Slurm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.catchup import PLACERS, catch_up, leaves
from kit.sites import PROJECT_ROOT, load_site
from kit.train import PROGRAM_NAME
from litmarp.source import find_lessons


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
    from litmarp.errors import LessonError

    with pytest.raises(LessonError, match="no lesson 09") as err:
        catch_up("09", load_site("ci", overrides={"work_dir": str(tmp_path)}))
    assert "03-slurm" in (err.value.hint or "")
