"""OS errors on paths the user gave become kit errors naming the path and the fix (kit.pathio), CLI included."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from kit.cli import main
from kit.errors import ConfigError, DiskSpaceError
from kit.pathio import make_dirs, path_error, user_path


def test_path_error_says_what_and_what_to_do(tmp_path: Path) -> None:
    denied = path_error(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x")), tmp_path / "x",
                        "write the chart")
    assert denied.message == f"cannot write the chart at {tmp_path / 'x'}: permission denied"
    assert f"ls -ld {tmp_path}" in denied.hint
    full = path_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x", "write the chart")
    assert isinstance(full, DiskSpaceError) and "storage du" in full.hint
    ro = path_error(OSError(errno.EROFS, "Read-only file system", "/ro/x"), "/ro/x", "delete")
    assert "read-only filesystem" in ro.message


def test_a_file_in_the_way_of_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as err:
        make_dirs(blocker / "sub", "create the job's log folder")
    assert str(blocker) in err.value.message and "is a file, not a folder" in err.value.message
    with pytest.raises(ConfigError, match="is a folder"), user_path(tmp_path, "write"):
        tmp_path.read_text()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_cli_paths_fail_with_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = run(capsys, "container", "def", "--out", str(folder))
    assert code == 2 and f"{folder} is a folder" in err and "What to do:" in err
    code, err = run(capsys, "container", "validate", str(folder), "--site", "ci")
    assert code == 2 and f"{folder} is a folder" in err
    code, err = run(capsys, "storage", "du", "--site", "ci", "--plot", str(blocker / "du.png"))
    assert code == 2 and f"{blocker} is a file, not a folder" in err
    code, err = run(capsys, "slurm", "script", "train", "--site", "ci", "-o", str(blocker / "train.sbatch"))
    assert code == 2 and "is a file, not a folder" in err


def test_submit_whose_log_folder_cannot_be_made(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                local_jobs_dir: Path) -> None:
    (tmp_path / "logs").write_text("a file where the log folder should be")
    script = tmp_path / "job.sbatch"
    script.write_text("#!/bin/bash\n#SBATCH --output logs/%x-%j.log\necho hi\n")
    code, err = run(capsys, "slurm", "submit", str(script), "--site", "local", "--cwd", str(tmp_path))
    assert code == 2 and "cannot create the job's log folder" in err and str(tmp_path / "logs") in err
