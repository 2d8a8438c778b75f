"""Shared fixtures and markers, the one place every test file takes them from.

Markers (registered in pyproject.toml), so ``make test-fast`` (``-m "not slurm and
not decks and not slow"``) runs only the unit tests:

* ``slurm``: needs the one-node Slurm; given automatically to every test that uses
  the ``slurm_cluster`` fixture.
* ``decks``: executes lessons or renders decks; given automatically to every test
  that uses ``built_decks``.
* ``slow``: takes more than a few seconds.

Fixtures: ``built_decks`` (every lesson executed and rendered once), ``make_lesson`` (a tiny
lesson), ``plain_deck`` (a Marp deck written for plain marp-cli), ``slurm_cluster``
(a Slurm that answers), ``local_jobs_dir`` (the local executor's records kept in a
temporary folder), ``executor_site`` (the ci site for the test's ``executor``
parameter), ``fakes`` (the fake apptainer/singularity of ``tests/fakes`` on PATH, and
site profiles under ``tmp_path``).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kit import slurm
from kit.sites import PROJECT_ROOT, Site, load_site

FAKES = Path(__file__).resolve().parent / "fakes"
SLURM_UP = PROJECT_ROOT / "scripts" / "slurm-up.sh"


#: Fixtures that execute something slow: every test using one is marked with the marker.
FIXTURE_MARKERS = {"slurm_cluster": "slurm", "built_decks": "decks", "overfit": "slow"}


# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAaJPXQAAAABJRU5ErkJggg==")

LESSON_HEADER = """---
marp: true
theme: basic1
paginate: true
lang: ja
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
      format_version: '1.3'
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
---
"""

PLAIN_DECK = """---
marp: true
theme: gaia
paginate: true
header: 'A talk written for plain marp-cli'
---

<!-- _class: lead -->
# A talk

Written for marp-cli, no jupytext header.

<!-- The speaker says hello first. -->

---

## Commands

```bash
echo "shown, never run"
```

![w:120](img/pixel.png)

---
<!-- _backgroundColor: #eef -->
## A directive and a note

- one
- two

<!-- Note on the third slide. -->

---

## Code in a plain deck

```python
print("a plain deck is not executed")
```
"""


#: Scheduling for ``make test`` (``pytest -n 3 --dist loadfile --no-loadscope-reorder``): each file runs
#: on one worker (its module fixtures are built once), the two deck files together (they share the
#: executed ci decks), and the longest groups are handed out first, so no worker starts a long one near
#: the end. Seconds in a fresh clone's ``make check`` on 2 cores (2026-12-06, 617 tests, 423 s of pytest):
#: decks ~175 to build (every lesson executed, both editions, handouts), rehearsal ~195 to build (six
#: homes, each after ``kit catchup``), drills ~95 rows in two units (the program's rows fork from one Python
#: that imported torch once, tests/warm.py), slurm_jobs ~75 (a time limit), training_job ~70,
#: engine_alone ~45, results_run ~30; the rest is short.
GROUPS = {"test_decks": "decks", "test_fit": "decks", "test_editions": "decks"}
LONGEST_FIRST = ["decks", "test_rehearsal", "test_drills-program", "test_drills-kit", "test_program",
                 "test_training_job", "test_cache", "test_slurm_jobs", "test_engine_alone", "test_results_run"]


def _group(path: str) -> str:
    stem = Path(path).stem
    return GROUPS.get(stem, stem)


def _unit(nodeid: str) -> str:
    """The scheduler's work unit of a test: its group, except that the drills are two units (the program's
    rows start torch and transformers, about 10 s each; the others take seconds), so two workers share them."""
    group = _group(nodeid.split("::", 1)[0])
    if group == "test_drills":
        return group + ("-program" if "[program-" in nodeid else "-kit")
    return group


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the fixtures they use (``slurm_cluster`` -> slurm, ``built_decks`` -> decks,
    ``overfit`` -> slow: the program's training runs); put the longest groups first."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in names:
                item.add_marker(getattr(pytest.mark, marker))
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_unit(item.nodeid), len(rank)))  # stable: file order otherwise


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadfile``: one work unit per file, except the groups above. (Not xdist's loadgroup:
    its ``xdist_group`` marks do not reach the scheduler under pytest 9.)"""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class GroupScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return GroupScheduling(config, log)


