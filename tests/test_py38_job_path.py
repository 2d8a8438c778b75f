"""The training job runs bart_finetuning.py inside the workshop image, whose Python is 3.8.

Inside huggingface/transformers-pytorch-gpu:4.35.2 (kit/versions.py) only the program and, where a
participant uses it, the local evaluate metric run; the kit never does. Both must compile on a real
Python 3.8 (where this machine has one; pyenv provides it here) and pass vermin's 3.8 check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.sites import PROJECT_ROOT

IN_THE_IMAGE = [PROJECT_ROOT / "bart_finetuning.py", PROJECT_ROOT / "metrics" / "sacrebleu_bleu" / "sacrebleu_bleu.py"]


def python38() -> str | None:
    """A working Python 3.8 (pyenv's shims exist even where the version is not selected)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in [*sorted(pyenv.glob("3.8.*/bin/python3.8")), shutil.which("python3.8")]:
        if candidate and subprocess.run([str(candidate), "-c", "import sys; assert sys.version_info[:2] == (3, 8)"],
                                        capture_output=True).returncode == 0:
            return str(candidate)
    return None


def test_files_run_in_the_image_need_at_most_python_38() -> None:
    vermin = Path(sys.executable).parent / "vermin"  # the package has no __main__
    proc = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", *map(str, IN_THE_IMAGE)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(python38() is None, reason="no Python 3.8 interpreter on this machine")
def test_python_38_compiles_the_program_and_the_metric(tmp_path: Path) -> None:
    py38 = python38()
    assert py38
    for path in IN_THE_IMAGE:
        proc = subprocess.run([py38, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
                               str(path)], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(python38() is None, reason="no Python 3.8 interpreter on this machine")
def test_kit_doctor_runs_on_a_login_nodes_python_38(tmp_path: Path) -> None:
    """Lesson 00's notes send participants to `python3 -m kit doctor` on the login node, whose python3 may be
    3.8 with no packages: with pip (its vendored tomli) it reports; without any TOML reader it says what to do."""
    py38 = python38()
    assert py38
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([py38, "-m", "kit", "doctor", "--site", "ie-ryukyu"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "site: ie-ryukyu" in proc.stdout and "container runtime" in proc.stdout, proc.stdout + proc.stderr
    bare = subprocess.run([py38, "-S", "-m", "kit", "doctor", "--site", "ie-ryukyu"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert bare.returncode != 0 and "Traceback" not in bare.stderr, bare.stderr
    assert "no TOML reader" in bare.stderr and "pip install --user tomli" in bare.stderr, bare.stderr
