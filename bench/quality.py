#!/usr/bin/env python
"""Translation quality against training time: the tiny BART on small_parallel_enja, two CPU cores.

Trains the ``quality`` profile (a ~7 M-parameter BART built here, no download)
for a fixed wall-clock budget on ``../shared/data/small_parallel_enja`` beside
the project (skipped when absent), probes dev BLEU every few minutes of
training (probe time is not counted), and reports the curve as a table, a JSON
file and a plot under ``build/bench/``. Target: dev BLEU >= 25 within 10 minutes.

The trained run folder is a normal kit run: translate held-out text with
``python -m kit translate --model build/bench/quality-run --file FILE``.

Usage::

    python bench/quality.py                        # 10 minutes
    python bench/quality.py --minutes 5 --set batch_size=32 --tiny d_model=192
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.bleu import corpus_bleu  # noqa: E402
from kit.data import load_corpus  # noqa: E402
from kit.train import TrainClock, get_profile, train  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "small_parallel_enja"


def _parse_sets(items: list[str]) -> dict[str, object]:
    values = {}
    for item in items:
        key, _, raw = item.partition("=")
        try:
            values[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            values[key] = raw
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED))
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget")
    parser.add_argument("--probe-every", type=float, default=2.0, help="minutes of training between BLEU probes")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="TrainConfig override")
    parser.add_argument("--tiny", action="append", default=[], metavar="KEY=VALUE", help="TinySettings override")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--name", default="quality")
    args = parser.parse_args(argv)
    if not Path(args.data).is_dir():
        print(f"skipped: {args.data} not found (the quality benchmark needs small_parallel_enja)")
        return 0

    import torch

    corpus = load_corpus(args.data)
    config = get_profile("quality").with_overrides("bench", data=args.data, max_minutes=args.minutes,
                                                   **_parse_sets(args.set))
    if args.tiny:
        config.tiny = {**config.tiny, **_parse_sets(args.tiny)}
    clock = TrainClock()
    probes: list[dict[str, float]] = []
    trained: dict[str, float] = {}
    dev = corpus.validation
    refs = [ja for _, ja in dev]

    from transformers import TrainerCallback

    from kit.model import Seq2SeqBundle, generate

    class BleuProbe(TrainerCallback):
        """Dev BLEU every few minutes of training, on a paused clock."""

        def __init__(self) -> None:
            self.next_mark = args.probe_every * 60

        def on_train_begin(self, a, state, control, **kwargs):  # noqa: ANN001, ANN201
            clock.restart()  # the budget counts training, not model building and tokenisation
            return control

        def on_train_end(self, a, state, control, **kwargs):  # noqa: ANN001, ANN201
            trained["minutes"] = round(clock.elapsed() / 60, 2)
            return control

        def on_step_end(self, a, state, control, model=None, **kwargs):  # noqa: ANN001, ANN201
            if clock.elapsed() < self.next_mark or model is None:
                return control
            tokenizer = kwargs.get("processing_class") or kwargs.get("tokenizer")
            with clock.paused():
                started = time.monotonic()
                hyps = generate(Seq2SeqBundle(model, tokenizer, tokenizer, "probe"), [en for en, _ in dev],
                                batch_size=100, max_length=config.max_length)
                score = corpus_bleu(hyps, refs, tokenize="none").score
                probes.append({"minutes": round(clock.elapsed() / 60, 2), "step": state.global_step,
                               "bleu": round(score, 2), "probe_s": round(time.monotonic() - started, 1)})
                print(f"probe: {probes[-1]['minutes']:.1f} min of training, step {state.global_step}: "
                      f"dev BLEU {score:.2f} ({probes[-1]['probe_s']} s to decode)", flush=True)
            self.next_mark += args.probe_every * 60
            return control

    run_dir = args.out / f"{args.name}-run"
    print(f"config: {json.dumps({k: v for k, v in vars(config).items()}, default=str)}", flush=True)
    result = train(config, run_dir, corpus=corpus, work_dir=args.out, force=True, progress="log",
                   callbacks=[BleuProbe()], clock=clock)
    if result.metrics.get("bleu") is None:
        print(f"interrupted ({result.metrics.get('stop_reason')}): no final BLEU; probes so far: {probes}")
        return 1
    final = {"minutes": trained.get("minutes", round(clock.elapsed() / 60, 2)), "step": result.metrics["global_step"],
             "bleu": round(result.metrics["bleu"], 2), "final": True}
    curve = [p for p in probes if p["step"] != final["step"]] + [final]
    print(result.summary())
    print("\nminutes of training | step | dev BLEU")
    for row in curve:
        print(f"{row['minutes']:>19.1f} | {row['step']:>4} | {row['bleu']:.2f}")
    report = {"data": corpus.source, "budget_minutes": args.minutes, "threads": torch.get_num_threads(),
              "parameters": result.metrics["parameters"], "curve": curve, "metrics": result.metrics,
              "config": {k: v for k, v in vars(config).items()}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    table = "\n".join(f"| {r['minutes']:.1f} | {r['step']} | {r['bleu']:.2f} |" for r in curve)
    (args.out / f"{args.name}.md").write_text(
        f"# Dev BLEU against training time ({corpus.source}, {torch.get_num_threads()} threads)\n\n"
        f"| minutes | step | dev BLEU |\n| ---: | ---: | ---: |\n{table}\n", encoding="utf-8")
    from kit.fonts import use_japanese_font

    use_japanese_font()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    ax.plot([r["minutes"] for r in curve], [r["bleu"] for r in curve], marker="o")
    ax.axhline(25, color="gray", linestyle="--", linewidth=1)
    ax.set_xlabel("minutes of training (2 CPU cores)")
    ax.set_ylabel("dev BLEU")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out / f"{args.name}.png")
    print(f"\nresults: {args.out / f'{args.name}.json'}, {args.out / f'{args.name}.png'}")
    print(f"try it: python -m kit translate --model {run_dir} 'i am a student .'")
    verdict = "meets" if final["bleu"] >= 25 else "misses"
    print(f"target: dev BLEU >= 25 within {args.minutes:g} minutes -> {final['bleu']:.2f} ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
