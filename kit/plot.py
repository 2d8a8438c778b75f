"""``python -m kit plot RUN_DIR``: lesson 04's loss curves, from ``trainer_state.json``, as a PNG.

The program writes ``trainer_state.json`` into the run folder when training ends and the Trainer into
each ``checkpoint-*/``, so a run still going (or stopped) is plotted from its newest checkpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kit.errors import ConfigError, DataError
from kit.model import checkpoints
from kit.pathio import make_dirs, user_path


def find_trainer_state(path: Path) -> Path:
    """``trainer_state.json`` of a run folder (else of its newest ``checkpoint-N``), a checkpoint, or the file."""
    if path.is_file():
        return path
    if (path / "trainer_state.json").is_file():
        return path / "trainer_state.json"
    found = checkpoints(path, "trainer_state.json")
    if found:
        return found[-1] / "trainer_state.json"
    raise DataError(f"no trainer_state.json in {path} (nor in a checkpoint-*/ folder inside it)",
                    hint="pass a training run folder or one of its checkpoint-* folders")


def plot_loss(run_dir: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
              x: str = "auto") -> Path:
    """Plot training and evaluation loss of a run, a checkpoint or a ``trainer_state.json``; return the PNG.

    ``out`` defaults to ``loss.png`` beside the ``trainer_state.json`` (``.png`` is added to a name without
    a suffix); ``x`` is ``step``, ``epoch`` or ``auto`` (epochs when the run has at least two, else steps).

    Raises:
        DataError: no trainer_state.json, a damaged one, or no losses in it.
        ConfigError: ``out`` is a folder, or cannot be written.
    """
    state_path = find_trainer_state(Path(run_dir))
    try:
        history = json.loads(state_path.read_text(encoding="utf-8"))["log_history"]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{state_path} is damaged: not valid JSON ({exc})",
                        hint="the job may have been killed while writing it: plot one of the run's checkpoint-N "
                             "folders instead (each has its own trainer_state.json)") from None
    except (TypeError, KeyError):
        raise DataError(f"{state_path} is not a trainer state (no log_history in it)",
                        hint="plot one of the run's checkpoint-N folders instead") from None
    if x == "auto":
        x = "epoch" if max((h.get("epoch") or 0 for h in history), default=0) >= 2 else "step"
    train = [(h.get(x) or 0, h["loss"]) for h in history if "loss" in h]
    evals = [(h.get(x) or 0, h["eval_loss"]) for h in history if "eval_loss" in h]
    if not train and not evals:
        raise DataError(f"{state_path}: log_history has no loss values yet",
                        hint="the run has not logged yet; lower logging_steps or wait for the first log")
    target = state_path.parent / "loss.png" if out is None else Path(out)
    if target.is_dir():
        raise ConfigError(f"cannot write the loss plot: {target} is a folder",
                          hint=f"name a file inside it, e.g. --out {target / 'loss.png'}")
    target = target if target.suffix else target.with_suffix(".png")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=110)
    ax = fig.subplots()
    if train:
        ax.plot(*zip(*train, strict=True), label="train loss")
    if evals:
        ax.plot(*zip(*evals, strict=True), "o-", label="eval loss")
    ax.set_xlabel(x)
    ax.set_ylabel("loss")
    ax.set_title(state_path.parent.name)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    make_dirs(target.parent, "write the loss plot")
    with user_path(target, "write the loss plot"):
        fig.savefig(target)
    return target
