"""Finding training runs in a work directory.

Lessons submit each training job into its own folder under ``<work_dir>/runs/``
(so a rerun never overwrites an earlier result). The results lesson then needs
"the newest finished run", or, when none exists yet (the Slurm lesson was not
run in this work dir), one it trains itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kit.sites import Site
    from kit.train import RunSummary

RUNS_DIR = "runs"


def run_name(profile: str, *, now: float | None = None) -> str:
    """A fresh run folder name such as ``smoke-20261127-213015``."""
    return f"{profile}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}"


def finished_runs(work_dir: Path) -> list[Path]:
    """Run folders under ``work_dir/runs`` whose run finished, oldest first."""
    from kit.train import METRICS_FILE

    found = []
    for metrics in (work_dir / RUNS_DIR).glob(f"*/{METRICS_FILE}"):
        try:
            completed = json.loads(metrics.read_text(encoding="utf-8")).get("completed", False)
        except (OSError, json.JSONDecodeError):
            continue
        if completed:
            found.append(metrics.parent)
    return sorted(found, key=lambda p: (p / METRICS_FILE).stat().st_mtime)


def find_or_train(site: Site, *, profile: str | None = None) -> RunSummary:
    """The newest finished run in the site's work dir; trains one (site settings) if there is none.

    Args:
        site: The site profile (work dir and training settings).
        profile: Training profile for a run this function has to train (default: the site's).
    """
    from kit.train import load_run, resolve_config, train

    runs = finished_runs(site.work_dir)
    if runs:
        return load_run(runs[-1])
    config = resolve_config(profile, site=site)
    out = site.work_dir / RUNS_DIR / run_name(config.profile)
    print(f"no finished run in {site.work_dir / RUNS_DIR}: training one now ({config.profile} profile) in {out}")
    train(config, out, work_dir=site.work_dir)
    return load_run(out)
