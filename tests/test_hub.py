"""kit.hub: a hub id on a machine that cannot reach the hub fails fast, naming the local options."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kit.errors import HubUnreachable
from kit.hub import hub_endpoint, hub_offline_requested, hub_reachable
from kit.sites import PROJECT_ROOT
from litmarp.proc import run

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens there: stands in for the unreachable hub


def test_hub_probe_and_offline_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT + "/")
    assert hub_endpoint() == CLOSED_PORT
    assert not hub_reachable(timeout=2)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "")
    assert not hub_offline_requested()
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "yes")
    assert hub_offline_requested()


def test_model_from_unreachable_hub_fails_fast_naming_local_options(tmp_path: Path) -> None:
    # An empty HF_HOME means nothing is cached; a subprocess, because going offline is process-wide.
    env = {"HF_ENDPOINT": CLOSED_PORT, "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(PROJECT_ROOT),
           "HF_HUB_OFFLINE": "", "HF_DATASETS_OFFLINE": "", "TRANSFORMERS_OFFLINE": ""}
    proc = run([sys.executable, "-m", "kit", "translate", "--model", "facebook/bart-base", "hello ."],
               check=False, env=env, timeout=300, cwd=PROJECT_ROOT)
    assert proc.returncode == HubUnreachable.exit_code, proc.stderr
    assert f"{CLOSED_PORT} is unreachable" in proc.stderr
    for option in ("--model tiny", "--model DIR"):
        assert option in proc.stderr
    gave_up = re.search(r"gave up after ([0-9.]+) s", proc.stderr)
    assert gave_up and float(gave_up.group(1)) < 20, "the load retried instead of failing fast"
