"""kit.plot: loss curves from trainer_state.json, for a run folder or a checkpoint folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kit.errors import DataError
from kit.plot import plot_loss

STATE = Path(__file__).parent / "data" / "trainer_state" / "trainer_state.json"


def test_plot_written_for_run_and_checkpoint_folders(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    checkpoint = run_dir / "checkpoint-456"
    checkpoint.mkdir(parents=True)
    shutil.copy(STATE, checkpoint / "trainer_state.json")
    # The run folder has no copy of its own yet (a run still going): the newest checkpoint's is used.
    png = plot_loss(run_dir, tmp_path / "out" / "loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    png = plot_loss(checkpoint, x="step")
    assert png == checkpoint / "loss.png" and png.stat().st_size > 10_000
    assert plot_loss(STATE, tmp_path / "named") == tmp_path / "named.png"


def test_missing_state_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no trainer_state.json"):
        plot_loss(tmp_path)
    (tmp_path / "trainer_state.json").write_text('{"log_history": []}', encoding="utf-8")
    with pytest.raises(DataError, match="no loss values"):
        plot_loss(tmp_path)
