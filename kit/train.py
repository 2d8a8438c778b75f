"""The participant's program, ``bart_finetuning.py`` (lesson 02): running it, and reading back what it wrote."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import TrainError
from kit.model import checkpoints
from kit.sites import PROJECT_ROOT
from litmarp import proc

PROGRAM_NAME = "bart_finetuning.py"
METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.txt"
PREDICTIONS_FILE = "test_predictions.txt"


def program_path() -> Path:
    """The program in the project root (the file ``make program`` writes from lesson 02)."""
    return PROJECT_ROOT / PROGRAM_NAME


def run_program(args: Sequence[str], *, cwd: str | os.PathLike[str] | None = None, nproc: int = 1) -> None:
    """Run the program with this Python (``torchrun`` for ``nproc`` processes), its output on this terminal."""
    runner = [sys.executable]
    if nproc > 1:
        runner += ["-m", "torch.distributed.run", "--nproc_per_node", str(nproc)]
    proc.run([*runner, str(program_path()), *args], cwd=cwd, capture=False,
             hint="read the program's last lines above; run the same command again to resume from its checkpoint")


def run_program_within(args: Sequence[str], minutes: float, output_dir: str | os.PathLike[str], *,
                       cwd: str | os.PathLike[str] | None = None) -> int | None:
    """Run the program for at most ``minutes`` of training, and always end with its results.

    ``args`` hold ``--output_dir`` (``output_dir``, as this process sees it). When the budget stops the
    program (it leaves a checkpoint and no results), it runs again with ``--max_steps`` at that
    checkpoint's step: it resumes there, trains no further, and goes straight to translation and BLEU.
    Returns the step the budget stopped training at, None when training ended within the budget.
    """
    run_program([*args, "--max_minutes", f"{minutes:g}"], cwd=cwd)
    out = Path(output_dir)
    if (out / METRICS_FILE).is_file():
        return None
    saved = checkpoints(out)
    if not saved:
        raise TrainError(f"{out}: the {minutes:g}-minute budget stopped training before its first checkpoint",
                         hint="give it more time")
    step = int(saved[-1].name.split("-")[-1])
    run_program([*args, "--max_steps", str(step)], cwd=cwd)  # a later --max_steps wins
    return step


@dataclass
class RunSummary:
    """A finished run read back from disk: see :func:`load_run`."""

    run_dir: Path
    metrics: dict[str, Any]
    samples_text: str  # samples.txt as the program wrote it: 入力 / 正解 / 生成文, a blank line between

    def __str__(self) -> str:
        m = self.metrics
        return (f"run {self.run_dir}: BLEU {m.get('bleu', float('nan')):.2f} on {m.get('test_sentences')} test "
                f"sentences, train loss {m.get('train_loss', float('nan')):.3f}, step {m.get('global_step')}")


def load_run(run_dir: str | os.PathLike[str]) -> RunSummary:
    """Read a run folder's metrics.json and samples.txt (TrainError: none, or an unreadable one)."""
    run = Path(run_dir)
    metrics_path = run / METRICS_FILE
    if not metrics_path.is_file():
        raise TrainError(f"{run} has no {METRICS_FILE}: not a finished training run",
                         hint=f"pass the --output_dir of {PROGRAM_NAME} after its job finished")
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainError(f"{metrics_path} is damaged and cannot be read ({exc})",
                         hint="the job may have been killed while writing it. Its model and test_predictions.txt "
                              "may still be fine: score them with `python -m kit bleu "
                              f"{run / PREDICTIONS_FILE} {run / 'test_references.txt'}`, or train again "
                              "into a new --output_dir") from None
    if not isinstance(metrics, dict):
        raise TrainError(f"{metrics_path} is not the program's metrics (a JSON object with bleu, train_loss ...)",
                         hint="train again into a new --output_dir")
    samples_path = run / SAMPLES_FILE
    samples = samples_path.read_text(encoding="utf-8") if samples_path.is_file() else ""
    return RunSummary(run, metrics, samples)
