"""Command cells (litmarp.shell): one terminal per lesson, commands echoed as typed, nothing faked."""

from __future__ import annotations

import io
import time
from pathlib import Path

import jupytext
import pytest
from conftest import LESSON_HEADER

from kit.errors import ContainerError
from kit.sites import load_site
from kit.terminal import why_not_here
from litmarp import pasted, shell
from litmarp.decks import write_deck
from litmarp.errors import CellError
from litmarp.execute import executed_lesson
from litmarp.render import NOT_RUN_FENCE, TERMINAL_FENCE
from litmarp.source import find_lessons


def test_commands_are_split_as_bash_reads_them() -> None:
    text = "echo a\n\n# a note\nfor i in 1 2; do\n  echo $i\ndone\ncat <<EOF\nx\nEOF\necho b \\\n  c\nJOB=3"
    assert shell.split_commands(text) == [
        "echo a", "# a note", "for i in 1 2; do\n  echo $i\ndone", "cat <<EOF\nx\nEOF", "echo b \\\n  c", "JOB=3",
    ]


def test_a_command_is_echoed_as_a_terminal_shows_it() -> None:
    assert shell.echo_lines("sbatch train.sbatch") == "$ sbatch train.sbatch"
    assert shell.echo_lines("python3 -c \\\n  'print(1)'") == "$ python3 -c \\\n>   'print(1)'"
    assert shell.command_words("JOB=3 sbatch --wait hello.sbatch  # go") == ["sbatch", "--wait", "hello.sbatch"]


def _run(session: shell.Session, text: str) -> str:
    out = io.StringIO()
    session.run_cell(text, out)
    return out.getvalue()


def test_the_session_is_one_terminal_variables_and_folder_carry_over(tmp_path: Path) -> None:
    session = shell.Session(cwd=tmp_path, captures={"JOB": r"^Submitted batch job (\d+)$"})
    try:
        first = _run(session, "mkdir -p sub\ncd sub\necho 'Submitted batch job 41'\nprintf 'no newline'\n"
                              "echo err >&2; echo out")
        second = _run(session, "echo job $JOB in $(basename $PWD)\ncat")  # cat reads nothing: no hang
    finally:
        session.close()
    assert first == ("$ mkdir -p sub\n$ cd sub\n$ echo 'Submitted batch job 41'\nSubmitted batch job 41\n$ JOB=41\n"
                     "$ printf 'no newline'\nno newline\n$ echo err >&2; echo out\nerr\nout\n")
    assert second == "$ echo job $JOB in $(basename $PWD)\njob 41 in sub\n$ cat\n"


def test_a_failing_command_stops_the_cell_and_is_named_with_what_it_means(tmp_path: Path) -> None:
    session = shell.Session(cwd=tmp_path, explain=lambda words, output: "disk full" if "space" in output else None)
    out = io.StringIO()
    with pytest.raises(shell.CommandFailed, match=r"`sh -c 'echo no space; exit 3'` exited with status 3: disk full"):
        session.run_cell("sh -c 'echo no space; exit 3'\necho never", out)
    session.close()
    assert "never" not in out.getvalue().replace("echo never", "")
    assert shell.CommandFailed("x")._render_traceback_() == ["CommandFailed: x"]  # no Python traceback in Jupyter


def test_a_command_past_its_time_limit_is_killed_with_what_it_started(tmp_path: Path) -> None:
    session = shell.Session(cwd=tmp_path, timeout=1.5)
    started = time.monotonic()
    with pytest.raises(shell.CommandTimeout, match="time limit of 2 s"):
        session.run_cell("sleep 60 & sleep 60", io.StringIO())
    assert time.monotonic() - started < 10
    assert _run(session, "echo back") == "$ echo back\nback\n"  # a new shell for the next command
    session.close()


def test_a_command_that_cannot_run_here_is_labelled_with_the_rest_of_its_cell(tmp_path: Path) -> None:
    session = shell.Session(cwd=tmp_path, not_run_label="not here",
                            check=lambda words: "no runtime" if words[:1] == ["singularity"] else None)
    shown: list[dict] = []
    out = io.StringIO()
    session.run_cell("echo before\nsingularity pull docker://x/y:1\ndu -h y_1.sif", out, shown.append)
    session.close()
    assert out.getvalue() == "$ echo before\nbefore\n"
    assert [d[shell.NOT_RUN_MIME] for d in shown] == [
        {"label": "not here: no runtime", "command": "singularity pull docker://x/y:1"},
        {"label": "not here: no runtime", "command": "du -h y_1.sif"},
    ]