# --- decks ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_decks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding <lesson>.md/.html/.pdf for every lesson, executed in the ci profile.

    `make test` sets KIT_CHECK_BUILD=build/check: every lesson is executed (through the execution
    cache: unchanged lessons are not run again) and rendered there, by the first test that needs
    the decks, while the other workers run the rest of the suite (`make lessons-ci` is the same
    build on its own). Otherwise the lessons are executed and rendered into a temporary folder.
    """
    import fcntl

    from litmarp.decks import build_decks

    given = os.environ.get("KIT_CHECK_BUILD")
    if not given:
        folder = tmp_path_factory.mktemp("decks")
        build_decks(site="ci", out_dir=folder, pdf=True)
        return folder
    folder = Path(given)
    folder.mkdir(parents=True, exist_ok=True)
    # One build at a time: a second worker (another --dist mode) waits, then renders from the cache.
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_decks(site="ci", out_dir=folder, pdf=True)
    return folder


# --- Slurm ------------------------------------------------------------------------


def sinfo_ok() -> bool:
    """Whether a Slurm controller answers with a usable node."""
    if not shutil.which("sinfo"):
        return False
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=60)
    return res.returncode == 0 and any(s in res.stdout for s in ("idle", "mixed", "allocated", "completing"))


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    """A Slurm that answers: the one already running, or the dev cluster started by scripts/slurm-up.sh.

    Skips only where Slurm cannot exist: not root (cannot install or start it) and no sbatch.
    The cluster is shared (other sessions may use it), so it is never stopped here:
    `make slurm-down` stops it.
    """
    if sinfo_ok():
        return
    if os.geteuid() != 0 and not shutil.which("sbatch"):
        pytest.skip("Slurm cannot exist here: not root (cannot run scripts/slurm-up.sh) and no sbatch on PATH")
    res = subprocess.run(["bash", str(SLURM_UP)], capture_output=True, text=True, timeout=600)
    if res.returncode != 0 or not sinfo_ok():
        pytest.fail(f"scripts/slurm-up.sh could not start Slurm (exit {res.returncode}):\n{res.stdout}{res.stderr}")


@pytest.fixture(scope="module")
def local_jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the local executor's job records out of the user's home during tests."""
    folder = tmp_path_factory.mktemp("local-jobs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_LOCAL_JOBS", str(folder))
        yield folder


def site_for(executor: str, **slurm_overrides: object) -> Site:
    """The CI site profile with its executor forced to ``executor``."""
    return load_site("ci", overrides={"slurm": {"executor": executor, **slurm_overrides}})


@pytest.fixture
def executor_site(request: pytest.FixtureRequest, local_jobs_dir: Path) -> Site:
    """The CI site for the test's ``executor`` parameter; starts the cluster for ``slurm``."""
    executor = request.getfixturevalue("executor")
    if executor == "slurm":
        request.getfixturevalue("slurm_cluster")
    return site_for(executor)


def wait_for_state(job: slurm.Job, states: set[str], timeout: float = 60) -> slurm.JobStatus:
    """Poll until the job is in one of ``states`` (for tests that act on a running job)."""
    end = time.monotonic() + timeout
    while True:
        st = slurm.status(job)
        if st.state in states:
            return st
        if st.terminal or time.monotonic() > end:
            raise AssertionError(f"{job} reached {st} while waiting for {states}")
        time.sleep(0.1)


@pytest.fixture
def slurm_helpers() -> Any:
    """``site_for`` and ``wait_for_state`` for the job tests."""

    class Helpers:
        site_for = staticmethod(site_for)
        wait_for_state = staticmethod(wait_for_state)

    return Helpers


# --- fake container runtimes --------------------------------------------------------


