"""The real cluster's path, rehearsed: every lesson executed with the ``rehearsal`` site.

``sites/rehearsal.toml`` has ie-ryukyu's settings (Singularity, Slurm, ``--gpus tesla:1``, the
workshop's localimage ``env.def``, ``exec singularity exec --nv env.sif ...`` in train.sbatch); here
it runs against the one-node Slurm and the fake ``singularity`` in tests/fakes (the one thing that
cannot exist on our machines), with HOME set to a throwaway folder: the work directory is
``~/workshop2024`` as on the cluster, and the slides show the paths a participant sees, whatever the
checkout's path. The fake logs every call, so the test checks the command lines the real site would
run, in the folders it would run them in.

Every lesson runs, 02 included: on a cluster site it trains the tiny model in the kernel (the login node
runs nothing heavy), in the participant's ``~/workshop2024``, and its slides must fit with those paths.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.lessons import find_lessons
from kit.sites import PROJECT_ROOT

ROOT = PROJECT_ROOT / "build" / "rehearsal"  # build output only
HOME = ROOT / "home"  # the participant's home on the cluster, for the rehearsal
WORK = HOME / "workshop2024"  # sites/rehearsal.toml's ~/workshop2024
LESSONS = [lesson.name for lesson in find_lessons()]
FAKES = PROJECT_ROOT / "tests" / "fakes"


@pytest.fixture(scope="module")
def rehearsal(slurm_cluster: None) -> tuple[Path, list[dict]]:
    """Execute (never from the cache) and render every lesson for the rehearsal site; the fake runtime's calls."""
    shutil.rmtree(ROOT, ignore_errors=True)
    HOME.mkdir(parents=True)
    calls = ROOT / "runtime-calls.jsonl"
    env = {**os.environ, "PATH": os.pathsep.join([str(FAKES), os.environ["PATH"]]), "HOME": str(HOME),
           # matplotlib's font cache stays where it is (building it again in the new home takes seconds)
           "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.config/matplotlib"),
           "FAKE_CONTAINER_PYTHON": sys.executable, "FAKE_CONTAINER_LOG": str(calls)}
    env.pop("KIT_SITE", None)
    proc = subprocess.run([sys.executable, "-m", "kit", "slides", *LESSONS, "--site", "rehearsal", "--refresh",
                           "--out", str(ROOT / "decks"), "--fit", "fail"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return ROOT / "decks", [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slurm
@pytest.mark.decks
def test_every_lesson_runs_and_renders_for_the_real_sites_settings(rehearsal) -> None:
    decks, _ = rehearsal
    assert len(LESSONS) == len(find_lessons()) == 6
    for name in LESSONS:
        assert (decks / f"{name}.html").is_file(), name
        text = (decks / f"{name}.md").read_text(encoding="utf-8")
        assert "Traceback" not in text, name
        # Never the local stand-in: every job went through Slurm.
        assert "local-" not in text, name
        assert str(HOME) not in text, name  # written ~, as the participant's own home would be
        assert str(PROJECT_ROOT) not in text, name  # nor the presenter's checkout (a fake runtime's path, say)
        assert str(HOME.relative_to(PROJECT_ROOT)) not in text, name  # ~ wins over the project-relative form


@pytest.mark.slurm
@pytest.mark.decks
def test_the_container_commands_are_the_workshops(rehearsal) -> None:
    _, calls = rehearsal
    work = WORK
    verbs = [(c["argv"][1], c) for c in calls if c["argv"][1:2] != ["--version"]]
    pull = next(c for verb, c in verbs if verb == "pull")
    assert pull["argv"][-1] == "docker://huggingface/transformers-pytorch-gpu:4.35.2"
    build = next(c for verb, c in verbs if verb == "build")
    # Built where the image was pulled, so env.def's relative `From:` finds it (as singularity resolves it).
    assert build["argv"][:3] == ["singularity", "build", "--fakeroot"] and Path(build["cwd"]) == work
    # The workshop's own line: the participant's env.def in ~/workshop2024 (kept if they edit it).
    assert build["argv"] == ["singularity", "build", "--fakeroot", "env.sif", "env.def"]
    assert (work / "env.def").read_text() == (PROJECT_ROOT / "container" / "env.def").read_text()
    assert "Bootstrap: localimage" in (work / "env.sif").read_text(encoding="utf-8")
    execs = [c for verb, c in verbs if verb == "exec"]
    imports = [c for c in execs if c["argv"][4:6] == ["python3", "-c"]]  # lesson 01's import check
    assert imports and imports[0]["argv"][2:4] == ["--nv", "env.sif"] and Path(imports[0]["cwd"]) == work
    job = [c for c in execs if "bart_finetuning.py" in c["argv"]]
    assert job and job[0]["argv"][:6] == ["singularity", "exec", "--nv", "env.sif", "python3", "bart_finetuning.py"]
    assert Path(job[0]["cwd"]) == work


@pytest.mark.slurm
@pytest.mark.decks
def test_the_job_script_and_its_results_are_the_sites(rehearsal) -> None:
    decks, _ = rehearsal
    script = (WORK / "train.sbatch").read_text(encoding="utf-8")
    assert "#SBATCH --gpus tesla:1" in script
    assert "\nexec singularity exec --nv env.sif python3 bart_finetuning.py" in script
    runs = sorted((WORK / "runs").glob("job-*/metrics.json"))
    assert runs, "the Slurm job left no finished run"
    slurm_deck = (decks / "03-slurm.md").read_text(encoding="utf-8")
    assert "`exec singularity exec --nv env.sif`" in slurm_deck  # the meaning table, from this site
    assert "COMPLETED" in slurm_deck and "CANCELLED" in slurm_deck
    container_deck = (decks / "01-container.md").read_text(encoding="utf-8")
    assert "$ singularity build --fakeroot env.sif env.def\nINFO:    Starting build..." in container_deck
    assert "not-run" not in container_deck  # the rehearsed site has its runtime: every step ran
    results = (decks / "04-results.md").read_text(encoding="utf-8")
    assert runs[-1].parent.name in results  # lesson 04 read the job's own run


def _shown_commands(deck: str, program: str) -> list[list[str]]:
    """The ``program`` commands a deck's terminal blocks show, as argv (continuation lines joined)."""
    import re
    import shlex

    commands = []
    for block in re.findall(r"^(`{3,})terminal\n(.*?)\n\1$", deck, re.S | re.M):
        lines = block[1].split("\n")
        for i, line in enumerate(lines):
            if line.startswith(f"$ {program} "):
                text = line[2:]
                for more in lines[i + 1:]:
                    if not (text.endswith("\\") and more.startswith("> ")):
                        break
                    text = text[:-1] + more[2:]
                commands.append(shlex.split(text))
    return commands


@pytest.mark.slurm
@pytest.mark.decks
def test_the_runtime_ran_each_command_the_slides_show_in_their_order(rehearsal) -> None:
    decks, calls = rehearsal
    shown = [argv for name in LESSONS for argv in _shown_commands((decks / f"{name}.md").read_text(encoding="utf-8"),
                                                                   "singularity")]
    ran = iter(c["argv"] for c in calls if Path(c["cwd"]) == WORK)
    assert len(shown) >= 5, shown  # --version, pull, build, two imports
    # Each command shown ran, in the slides' order (between them: the kit's own version checks, the job's run).
    missing = [argv for argv in shown if not any(argv == call for call in ran)]
    assert not missing, f"shown on the slides but never run (or not in this order): {missing}"
