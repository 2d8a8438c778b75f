"""kit.slurm's pure script functions: rendering (golden files), writing, reading directives back.

The workshop's train.sbatch (kit.job) is tested in test_training_job.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import slurm
from kit.cli import main
from kit.errors import ConfigError

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text()


def test_hello_script_matches_the_workshop_exactly() -> None:
    assert slurm.render_script(slurm.hello_spec()) == golden("hello.sbatch")


def test_hello_body_is_a_parameter() -> None:
    text = slurm.render_script(slurm.hello_spec(body=["hostname", "python -m kit sites"]))
    assert text == "#!/bin/bash\n#SBATCH --output ./%x-%j.log\nhostname\npython -m kit sites\n"


def test_every_value_is_shell_quoted() -> None:
    spec = slurm.JobSpec(
        job_name="my job; rm -rf ~", output="out dir/%x-%j.log", partition="gpu", cpus_per_task=4, mem="8G",
        extra=["--exclusive", "--constraint=a100|h100", "--comment two words"],
        body=["python3 -c 'print(\"$HOME stays literal\")'"],
    )
    text = slurm.render_script(spec)
    assert text == golden("quoting.sbatch")
    # Read back, the values are exactly what was asked for.
    options = slurm.parse_directives(text)
    assert options["--job-name"] == "my job; rm -rf ~"
    assert options["--output"] == "out dir/%x-%j.log"
    assert options["--constraint"] == "a100|h100"
    assert options["--exclusive"] == ""


@pytest.mark.parametrize("bad", [
    slurm.JobSpec(job_name="two\nlines"),
    slurm.JobSpec(extra=["exclusive"]),
])
def test_bad_values_are_refused_with_the_option_named(bad: slurm.JobSpec) -> None:
    with pytest.raises(ConfigError) as err:
        slurm.render_script(bad)
    assert "--job-name" in str(err.value) or "exclusive" in str(err.value)
    assert err.value.hint


def test_write_script_creates_then_keeps_identical_file(tmp_path: Path) -> None:
    path = tmp_path / "jobs" / "hello.sbatch"
    spec = slurm.hello_spec()
    assert slurm.write_script(spec, path) == path
    assert path.read_text() == golden("hello.sbatch")
    mtime = path.stat().st_mtime_ns
    slurm.write_script(spec, path)  # same text: nothing to do, no error
    assert path.stat().st_mtime_ns == mtime


def test_write_script_refuses_to_overwrite_a_users_file(tmp_path: Path) -> None:
    path = tmp_path / "train.sbatch"
    path.write_text("#!/bin/bash\n# my own edits\n")
    with pytest.raises(ConfigError) as err:
        slurm.write_script(slurm.hello_spec(), path)
    assert str(path) in str(err.value) and "force" in err.value.hint
    assert "# my own edits" in err.value.details  # the diff shows what would be lost
    assert path.read_text() == "#!/bin/bash\n# my own edits\n"
    slurm.write_script(slurm.hello_spec(), path, force=True)
    assert path.read_text() == golden("hello.sbatch")


def test_parse_directives_reads_sbatch_forms() -> None:
    text = "\n".join([
        "#!/bin/bash",
        "#SBATCH -J short",
        "#SBATCH --output=logs/%x-%j.log",
        "#SBATCH -e err.txt",
        "# an ordinary comment",
        "",
        "#SBATCH --time 1  # trailing comment",
        "#SBATCH --gpus=tesla:1 --nodes 1",
        "echo start",
        "#SBATCH --job-name ignored-after-the-first-command",
    ])
    assert slurm.parse_directives(text) == {
        "--job-name": "short", "--output": "logs/%x-%j.log", "--error": "err.txt", "--time": "1",
        "--gpus": "tesla:1", "--nodes": "1",
    }


def test_expand_pattern() -> None:
    assert slurm.expand_pattern("logs/%x-%j.log", job_id="42", job_name="bart") == "logs/bart-42.log"
    assert slurm.expand_pattern("%A_%5j_%u_%%_%N", job_id="42", job_name="n", user="alice") == "42_00042_alice_%_%N"


@pytest.mark.parametrize(("text", "seconds"), [
    ("1", 60), ("0:10", 10), ("24:00:00", 86400), ("1-0", 86400), ("1-02:03", 93780), ("2-00:00:05", 172805),
    ("UNLIMITED", None), ("", None),
])
def test_parse_time_limit(text: str, seconds: int | None) -> None:
    assert slurm.parse_time_limit(text) == seconds


def test_parse_time_limit_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="'one hour'"):
        slurm.parse_time_limit("one hour")


def test_cli_script_passes_program_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slurm", "script", "train", "--site", "ie-ryukyu", "--args", "--max-minutes", "5"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("bart_finetuning.py --max-minutes 5")
    assert main(["slurm", "script", "hello", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is a folder" in err and "What to do: name a file inside it" in err
