"""Editions: the instructor's deck runs and shows the solutions; no learner file (deck, notebook, handout) holds
one; the learner's notebook with its solutions back is the one the instructor's edition executed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import with_solutions

from litmarp import editions
from litmarp.execute import executed_lesson
from litmarp.source import find_lessons

LESSONS = [lesson for lesson in find_lessons() if not lesson.plain]
WITH_EXERCISES = [lesson for lesson in LESSONS if editions.exercises(jupytext.read(lesson.source))]


def _answer_lines(lesson) -> list[str]:
    """The lines of the lesson's solutions that its exercises do not show (what a learner must find)."""
    nb = jupytext.read(lesson.source)
    lines = []
    for e, s in editions.exercises(nb):
        task = set(nb.cells[e].source.splitlines())
        lines += [line.strip() for line in nb.cells[s].source.splitlines()
                  if line not in task and len(line.strip()) > 8 and not line.lstrip().startswith("# ")]
    return lines


def test_the_workshop_has_its_exercises() -> None:
    names = {lesson.name for lesson in WITH_EXERCISES}
    assert {"02-program", "03-slurm", "04-results"} <= names
    assert len([p for lesson in WITH_EXERCISES for p in editions.exercises(jupytext.read(lesson.source))]) >= 4


def test_an_exercise_needs_its_solution_right_after_it() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = ____", metadata={"tags": ["exercise"]}),
                                         nbformat.v4.new_code_cell("print(1)")])
    with pytest.raises(editions.ExerciseError, match="the exercise cell starting 'x = ____' has no solution") as err:
        editions.exercises(nb)
    assert 'tags=["solution"]' in err.value.hint
    nb.cells[0].metadata["tags"] = ["solution"]
    with pytest.raises(editions.ExerciseError, match="the solution cell starting 'x = ____' follows no exercise"):
        editions.exercises(nb)


@pytest.mark.parametrize("lesson", WITH_EXERCISES, ids=lambda lesson: lesson.name)
def test_each_edition_shows_its_side_and_marks_the_pause(lesson) -> None:
    source = jupytext.read(lesson.source)
    learner, instructor = editions.edition(source, "learner"), editions.edition(source, "instructor")
    text = {name: "\n".join(c.source for c in nb.cells) for name, nb in (("l", learner), ("i", instructor))}
    for line in _answer_lines(lesson):
        assert line not in text["l"], line
        assert line in text["i"], line
    assert "<!-- _class: exercise -->" in text["l"] and "<!-- _class: exercise -->" in text["i"]
    assert re.search(r"演習: ここで \d+ 分とめて", text["i"]) and "演習: ここで" not in text["l"]
    # The notes of an exercise slide explain its solution: not in the learner's edition.
    for e, _ in editions.exercises(source):
        slide = editions._slide_of(learner.cells, next(i for i, c in enumerate(learner.cells)
                                                       if c.source == source.cells[e].source))
        notes = [n for j in slide if learner.cells[j].cell_type == "markdown"
                 for n in re.findall(r"<!--(.*?)-->", learner.cells[j].source, re.S)]
        assert all(re.match(r"\s*_?\w+\s*:", n) for n in notes), notes
    # Filled in, the learner's notebook is what the instructor's edition executes (exercises never run).
    back = with_solutions(learner, source)
    assert [c.source for c in back.cells if c.cell_type == "code"] == \
        [c.source for c in source.cells if c.cell_type == "code"]


@pytest.mark.parametrize("lesson", WITH_EXERCISES, ids=lambda lesson: lesson.name)
def test_no_learner_file_holds_a_solution(lesson, built_decks: Path, tmp_path: Path) -> None:
    instructor = (built_decks / f"{lesson.name}.md").read_text(encoding="utf-8")
    # A solution line the deck shows elsewhere too (03's `--gpus tesla:1` is in train.sbatch) gives nothing away.
    answers = [line for line in _answer_lines(lesson) if instructor.count(line) == 1]
    assert answers
    notebook = editions.learner_notebooks([lesson], tmp_path)[0].path.read_text(encoding="utf-8")
    files = {"notebook": notebook}
    for suffix in (".learner.md", ".learner.html"):
        files[suffix] = (built_decks / f"{lesson.name}{suffix}").read_text(encoding="utf-8")
    for pdf in (f"{lesson.name}.learner.pdf", f"{lesson.name}.handout.pdf"):
        files[pdf] = subprocess.run(["pdftotext", "-layout", str(built_decks / pdf), "-"], capture_output=True,
                                    text=True, check=True).stdout
    html = files.pop(".learner.html")
    files[".learner.html"] = re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")
    for name, text in files.items():
        for line in answers:
            assert line not in text, f"{lesson.name}: the learner's {name} shows the solution line {line!r}"
    assert all(line in instructor for line in answers)


@pytest.mark.parametrize("lesson", WITH_EXERCISES, ids=lambda lesson: lesson.name)
def test_the_learners_notebook_with_its_solutions_runs_as_the_instructors(lesson, built_decks: Path,
                                                                         tmp_path: Path) -> None:
    """Executed through the same cache: the same code and inputs give the instructor's outputs."""
    source = jupytext.read(lesson.source)
    back = tmp_path / "slides" / f"{lesson.name}.md"
    back.parent.mkdir()
    jupytext.write(with_solutions(editions.edition(source, "learner"), source), back, fmt="md")
    copy = next(x for x in find_lessons([str(back)]))
    ran, run = executed_lesson(copy, site="ci", out_dir=tmp_path / "out")
    mine = nbformat.read(built_decks / "executed" / f"{lesson.name}.ipynb", as_version=4)

    def outputs(nb) -> list[str]:
        texts = [str(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code"
                 and "injected-parameters" not in c.metadata.get("tags", [])]
        return [re.sub(r"\b\d{2}:\d{2}(:\d{2})?\b|job \d+|job-\d+|JOB=\d+", "#", t) for t in texts]

    assert outputs(nbformat.read(ran, as_version=4)) == outputs(mine)
    assert run is not None


def test_the_handout_holds_every_slides_notes_and_the_index_every_edition(built_decks: Path) -> None:
    for lesson in LESSONS:
        handout = subprocess.run(["pdftotext", str(built_decks / f"{lesson.name}.handout.pdf"), "-"],
                                 capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", handout)
        notes = (built_decks / f"{lesson.name}.learner.notes.txt").read_text(encoding="utf-8")
        for block in notes.split("\n---\n"):
            first = re.sub(r"\s+", "", block.strip().split("\n")[0]) if block.strip() else ""
            assert first[:30] in flat, f"{lesson.name}: the handout lacks the note {block.strip()[:60]!r}"
        if lesson in WITH_EXERCISES:
            assert "演習1" in flat
    index = (built_decks / "index.html").read_text(encoding="utf-8")
    for lesson in LESSONS:
        for name in (f"{lesson.name}.html", f"{lesson.name}.learner.html", f"{lesson.name}.handout.pdf"):
            assert f"href='{name}'" in index, name
    assert re.search(r"site ci · \d{4}-\d\d-\d\d \d\d:\d\d UTC", index)
