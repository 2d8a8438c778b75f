"""The training job's modules run on the workshop image's Python 3.8.

`python3 -m kit train` runs inside huggingface/transformers-pytorch-gpu:4.35.2,
whose Python is 3.8 (kit/versions.py). Everything that command imports must
parse and import there: vermin checks the syntax and standard-library use, and
a real Python 3.8, where this machine has one, imports the modules and loads a
site profile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.sites import PROJECT_ROOT

JOB_MODULES = ["__init__", "__main__", "cli", "errors", "sites", "train", "data", "model", "bleu", "plot",
               "fonts", "proc", "runs"]


def test_job_modules_need_at_most_python_38() -> None:
    files = [str(PROJECT_ROOT / "kit" / f"{name}.py") for name in JOB_MODULES]
    vermin = Path(sys.executable).parent / "vermin"  # the package has no __main__
    proc = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", *files],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def python38() -> str | None:
    """A working Python 3.8 (pyenv's shims exist even where the version is not selected)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in [*sorted(pyenv.glob("3.8.*/bin/python3.8")), shutil.which("python3.8")]:
        if candidate and subprocess.run([str(candidate), "-c", "import sys; assert sys.version_info[:2] == (3, 8)"],
                                        capture_output=True).returncode == 0:
            return str(candidate)
    return None


@pytest.mark.skipif(python38() is None, reason="no Python 3.8 interpreter on this machine")
def test_python_38_imports_the_job_modules_and_parses_the_command_line(tmp_path: Path) -> None:
    py38 = python38()
    assert py38
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONNOUSERSITE": "1"}
    script = (
        "import kit.cli, kit.train, kit.data, kit.model, kit.bleu, kit.plot, kit.runs\n"
        "from kit.sites import load_site\n"
        "site = load_site('ie-ryukyu')\n"
        "config = kit.train.resolve_config(site=site)\n"
        "print(site.slurm.gpus, config.model, config.learning_rate, config.batch_size)\n"
    )
    proc = subprocess.run([py38, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["tesla:1", "facebook/bart-base", "5e-05", "16"]
    help_run = subprocess.run([py38, "-m", "kit", "train", "--help"], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
    assert help_run.returncode == 0, help_run.stderr
    assert "--max-minutes" in help_run.stdout
