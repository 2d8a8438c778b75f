"""Loss curves from ``trainer_state.json``: training loss and evaluation loss on one axis.

``trainer_state.json`` keeps every logged value in ``log_history``: training
entries carry ``loss``, evaluation entries ``eval_loss``; both carry ``step``
and ``epoch``. The Trainer writes it into each ``checkpoint-*/`` folder, and
the kit's :func:`kit.train.train` also into the run folder (``save_state()``),
so :func:`plot_loss` accepts either.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from kit.errors import ConfigError, DataError
from kit.fonts import japanese_font
from kit.pathio import make_dirs, user_path

log = logging.getLogger("kit.plot")


@dataclass(frozen=True)
class LossCurves:
    """The points of the two curves: ``(step, epoch, loss)`` each."""

    train: list[tuple[int, float, float]]
    eval: list[tuple[int, float, float]]


def find_trainer_state(path: str | os.PathLike[str]) -> Path:
    """Locate ``trainer_state.json`` for a run folder, a checkpoint folder or the file itself.

    A run folder without its own copy (a run still going, or killed) falls back to
    its newest ``checkpoint-*``.

    Raises:
        DataError: nothing found.
    """
    path = Path(path)
    if path.is_file():
        return path
    direct = path / "trainer_state.json"
    if direct.is_file():
        return direct
    checkpoints = sorted(path.glob("checkpoint-*/trainer_state.json"),
                         key=lambda p: int(p.parent.name.split("-")[-1]) if p.parent.name.split("-")[-1].isdigit()
                         else -1)
    if checkpoints:
        return checkpoints[-1]
    raise DataError(f"no trainer_state.json in {path} (nor in a checkpoint-*/ folder inside it)",
                    hint="pass a training run folder or one of its checkpoint-* folders")


def read_losses(path: str | os.PathLike[str]) -> LossCurves:
    """Read the train and eval losses from ``trainer_state.json`` (or the folder holding it)."""
    state_path = find_trainer_state(path)
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{state_path} is damaged: not valid JSON ({exc})",
                        hint="the job may have been killed while writing it: plot one of the run's checkpoint-N "
                             "folders instead (each has its own trainer_state.json)") from None
    if not isinstance(state, dict):
        raise DataError(f"{state_path} is not a trainer state (no log_history in it)",
                        hint="plot one of the run's checkpoint-N folders instead")
    train, evals = [], []
    for entry in state.get("log_history", []):
        step, epoch = int(entry.get("step", 0)), float(entry.get("epoch") or 0.0)
        if "loss" in entry:
            train.append((step, epoch, float(entry["loss"])))
        if "eval_loss" in entry:
            evals.append((step, epoch, float(entry["eval_loss"])))
    if not train and not evals:
        raise DataError(f"{state_path}: log_history has no loss values yet",
                        hint="the run has not logged yet; lower logging_steps or wait for the first log")
    return LossCurves(train, evals)


def _pick_backend() -> None:
    import matplotlib

    # A batch job (Slurm) has no display: use the file-only Agg backend. Notebooks set their own inline backend.
    if not os.environ.get("MPLBACKEND") and not os.environ.get("DISPLAY") and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")


def _png_target(out: str | os.PathLike[str] | None, state_path: Path) -> Path:
    """Where the PNG goes: ``loss.png`` next to the state by default; ``.png`` added to a name without a suffix."""
    if out is None:
        return state_path.parent / "loss.png"
    target = Path(out)
    if target.is_dir():
        raise ConfigError(f"cannot write the loss plot: {target} is a folder",
                          hint=f"name a file inside it, e.g. --out {target / 'loss.png'}")
    return target if target.suffix else target.with_suffix(".png")


def plot_loss(run_dir: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
              x: str = "auto", title: str | None = None, show: bool = False) -> Path:
    """Plot training vs evaluation loss and save it as a PNG.

    Args:
        run_dir: A run folder, a ``checkpoint-*`` folder, or a ``trainer_state.json``.
        out: PNG path (default: ``loss.png`` next to the trainer_state.json).
        x: ``step``, ``epoch`` or ``auto`` (epochs when the run has at least two, else steps).
        title: Plot title (default: the run folder's name).
        show: Also display the figure (in a notebook, inline).

    Returns:
        The PNG path.

    Raises:
        DataError: no trainer_state.json or no losses in it.
    """
    curves = read_losses(run_dir)
    state_path = find_trainer_state(run_dir)
    _pick_backend()
    import matplotlib.pyplot as plt

    font = japanese_font()
    if x == "auto":
        last_epoch = max((p[1] for p in curves.train + curves.eval), default=0.0)
        x = "epoch" if last_epoch >= 2 else "step"
    if x not in ("step", "epoch"):
        raise DataError(f"x must be step, epoch or auto, not {x!r}")
    index = 0 if x == "step" else 1
    # Japanese labels only when a font can draw them; otherwise the glyphs would come out as boxes.
    labels = {
        "train": "学習 (train)" if font else "train",
        "eval": "検証 (eval)" if font else "eval",
        "y": "損失 (loss)" if font else "loss",
        "x": ("ステップ (step)" if x == "step" else "エポック (epoch)") if font else x,
    }
    style = {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False}
    with plt.rc_context(style if font else {}):
        fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
        if curves.train:
            ax.plot([p[index] for p in curves.train], [p[2] for p in curves.train], label=labels["train"],
                    color="tab:blue", linewidth=1.5)
        if curves.eval:
            ax.plot([p[index] for p in curves.eval], [p[2] for p in curves.eval], label=labels["eval"],
                    color="tab:orange", marker="o", linewidth=1.5)
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.set_title(title if title is not None else state_path.parent.name)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        target = _png_target(out, state_path)
        make_dirs(target.parent, "write the loss plot")
        with user_path(target, "write the loss plot"):
            fig.savefig(target)
        if show:
            plt.show()
        plt.close(fig)
    log.info("loss plot written to %s", target)
    return target
