"""What runs on Python 3.8: inside the workshop image, and `kit doctor` on a login node.

The kit runs with the project's .venv (Python 3.10 or newer: pyproject's requires-python) on a laptop,
a login node or CI. Inside huggingface/transformers-pytorch-gpu:4.35.2 (kit/versions.py), whose python3
is 3.8, run only bart_finetuning.py (the job's `python3 bart_finetuning.py`), the local evaluate metric
where a participant loads it, and the import probe of `kit container check` (a `python3 -c` script);
the kit itself is never imported there. They must compile on a real Python 3.8 (where this machine has
one; pyenv provides it here) and pass vermin's 3.8 check. The one kit command for an older python3 is
`python3 -m kit doctor` on a login node, which says what is missing there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.container.imports import IMPORT_SCRIPT
from kit.sites import PROJECT_ROOT

IN_THE_IMAGE = [PROJECT_ROOT / "bart_finetuning.py", PROJECT_ROOT / "metrics" / "sacrebleu_bleu" / "sacrebleu_bleu.py"]


def in_the_image(tmp_path: Path) -> list[Path]:
    """The files above and the import probe, written to a file."""
    probe = tmp_path / "import_probe.py"
    probe.write_text(IMPORT_SCRIPT, encoding="utf-8")
    return [*IN_THE_IMAGE, probe]


def python38() -> str | None:
    """A working Python 3.8 (pyenv's shims exist even where the version is not selected)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in [*sorted(pyenv.glob("3.8.*/bin/python3.8")), shutil.which("python3.8")]:
        if candidate and subprocess.run([str(candidate), "-c", "import sys; assert sys.version_info[:2] == (3, 8)"],
                                        capture_output=True).returncode == 0:
            return str(candidate)
    return None


def test_files_run_in_the_image_need_at_most_python_38(tmp_path: Path) -> None:
    vermin = Path(sys.executable).parent / "vermin"  # the package has no __main__
    proc = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", *map(str, in_the_image(tmp_path))],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(python38() is None, reason="no Python 3.8 interpreter on this machine")
def test_python_38_compiles_the_program_and_the_metric(tmp_path: Path) -> None:
    py38 = python38()
    assert py38
    for path in in_the_image(tmp_path):
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
