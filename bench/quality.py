#!/usr/bin/env python
"""Translation quality in a fixed training time: bart_finetuning.py on small_parallel_enja, this machine's CPU.

Runs the participant's program unchanged, with the ``quality`` profile's arguments (a tiny BART built here from
the corpus, no download; kit/profiles.py). The learning rate decays linearly to zero over ``--max_steps``, so the
steps must fit the time: a short calibration run measures this machine's steps per second, and the real run gets
``--max_steps`` = rate x budget x margin. The calibration is off by up to ~10% from run to run, so the program's
own ``--max_minutes`` ends training at the budget in any case, and a run stopped there is evaluated at its checkpoint.
The report gives the training time next to the dev BLEU. Target: dev BLEU >= 28 after 10 minutes on 2 cores.

Data: ``../shared/data/small_parallel_enja`` beside the project (50k train pairs, 500 dev pairs); skipped, with
exit code 0 and a line saying so, when it is absent. Results: ``build/bench/quality.json`` and ``.md``.

    python bench/quality.py                          # 10 minutes
    python bench/quality.py --minutes 2 -- --learning_rate 2e-3   # more program options after --
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data" / "small_parallel_enja"


def run(args: list[str], out: Path, minutes: float) -> tuple[dict, int | None]:
    """The program with ``args`` for at most ``minutes`` of training, writing into a fresh ``out``; its
    metrics.json, and the step where the budget stopped training (None: it ended within the budget)."""
    from kit.train import run_program_within

    if out.exists():
        shutil.rmtree(out)
    stopped = run_program_within([*args, "--output_dir", str(out), "--disable_tqdm", "true"], minutes, out, cwd=ROOT)
    return json.loads((out / "metrics.json").read_text(encoding="utf-8")), stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder with train.en/.ja and dev.en/.ja")
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("--calibration-steps", type=int, default=200)
    parser.add_argument("--margin", type=float, default=1.0,
                        help="plan this share of the budget in steps (the budget itself stops training in any case)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("program_args", nargs=argparse.REMAINDER, help="more program options after --")
    args = parser.parse_args(argv)
    if not (args.data / "train.en").is_file():
        print(f"skipped: no corpus at {args.data} (the benchmark needs small_parallel_enja beside the project)")
        return 0

    import torch

    from kit.profiles import program_args

    extra = [a for a in args.program_args if a != "--"]
    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    base = program_args("quality", work, data=str(args.data))
    print(f"quality profile on {args.data.name}, {torch.get_num_threads()} CPU threads: {' '.join(base + extra)}",
          flush=True)
    calib, _ = run([*base, *extra, "--max_steps", str(args.calibration_steps), "--num_beams", "1",
                    "--eval_strategy", "no"], args.out / "quality-calibration", args.minutes)
    steps_per_s = calib["global_step"] / calib["train_runtime_s"]
    steps = int(steps_per_s * args.minutes * 60 * args.margin)
    print(f"calibration: {steps_per_s:.2f} steps/s -> --max_steps {steps} for {args.minutes:g} minutes", flush=True)
    started = time.monotonic()
    # The planned steps fill the budget, so the learning rate decays to zero with it; the calibration is off by up to
    # ~10% from run to run, so the program's own --max_minutes stops training at the budget in any case, and the run
    # is then evaluated at that checkpoint (kit.train.run_program_within).
    metrics, stopped = run([*base, *extra, "--max_steps", str(steps)], args.out / "quality-run", args.minutes)
    if stopped is not None:
        print(f"stopped by the {args.minutes:g}-minute budget at step {stopped} of {steps}: evaluated that checkpoint",
              flush=True)
        steps, train_min = stopped, args.minutes  # the budget ended training (TimeBudget's clock starts earlier)
    else:
        train_min = metrics["train_runtime_s"] / 60
    report = {"data": str(args.data), "minutes_budget": args.minutes, "max_steps": steps,
              "steps_per_s_calibrated": steps_per_s, "train_minutes": train_min, "dev_bleu": metrics["bleu"],
              "bleu_signature": metrics["bleu_signature"], "dev_sentences": metrics["test_sentences"],
              "program_args": base + extra, "threads": torch.get_num_threads(),
              "wall_minutes": (time.monotonic() - started) / 60}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    within = train_min <= args.minutes
    table = (f"| training | steps | dev BLEU ({metrics['test_sentences']} sentences) |\n| --- | --- | --- |\n"
             f"| {train_min:.1f} min (budget {args.minutes:g}) | {steps} | {metrics['bleu']:.2f} |\n\n"
             f"signature: {metrics['bleu_signature']}\n")
    (args.out / "quality.md").write_text("# Quality\n\n" + table, encoding="utf-8")
    print(table)
    ok = metrics["bleu"] >= 28 and within
    print(f"target: dev BLEU >= 28 within {args.minutes:g} minutes -> {metrics['bleu']:.2f} in {train_min:.1f} min "
          f"({'meets' if ok else 'misses'}{'' if within else ': over the time budget'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
