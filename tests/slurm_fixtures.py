"""Fixtures for the kit.slurm tests: the real one-node cluster and site profiles per executor.

Fixtures are found by pytest in the module that imports them, so a test
module imports the ones it uses by name (not from tests/conftest.py, which the
lead owns).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import slurm
from kit.sites import PROJECT_ROOT, Site, load_site

__all__ = ["slurm_cluster", "local_jobs_dir", "executor_site", "site_for", "wait_for_state", "EXECUTORS"]

EXECUTORS = ["slurm", "local"]
SLURM_UP = PROJECT_ROOT / "scripts" / "slurm-up.sh"
SLURM_DOWN = PROJECT_ROOT / "scripts" / "slurm-down.sh"


def _sinfo_ok() -> bool:
    if not shutil.which("sinfo"):
        return False
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=60)
    return res.returncode == 0 and any(s in res.stdout for s in ("idle", "mixed", "allocated", "completing"))


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    """A Slurm that answers: the one already running, or the dev cluster started by scripts/slurm-up.sh.

    Skips only where Slurm cannot exist: not root (cannot install or start it) and no sbatch.
    A cluster this fixture started is stopped again at the end of the session.
    """
    if _sinfo_ok():
        yield
        return
    if os.geteuid() != 0 and not shutil.which("sbatch"):
        pytest.skip("Slurm cannot exist here: not root (cannot run scripts/slurm-up.sh) and no sbatch on PATH")
    res = subprocess.run(["bash", str(SLURM_UP)], capture_output=True, text=True, timeout=600)
    if res.returncode != 0 or not _sinfo_ok():
        pytest.fail(f"scripts/slurm-up.sh could not start Slurm (exit {res.returncode}):\n{res.stdout}{res.stderr}")
    yield
    subprocess.run(["bash", str(SLURM_DOWN)], capture_output=True, text=True, timeout=120)


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
    import time

    end = time.monotonic() + timeout
    while True:
        st = slurm.status(job)
        if st.state in states:
            return st
        if st.terminal or time.monotonic() > end:
            raise AssertionError(f"{job} reached {st} while waiting for {states}")
        time.sleep(0.1)

