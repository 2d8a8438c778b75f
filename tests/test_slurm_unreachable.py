"""Slurm unreachable is said in seconds: one ``scontrol ping`` before the first Slurm command of a process.

sbatch, squeue and scontrol retry a controller that does not answer (10 s each on the one-node cluster;
a minute when slurm.conf cannot be read) and print nothing meanwhile. These tests put a stand-in
``scontrol`` first on PATH; the drills (tests/test_drills.py, slurm-unreachable-*) point the real commands
at a closed port.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kit.errors import SlurmError
from kit.slurm import client, commands


def fake_scontrol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A ``scontrol`` running ``body`` (bash), first on PATH; it logs each call to ``calls``."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "scontrol"
    script.write_text(f'#!/bin/bash\necho "$*" >> {tmp_path}/calls\n{body}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.setattr(client, "_controller_answered", False)
    return tmp_path / "calls"


def test_the_ping_argv() -> None:
    assert commands.ping() == ["scontrol", "ping"]


def test_a_controller_that_is_down_is_said_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_scontrol(tmp_path, monkeypatch, 'echo "Slurmctld(primary) at head is DOWN"; echo "*****"; exit 1')
    started = time.monotonic()
    with pytest.raises(SlurmError) as err:
        client.SlurmExecutor().get_job("1")
    assert err.value.message == "Slurm is not reachable: `scontrol ping` says: Slurmctld(primary) at head is DOWN"
    assert time.monotonic() - started < 3
    assert "make slurm-up" in err.value.hint


def test_a_ping_that_hangs_on_an_error_fails_at_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable slurm.conf: scontrol retries for 60 s; the kit says so after the ping's timeout."""
    fake_scontrol(tmp_path, monkeypatch, 'echo "scontrol: error: s_p_parse_file: cannot stat file /x/slurm.conf,'
                                         ' retrying in 1sec up to 60sec" >&2; sleep 30')
    started = time.monotonic()
    with pytest.raises(SlurmError, match="did not answer within 0.5 s") as err:
        client.check_controller(timeout=0.5)
    assert time.monotonic() - started < 5
    assert "cannot stat file /x/slurm.conf" in (err.value.details or "")


def test_a_silent_slow_ping_says_it_waits_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    fake_scontrol(tmp_path, monkeypatch, "sleep 30")
    client.check_controller(timeout=0.5)
    assert "has not answered `scontrol ping` within 0.5 s; waiting for it" in capsys.readouterr().err


def test_one_ping_per_process_once_the_controller_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_scontrol(tmp_path, monkeypatch, 'echo "Slurmctld(primary) at head is UP"')
    client.check_controller()
    client.check_controller()
    assert calls.read_text() == "ping\n"


def test_a_backup_controller_that_is_up_is_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_scontrol(tmp_path, monkeypatch, 'echo "Slurmctld(primary) at a is DOWN"; echo "Slurmctld(backup) at b is UP";'
                                         " exit 1")
    client.check_controller()


def test_without_scontrol_nothing_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(client, "_controller_answered", False)
    client.check_controller()
