"""Runs in a site's work folder: starting a new one with a profile's arguments, finding finished ones.

Every training run gets its own folder under ``<work_dir>/runs/`` (a job's is ``runs/job-<SLURM_JOB_ID>``,
a notebook's ``runs/notebook-<timestamp>``), so a rerun never overwrites an earlier result.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from kit import slurm
from kit.errors import KitError
from kit.profiles import program_args
from kit.sites import Site, load_site
from kit.textutil import work_path
from kit.train import METRICS_FILE, run_program, run_program_within

RUNS_DIR = "runs"


def run_name(prefix: str) -> str:
    """A fresh run folder name such as ``notebook-20261127-213015``."""
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def new_run_dir(site: str | Site | None, prefix: str) -> Path:
    """A new run folder in the site's work folder, made here (relative to the current folder when inside it).

    Made at once (``mkdir`` fails for a name taken meanwhile): two runs started in the same second get
    ``name`` and ``name-2``, never one folder between them.
    """
    cfg = site if isinstance(site, Site) else load_site(site)
    runs = cfg.work_dir / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    stem, n = run_name(prefix), 1
    while True:
        path = runs / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
            break
        except FileExistsError:
            n += 1
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def finished_runs(work_dir: str | os.PathLike[str]) -> list[Path]:
    """Run folders under ``work_dir/runs`` with a readable metrics.json, oldest first."""
    found = []
    for metrics in (Path(work_dir) / RUNS_DIR).glob(f"*/{METRICS_FILE}"):
        try:
            json.loads(metrics.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        found.append(metrics.parent)
    return sorted(found, key=lambda p: (p / METRICS_FILE).stat().st_mtime)


def results_run(site: str | Site | None = None, *, fallback_minutes: float = 3.0) -> Path:
    """The run lesson 04 reads, saying which and why: the newest finished run (lesson 03's job when it finished).

    With no finished run at all, train the *smoke* profile here for at most ``fallback_minutes`` (never the
    workshop's bart-base: that belongs in a job).
    """
    cfg = site if isinstance(site, Site) else load_site(site)
    runs = cfg.work_dir / RUNS_DIR
    jobs = sorted(runs.glob("job-*"), key=lambda p: p.stat().st_mtime)
    if jobs and not (jobs[-1] / METRICS_FILE).is_file():
        job_id = jobs[-1].name.removeprefix("job-")
        try:
            state = slurm.status(job_id).state
        except KitError:
            state = "不明"
        print(f"ジョブ {job_id} の結果はまだありません（状態: {state}）。")
        if state in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            print(f"終わるのを待つ: squeue -j {job_id}（または python -m kit slurm wait {job_id}）、"
                  "終わったらこのセルをもう一度実行")
        else:
            print(f"TIMEOUT や CANCELLED なら、train.sbatch の最後の行に --output_dir runs/job-{job_id} を足して"
                  "もう一度 sbatch すると、チェックポイントから再開します")
    finished = finished_runs(cfg.work_dir)
    if finished:
        return finished[-1]
    out = new_run_dir(cfg, "fallback").absolute()
    print(f"終わった実行がないので、小さなモデルで最大 {fallback_minutes:g} 分だけ学習します: "
          f"{os.path.relpath(out, cfg.work_dir)}")
    args = [*program_args("smoke", cfg.work_dir, relative_to=cfg.work_dir),
            "--output_dir", os.path.relpath(out, cfg.work_dir), "--disable_tqdm", "true"]
    stopped = run_program_within(args, fallback_minutes, out, cwd=cfg.work_dir)
    if stopped is not None:
        print(f"{fallback_minutes:g} 分で止めたので、ステップ {stopped} までの学習で訳して評価しました")
    return out


def train_profile(site: str | None = None, *, profile: str | None = None, data: str | None = None,
                  extra_args: Sequence[str] = (), nproc: int = 1) -> None:
    """``python -m kit train``: the program with a profile's arguments, by default into ``runs/<profile>-<time>``."""
    cfg = load_site(site)
    name = profile or cfg.train.profile
    extra = [a for a in extra_args if a != "--"]
    args = program_args(name, cfg.work_dir, data=data, relative_to=cfg.work_dir)
    if not any(a == "--output_dir" or a.startswith("--output_dir=") for a in extra):
        extra += ["--output_dir", os.path.relpath(new_run_dir(cfg, name).absolute(), cfg.work_dir)]
    print(f"profile {name} (site {cfg.name}), in {work_path(cfg.work_dir)}", flush=True)
    run_program([*args, *extra], cwd=cfg.work_dir, nproc=nproc)
