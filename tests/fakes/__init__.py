"""Helpers for tests that drive the fake ``apptainer``/``singularity`` in this folder.

Plain functions, not fixtures (tests/conftest.py belongs to the lead): each test
module wraps them in the fixtures it needs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kit.sites import Site, load_site

FAKES = Path(__file__).resolve().parent


def use_runtimes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *names: str) -> Path:
    """Put only the named fake runtimes on PATH (none: no runtime at all); return the argv log.

    PATH keeps the folders of ``sh``, ``python3``, ``readlink`` and ``dirname`` (the shims
    need them) after the fakes, so a fake always wins over a real runtime.
    """
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        (bin_dir / name).symlink_to(FAKES / name)
    tools = {str(Path(shutil.which(t) or "/usr/bin/" + t).parent) for t in ("python3", "readlink", "dirname")}
    if names:
        path = os.pathsep.join([str(bin_dir), *sorted(tools)])
    else:
        path = str(bin_dir)  # nothing at all: the kit must not need PATH on the host runtime
    monkeypatch.setenv("PATH", path)
    log = tmp_path / "runtime-calls.jsonl"
    monkeypatch.setenv("FAKE_CONTAINER_LOG", str(log))
    for var in ("FAKE_CONTAINER_FAIL", "FAKE_CONTAINER_VERSION", "FAKE_CONTAINER_PYTHON"):
        monkeypatch.delenv(var, raising=False)
    return log


def calls(log: Path) -> list[list[str]]:
    """The argv of every fake runtime call, in order."""
    if not log.exists():
        return []
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()]


def call_dirs(log: Path) -> list[str]:
    """The working directory of every fake runtime call."""
    return [json.loads(line)["cwd"] for line in log.read_text().splitlines()] if log.exists() else []


def make_site(tmp_path: Path, name: str = "default", **container: Any) -> Site:
    """A site whose work and sif directories live under ``tmp_path`` (container keys override)."""
    overrides = {
        "work_dir": str(tmp_path / "work"),
        "container": {"sif_dir": str(tmp_path / "sif"), **container},
    }
    return load_site(name, overrides=overrides)
