#!/usr/bin/env python
"""Re-rendering from the execution cache: how long a presenter waits.

Two measurements, each the wall time of the real command line
(``python -m litmarp slides ... --pdf``, HTML + PDF with notes + notes text, fit
check included), after a warm-up run that fills the cache and the output folder:

1. **nothing changed**: all six decks re-rendered (target ≤ 15 s);
2. **one text edit**: a copy of one lesson with a changed sentence, rendered
   through ``litmarp slides PATH.md`` (target ≤ 10 s); its code is unchanged, so
   its outputs come from the cache and only that deck is re-drawn;

and, for comparison, all six decks drawn again from the cache (outputs deleted).
The best of ``--repeat`` runs counts (the machine may be shared); all runs are
printed.

The warm-up executes whatever the cache lacks (minutes on a cold cache). The
results are printed and written to ``build/bench/render_cache.json``.

Usage::

    python bench/render_cache.py [--site ci] [--lesson 00-intro] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"unchanged_six_decks_s": 15.0, "one_text_edit_s": 10.0}


def slides_command(*args: str, site: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "litmarp", "slides", *args, "--site", site, "--pdf", "--out", str(out)]


def timed(cmd: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default="ci")
    parser.add_argument("--lesson", default="00-intro", help="the lesson whose copy gets the text edit")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each measurement (the best counts)")
    args = parser.parse_args()

    out = ROOT / "build" / "bench" / "render-cache"
    print("warm-up: executing what the cache lacks, rendering every deck …", flush=True)
    warm, _ = timed(slides_command(site=args.site, out=out))
    print(f"  warm-up took {warm:.1f} s")

    unchanged = []
    for _ in range(args.repeat):
        seconds, stdout = timed(slides_command(site=args.site, out=out))
        assert stdout.count("outputs from the cache") == 6 and "executed (" not in stdout, stdout
        unchanged.append(seconds)
    print(f"six decks, nothing changed: {min(unchanged):.1f} s (runs: {', '.join(f'{s:.1f}' for s in unchanged)})")

    # For comparison (no target): every deck drawn again from the cache, as after `make clean`
    # of the outputs: HTML, PDF and notes by marp-cli for all six, nothing executed.
    redrawn = []
    for _ in range(args.repeat):
        for path in [*out.glob("*.html"), *out.glob("*.pdf"), *out.glob("*.notes.txt")]:
            path.unlink()
        seconds, stdout = timed(slides_command(site=args.site, out=out))
        assert "executed (" not in stdout, stdout
        redrawn.append(seconds)
    runs = ", ".join(f"{s:.1f}" for s in redrawn)
    print(f"six decks drawn again from the cache: {min(redrawn):.1f} s (runs: {runs})")

    copy_dir = out / "edited-source"
    copy_dir.mkdir(parents=True, exist_ok=True)
    copy = copy_dir / f"{args.lesson}.md"
    text = (ROOT / "slides" / f"{args.lesson}.md").read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    timed(slides_command(str(copy), site=args.site, out=out / "edited"))  # its own warm-up
    edits = []
    for n in range(args.repeat):
        copy.write_text(text.replace("\n## ", f"\n## (edit {n}) ", 1), encoding="utf-8")
        seconds, stdout = timed(slides_command(str(copy), site=args.site, out=out / "edited"))
        assert "outputs from the cache" in stdout and "not drawn again" not in stdout, stdout
        edits.append(seconds)
    print(f"one text edit: {min(edits):.1f} s (runs: {', '.join(f'{s:.1f}' for s in edits)})")
    shutil.rmtree(copy_dir)

    result = {"unchanged_six_decks_s": round(min(unchanged), 2), "one_text_edit_s": round(min(edits), 2),
              "six_decks_redrawn_s": round(min(redrawn), 2),
              "runs": {"unchanged": unchanged, "edit": edits, "redrawn": redrawn}, "site": args.site,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    (ROOT / "build" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "bench" / "render_cache.json").write_text(json.dumps(result, indent=2) + "\n")
    ok = all(result[k] <= v for k, v in TARGETS.items())
    for key, target in TARGETS.items():
        print(f"  {key}: {result[key]:.1f} s (target ≤ {target:.0f} s) {'ok' if result[key] <= target else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
