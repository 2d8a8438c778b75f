#!/usr/bin/env python
"""Training throughput of bart_finetuning.py against the original workshop script's batching.

Both ways run through the program's own Trainer (its ``parse_args``, ``tokenize`` and ``make_trainer``,
imported from ``bart_finetuning.py``), on the same model, data, batch size and max length:

* **program**: the program as it is: each batch padded to its longest example, -100 in the padded
  labels (``DataCollatorForSeq2Seq``), batches of similar lengths (its default length grouping);
* **original**: the original script's preprocessing: every example padded to 120 tokens, the pad id
  left in the labels, random batches.

Rounds alternate (original, program, original, program, ...) so machine noise hits both alike; the
median of each way's rate is compared. Target: program >= 8x original.

The rate compared is the steady one, what a whole epoch runs at: samples per second from the end of the
first step to the end of the last. Trainer's own ``train_samples_per_second`` (also reported) counts the
first step too, which warms up (memory, kernels) and, for the program, is the longest batch of all (the
length-grouped sampler puts it first, to fail early on memory): in a 48-step run it weighs 1/48, in an
epoch of 3,125 steps nothing.

Data: ``../shared/data/small_parallel_enja`` beside the project (50k real pairs) when present, else the
sample corpus (say so in the report). Results: ``build/bench/throughput.json`` and ``.md``.

    python bench/throughput.py                  # CPU (this machine), bart-base's shape (random weights)
    python bench/throughput.py --tiny d_model=256 --tiny ffn_dim=1024 --tiny vocab_size=8000   # the quality model
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data" / "small_parallel_enja"


def original_preprocessing(pairs, tokenizer, max_length):
    """The original script: pad every example to max_length, keep the pad id in the labels."""
    def encode(batch):
        return tokenizer(batch["en"], text_target=batch["ja"], max_length=max_length, truncation=True,
                         padding="max_length")

    return pairs.map(encode, batched=True, remove_columns=["en", "ja"])


def run_way(prog, way: str, model_dir: str, data_dir: str, steps: int, batch: int, max_length: int,
            out: Path) -> tuple[float, float]:
    """One timed training run; returns samples per second: steady (after the first step), and Trainer's."""
    from transformers import TrainerCallback, default_data_collator

    class StepTimes(TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_step_end(self, *args, **kwargs) -> None:
            self.ends.append(time.perf_counter())

    args, training_args = prog.parse_args([
        "--model_name_or_path", model_dir, "--data_dir", data_dir, "--output_dir", str(out / way),
        "--max_steps", str(steps), "--per_device_train_batch_size", str(batch), "--max_length", str(max_length),
        "--learning_rate", "1e-3", "--eval_strategy", "no", "--save_strategy", "no", "--logging_steps", "1000",
        "--disable_tqdm", "true", "--seed", "0",
        *(["--train_sampling_strategy", "random"] if way == "original" and "train_sampling_strategy" in prog.NEW
          else ["--group_by_length", "false"] if way == "original" else [])])
    pairs = prog.load_pairs(args)
    pairs["validation"] = pairs["validation"].select(range(8))
    tokenizer, model = prog.load_model(args.model_name_or_path)
    if way == "original":
        tokenized = original_preprocessing(pairs, tokenizer, max_length)
    else:
        tokenized = prog.tokenize(pairs, tokenizer, max_length)
    times = StepTimes()
    trainer = prog.make_trainer(training_args, tokenizer, model, tokenized, [times])
    if way == "original":
        trainer.data_collator = default_data_collator  # plain stacking: the padding is already there
    result = trainer.train()
    if len(times.ends) < 2:
        sys.exit("--original-steps and --program-steps must be at least 2 (the steady rate starts after step 1)")
    steady = (len(times.ends) - 1) * batch / (times.ends[-1] - times.ends[0])
    return steady, float(result.metrics["train_samples_per_second"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED) if SHARED.is_dir() else "sample",
                        help="folder with train/dev.{en,ja} (default: small_parallel_enja if present)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per way")
    parser.add_argument("--original-steps", type=int, default=6)
    parser.add_argument("--program-steps", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=120)
    parser.add_argument("--tiny", action="append", default=[], metavar="KEY=VALUE",
                        help="tiny BART settings (kit.model.TinySettings), e.g. --tiny d_model=256")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args(argv)

    import torch
    from datasets.utils.logging import disable_progress_bar

    from kit.profiles import get_profile, prepare_data, prepare_model
    from kit.program import load_program

    disable_progress_bar()
    profile = get_profile("quality")
    # The workshop's model is facebook/bart-base: by default measure on its shape (6 + 6 layers, d_model 768,
    # ffn 3072, 12 heads), randomly initialised, with a tokenizer trained on the corpus (16k entries; bart-base's
    # own has 50k). A smaller model spends a larger share of each step on costs that padding does not change
    # (optimizer, Trainer bookkeeping): --tiny layers=2 --tiny d_model=512 --tiny ffn_dim=2048 --tiny heads=8
    # measured 7.2x.
    settings = {"d_model": 768, "ffn_dim": 3072, "heads": 12, "layers": 6, "vocab_size": 16000}
    settings.update({k: type(getattr(profile.tiny, k))(v) for k, v in (item.split("=", 1) for item in args.tiny)})
    profile = dataclasses.replace(profile, tiny=dataclasses.replace(profile.tiny, **settings))
    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    data_dir = prepare_data(profile, work, args.data)
    model_dir = prepare_model(profile, work, data_dir)
    prog = load_program()
    print(f"data {data_dir}; model {model_dir}; {torch.get_num_threads()} CPU threads", flush=True)
    rates: dict[str, list[float]] = {"original": [], "program": []}
    trainer_rates: dict[str, list[float]] = {"original": [], "program": []}
    started = time.monotonic()
    for round_ in range(args.rounds):
        for way, steps in (("original", args.original_steps), ("program", args.program_steps)):
            rate, whole = run_way(prog, way, model_dir, str(data_dir), steps, args.batch_size, args.max_length,
                                  args.out / "runs" / f"{way}-{round_}")
            rates[way].append(rate)
            trainer_rates[way].append(whole)
            print(f"round {round_ + 1}: {way:8} {rate:8.2f} samples/s steady ({whole:.2f} with the first step; "
                  f"{steps} steps)", flush=True)
    original, program = (statistics.median(rates[w]) for w in ("original", "program"))
    speedup = program / original
    whole_speedup = statistics.median(trainer_rates["program"]) / statistics.median(trainer_rates["original"])
    report = {"data": str(data_dir), "model": model_dir, "tiny": dataclasses.asdict(profile.tiny),
              "machine": platform.node(), "torch": torch.__version__,
              "threads": torch.get_num_threads(), "batch_size": args.batch_size, "max_length": args.max_length,
              "rates": rates, "original_samples_per_s": original, "program_samples_per_s": program,
              "speedup": speedup, "trainer_rates": trainer_rates, "speedup_with_first_step": whole_speedup,
              "wall_s": round(time.monotonic() - started, 1)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    whole = {w: statistics.median(trainer_rates[w]) for w in trainer_rates}
    table = (f"| way | samples/s, steady (median of {args.rounds}) | with the first step |\n| --- | --- | --- |\n"
             f"| original (pad to {args.max_length}, pad id in labels) | {original:.2f} | {whole['original']:.2f} |\n"
             f"| bart_finetuning.py | {program:.2f} | {whole['program']:.2f} |\n\n"
             f"speed-up: {speedup:.2f}x steady ({whole_speedup:.2f}x with the first step) on {data_dir.name}, "
             f"{torch.get_num_threads()} CPU threads\n")
    (args.out / "throughput.md").write_text("# Throughput\n\n" + table, encoding="utf-8")
    print(table)
    verdict = "meets" if speedup >= 8 else "misses"
    print(f"target: program >= 8x the original's steady samples/s -> {speedup:.2f}x ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