class Fakes:
    """The fake ``apptainer``/``singularity`` (tests/fakes) on PATH, their call log, and sites in ``tmp_path``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path
        self.log = tmp_path / "runtime-calls.jsonl"

    def use(self, *names: str) -> Path:
        """Put only the named fake runtimes on PATH (none: no runtime at all); return the argv log.

        PATH keeps the folders of ``sh``, ``python3``, ``readlink`` and ``dirname`` (the shims
        need them) after the fakes, so a fake always wins over a real runtime.
        """
        bin_dir = self.tmp_path / "fakebin"
        bin_dir.mkdir(exist_ok=True)
        for name in names:
            (bin_dir / name).symlink_to(FAKES / name)
        tools = {str(Path(shutil.which(t) or "/usr/bin/" + t).parent) for t in ("python3", "readlink", "dirname")}
        # Nothing at all without names: the kit must not need PATH on the host runtime.
        path = os.pathsep.join([str(bin_dir), *sorted(tools)]) if names else str(bin_dir)
        self.monkeypatch.setenv("PATH", path)
        self.monkeypatch.setenv("FAKE_CONTAINER_LOG", str(self.log))
        for var in ("FAKE_CONTAINER_FAIL", "FAKE_CONTAINER_VERSION", "FAKE_CONTAINER_PYTHON"):
            self.monkeypatch.delenv(var, raising=False)
        return self.log

    def calls(self) -> list[list[str]]:
        """The argv of every fake runtime call, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line)["argv"] for line in self.log.read_text().splitlines()]

    def call_dirs(self) -> list[str]:
        """The working directory of every fake runtime call."""
        return [json.loads(line)["cwd"] for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def site(self, name: str = "ie-ryukyu", **container: Any) -> Site:
        """A site whose work and sif directories live under ``tmp_path`` (container keys override).

        Its runtime is ``auto`` unless given: these tests choose what is on PATH.
        """
        overrides = {
            "work_dir": str(self.tmp_path / "work"),
            "container": {"sif_dir": str(self.tmp_path / "sif"), "runtime": "auto", **container},
        }
        return load_site(name, overrides=overrides)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fakes:
    """:class:`Fakes` for this test (PATH and environment restored afterwards)."""
    return Fakes(monkeypatch, tmp_path)


# --- lessons and decks for the rendering tests ----------------------------------------


@pytest.fixture
def make_lesson(tmp_path: Path) -> Callable[..., Path]:
    """Write a tiny lesson ``<tmp>/slides/<name>.md``: a title slide with the parameters cell, then slides.

    Each slide is markdown text and optionally one code cell.
    """
    slides = tmp_path / "slides"
    slides.mkdir(exist_ok=True)
    (tmp_path / "notebooks").mkdir(exist_ok=True)

    def make(name: str, *slides_: tuple[str, str | None], front: str = "") -> Path:
        header = LESSON_HEADER.replace("jupyter:\n", f"jupyter:\n{front}") if front else LESSON_HEADER
        parts = [header, f"# {name}\n\n```python tags=[\"parameters\"]\nsite = \"local\"\n```"]
        for text, code in slides_:
            parts.append(f"---\n\n{text}" + (f"\n\n```python\n{code}\n```" if code else ""))
        path = slides / f"{name}.md"
        path.write_text(parts[0] + "\n" + "\n\n\n".join(parts[1:]) + "\n", encoding="utf-8")
        return path

    return make


@pytest.fixture
def plain_deck(tmp_path: Path) -> Path:
    """A Marp deck written for plain marp-cli (front matter, directives, notes, an image, `---` breaks)."""
    folder = tmp_path / "talk"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "pixel.png").write_bytes(PNG)
    deck = folder / "talk.md"
    deck.write_text(PLAIN_DECK, encoding="utf-8")
    return deck


# --- helpers the tests import (``from conftest import ...``) ----------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (free, and closed once the probe is)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def output_blocks(deck_markdown: str) -> Iterable[str]:
    """The text of every output block in a rendered deck."""
    from litmarp.render import OUTPUT_FENCE

    for match in re.finditer(r"^(`{3,})" + OUTPUT_FENCE + r"\n(.*?)\n\1$", deck_markdown, re.S | re.M):
        yield match.group(2)


def with_solutions(learner: Any, source: Any) -> Any:
    """A learner's notebook with the solutions put back, each after its exercise: what a participant who
    filled every blank runs. Exercises never run, so this is the notebook the instructor's edition executes
    (the check that no learner's notebook lost anything else)."""
    from litmarp.editions import EXERCISE, exercises
    from litmarp.render import cell_source

    solutions = {cell_source(source["cells"][e]): source["cells"][s] for e, s in exercises(source)}
    nb = copy.deepcopy(learner)
    cells = []
    for cell in nb["cells"]:
        cells.append(cell)
        if EXERCISE in cell.get("metadata", {}).get("tags", []):
            cells.append(copy.deepcopy(solutions[cell_source(cell)]))
    nb["cells"] = cells
    return nb