def test_the_sites_say_why_a_command_cannot_run(tmp_path: Path, fakes, monkeypatch) -> None:
    host = load_site("ci", overrides={"work_dir": str(tmp_path), "slurm": {"executor": "local"}})
    assert why_not_here(host, ["singularity", "pull", "docker://a/b:1"]).startswith("コンテナランタイムなし")
    assert why_not_here(host, ["sbatch", "train.sbatch"]) == "Slurm なし"
    assert why_not_here(host, ["cat", "train.sbatch"]) is None
    fakes.use("singularity")
    site = fakes.site(runtime="singularity")
    monkeypatch.chdir(tmp_path)
    assert why_not_here(site, ["singularity", "pull", "docker://a/b:1"]) is None
    (tmp_path / "b_1.sif").write_text("image")
    already = why_not_here(site, ["singularity", "pull", "docker://a/b:1"])
    assert already == "b_1.sif は pull 済み（もう一度なら --force）"
    monkeypatch.setenv("PATH", str(tmp_path))  # declared, and not on PATH: the kit's error, never "not run"
    with pytest.raises(ContainerError, match="singularity is not on PATH"):
        why_not_here(site, ["singularity", "--version"])


def test_a_command_on_a_job_that_was_never_submitted_is_not_run(tmp_path: Path) -> None:
    """On a laptop without Slurm, `sbatch` is not run, so `$JOB` is empty: what uses it is not run either."""
    from kit import terminal

    site = load_site("ci", overrides={"work_dir": str(tmp_path), "slurm": {"executor": "local"}})
    terminal.open_terminal(site)
    try:
        shown: list[dict] = []
        out = io.StringIO()
        shell.session().run_cell("sbatch train.sbatch", out, shown.append)
        shell.session().run_cell("tail -n 5 logs/bart-finetune-$JOB.log\necho after", out, shown.append)
        assert [d[shell.NOT_RUN_MIME]["command"] for d in shown] == [
            "sbatch train.sbatch", "tail -n 5 logs/bart-finetune-$JOB.log", "echo after"]
        assert "$JOB が空" in shown[1][shell.NOT_RUN_MIME]["label"]
        terminal.assign("JOB", "41")
        assert why_not_here(site, ["tail", "logs/bart-finetune-$JOB.log"]) is None
    finally:
        shell.session().close()


def test_a_lesson_with_a_failing_command_names_lesson_slide_and_command(tmp_path: Path, make_lesson) -> None:
    make_lesson("98-shell", ("## 壊れたコマンド\n\n```bash\necho fine\nls no-such-file\necho never\n```", None))
    lesson = find_lessons(["98-shell"], slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks")[0]
    with pytest.raises(CellError) as err:
        executed_lesson(lesson, site="ci", out_dir=tmp_path / "out", cache_path=tmp_path / "cache")[0]
    text = str(err.value)
    assert "98-shell" in text and "壊れたコマンド" in text
    assert "CommandFailed: `ls no-such-file` exited with status 2" in text


def test_a_lesson_renders_commands_as_a_terminal(tmp_path: Path, make_lesson) -> None:
    make_lesson("97-shell", ("## 端末", "from litmarp import shell\nshell.configure(cwd='.')"),
                ("## コマンド\n\n```bash\necho hello\n```", None))
    lesson = find_lessons(["97-shell"], slides_dir=tmp_path / "slides", notebooks_dir=tmp_path / "notebooks")[0]
    # Not executed: the commands as typed, no output.
    assert f"```{TERMINAL_FENCE}\n$ echo hello\n```" in write_deck(lesson, out_dir=tmp_path / "plain").read_text()
    executed = executed_lesson(lesson, site="ci", out_dir=tmp_path / "out", cache_path=tmp_path / "cache")[0]
    deck = write_deck(lesson, out_dir=tmp_path / "deck", executed=executed).read_text()
    assert f"```{TERMINAL_FENCE}\n$ echo hello\nhello\n```" in deck
    assert "%%bash" not in deck and NOT_RUN_FENCE not in deck


LESSON = LESSON_HEADER + """
## 投入

```text
$ sbatch train.sbatch
Submitted batch job 1234
```

```console
$ squeue -u $USER
```

```python
print("$ scancel", 5)
```
"""


def test_typed_transcripts_and_job_ids_are_found() -> None:
    found = pasted.problems(jupytext.reads(LESSON, fmt="md"))
    assert [line for line, _ in found] == ["$ sbatch train.sbatch", "Submitted batch job 1234",
                                           'print("$ scancel", 5)']
    assert "```bash cell" in found[0][1]


def test_the_shipped_lessons_show_nothing_typed() -> None:
    for lesson in find_lessons():
        assert pasted.check(lesson.source) == [], lesson.name
