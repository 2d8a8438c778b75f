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

Each lesson runs in a home of its own, brought to the lesson's start by ``kit catchup NN`` (the path of a
participant who arrived late or whose job failed): so every catch-up point is shown to work, and each
lesson is shown to need nothing but what catch-up places. The whole day in one folder, lesson after
lesson, is what the ci decks run (tests/test_decks.py, build/work/ci).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.sites import PROJECT_ROOT
from litmarp.source import find_lessons

ROOT = PROJECT_ROOT / "build" / "rehearsal"  # build output only
LESSONS = [lesson.name for lesson in find_lessons()]
FAKES = PROJECT_ROOT / "tests" / "fakes"


def home(lesson: str) -> Path:
    """The participant's home on the cluster for one lesson (its ``~/workshop2024`` is the work folder)."""
    return ROOT / f"home-{lesson.split('-')[0]}"


def work(lesson: str) -> Path:
    return home(lesson) / "workshop2024"  # sites/rehearsal.toml's ~/workshop2024


@pytest.fixture(scope="module")
def rehearsal(slurm_cluster: None) -> tuple[Path, dict[str, list[dict]]]:
    """Each lesson executed (never from the cache) and rendered for the rehearsal site in a fresh home after
    ``kit catchup``; the fake runtime's calls, by lesson."""
    shutil.rmtree(ROOT, ignore_errors=True)
    calls: dict[str, list[dict]] = {}
    for name in LESSONS:
        home(name).mkdir(parents=True)
        log = ROOT / f"runtime-calls-{name}.jsonl"
        env = {**os.environ, "PATH": os.pathsep.join([str(FAKES), os.environ["PATH"]]), "HOME": str(home(name)),
               # matplotlib's font cache stays where it is (building it again in the new home takes seconds)
               "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.config/matplotlib"),
               "FAKE_CONTAINER_PYTHON": sys.executable, "FAKE_CONTAINER_LOG": str(log)}
        env.pop("KIT_SITE", None)
        caught = subprocess.run([sys.executable, "-m", "kit", "catchup", name.split("-")[0], "--site", "rehearsal"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert caught.returncode == 0, (caught.stdout + caught.stderr)[-4000:]
        assert "is ready for lesson" in caught.stdout or "nothing to place" in caught.stdout, caught.stdout
        log.unlink(missing_ok=True)  # the lesson's own calls (catch-up's pull and build are the kit's)
        proc = subprocess.run([sys.executable, "-m", "litmarp", "slides", name, "--site", "rehearsal", "--refresh",
                               "--out", str(ROOT / "decks"), "--fit", "fail"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        calls[name] = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] \
            if log.exists() else []
    return ROOT / "decks", calls


@pytest.mark.slurm
@pytest.mark.decks
def test_every_lesson_runs_and_renders_for_the_real_sites_settings(rehearsal) -> None:
    decks, _ = rehearsal
    assert len(LESSONS) == len(find_lessons()) == 6
    for name in LESSONS:
        for deck in (name, f"{name}.learner"):
            assert (decks / f"{deck}.html").is_file(), deck
            text = (decks / f"{deck}.md").read_text(encoding="utf-8")
            assert "Traceback" not in text, deck
            # Never the local stand-in: every job went through Slurm.
            assert "local-" not in text, deck
            assert str(home(name)) not in text, deck  # written ~, as the participant's own home would be
            assert str(PROJECT_ROOT) not in text, deck  # nor the presenter's checkout (a fake runtime's path, say)
            assert str(home(name).relative_to(PROJECT_ROOT)) not in text, deck  # ~ wins over the project's form


@pytest.mark.slurm
@pytest.mark.decks
def test_the_container_commands_are_the_workshops(rehearsal) -> None:
    _, by_lesson = rehearsal
    calls = by_lesson["01-container"] + by_lesson["03-slurm"]
    here = work("01-container")
    verbs = [(c["argv"][1], c) for c in calls if c["argv"][1:2] != ["--version"]]
    pull = next(c for verb, c in verbs if verb == "pull")
    assert pull["argv"][-1] == "docker://huggingface/transformers-pytorch-gpu:4.35.2"
    build = next(c for verb, c in verbs if verb == "build")
    # Built where the image was pulled, so env.def's relative `From:` finds it (as singularity resolves it).
    assert build["argv"][:3] == ["singularity", "build", "--fakeroot"] and Path(build["cwd"]) == here
    # The workshop's own line: the participant's env.def in ~/workshop2024 (kept if they edit it).
    assert build["argv"] == ["singularity", "build", "--fakeroot", "env.sif", "env.def"]
    assert (here / "env.def").read_text() == (PROJECT_ROOT / "container" / "env.def").read_text()
    assert "Bootstrap: localimage" in (here / "env.sif").read_text(encoding="utf-8")
    execs = [c for verb, c in verbs if verb == "exec"]
    imports = [c for c in execs if c["argv"][4:6] == ["python3", "-c"]]  # lesson 01's import check
    assert imports and imports[0]["argv"][2:4] == ["--nv", "env.sif"] and Path(imports[0]["cwd"]) == here
    job = [c for c in execs if "bart_finetuning.py" in c["argv"]]
    assert job and job[0]["argv"][:6] == ["singularity", "exec", "--nv", "env.sif", "python3", "bart_finetuning.py"]
    assert Path(job[0]["cwd"]) == work("03-slurm")  # the job, in the folder of the lesson that submitted it


@pytest.mark.slurm
@pytest.mark.decks
def test_the_job_script_and_its_results_are_the_sites(rehearsal) -> None:
    decks, _ = rehearsal
    script = (work("03-slurm") / "train.sbatch").read_text(encoding="utf-8")
    assert "#SBATCH --gpus tesla:1" in script
    assert "\nexec singularity exec --nv env.sif python3 bart_finetuning.py" in script
    runs = sorted((work("03-slurm") / "runs").glob("job-*/metrics.json"))
    assert runs, "the Slurm job left no finished run"
    slurm_deck = (decks / "03-slurm.md").read_text(encoding="utf-8")
    assert "`exec singularity exec --nv env.sif`" in slurm_deck  # the meaning table, from this site
    assert "COMPLETED" in slurm_deck and "CANCELLED" in slurm_deck
    container_deck = (decks / "01-container.md").read_text(encoding="utf-8")
    assert "$ singularity build --fakeroot env.sif env.def\nINFO:    Starting build..." in container_deck
    assert "not-run" not in container_deck  # the rehearsed site has its runtime: every step ran
    results = (decks / "04-results.md").read_text(encoding="utf-8")
    caught_up = sorted((work("04-results") / "runs").glob("*/metrics.json"))
    assert caught_up and caught_up[-1].parent.name in results  # lesson 04 read the run catch-up placed


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
    count = 0
    for name in LESSONS:
        shown = _shown_commands((decks / f"{name}.md").read_text(encoding="utf-8"), "singularity")
        ran = iter(c["argv"] for c in calls[name] if Path(c["cwd"]) == work(name))
        # Each command shown ran, in the slides' order (between them: the kit's version checks, the job's run).
        missing = [argv for argv in shown if not any(argv == call for call in ran)]
        assert not missing, f"{name}: shown on the slides but never run (or not in this order): {missing}"
        count += len(shown)
    assert count >= 5  # --version, pull, build, two imports
