#!/usr/bin/env python
"""Training throughput: the original script's batching against the kit's, interleaved in one run.

The original pads every example to 120 tokens and puts the pad id in the labels;
the kit pads each batch to its longest example (``DataCollatorForSeq2Seq``),
puts -100 in the padded labels and groups similar lengths. Same model, same
data, same batch size, same number of steps, blocks of steps alternating so
that machine noise hits both alike (:func:`kit.train.compare_padding`).

Data: ``../shared/data/small_parallel_enja`` beside the project when present,
else the sample corpus. Results are printed and written to
``build/bench/throughput-<device>.json`` and ``.md``.

Usage::

    python bench/throughput.py                       # CPU, a ~6 M-parameter BART
    python bench/throughput.py --model bart-base-config --device cuda   # a GPU, bart-base sized, bf16
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.data import load_corpus  # noqa: E402
from kit.model import Seq2SeqBundle, TinySettings, load_model, make_tiny_bart  # noqa: E402
from kit.train import PROFILES, compare_padding  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "small_parallel_enja"
# Dense bf16 peak (no sparsity) of GPUs one may meet, in FLOP/s.
BF16_PEAK = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12, "V100": 125e12}


def build_model(kind: str, corpus, models_dir: Path) -> Seq2SeqBundle:
    """``small`` (the quality profile's tiny BART), ``tiny`` (the smoke one), ``bart-base-config``, or a folder."""
    if kind in ("small", "tiny"):
        settings = TinySettings.from_dict(PROFILES["quality" if kind == "small" else "smoke"].tiny)
        folder = models_dir / f"{kind}-{settings.key()}-{corpus.fingerprint()[:8]}"
        return load_model(make_tiny_bart(folder, corpus, settings))
    if kind == "bart-base-config":
        import torch
        from transformers import BartConfig, BartForConditionalGeneration

        # bart-base's shape with random weights (no download): 6+6 layers, d_model 768, vocab 50265.
        tokenizer_source = build_model("small", corpus, models_dir)
        torch.manual_seed(0)
        config = BartConfig(vocab_size=50265, d_model=768, encoder_layers=6, decoder_layers=6,
                            encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072,
                            decoder_ffn_dim=3072, max_position_embeddings=1024,
                            pad_token_id=tokenizer_source.tokenizer.pad_token_id,
                            bos_token_id=tokenizer_source.tokenizer.bos_token_id,
                            eos_token_id=tokenizer_source.tokenizer.eos_token_id,
                            decoder_start_token_id=tokenizer_source.tokenizer.eos_token_id)
        model = BartForConditionalGeneration(config)
        return Seq2SeqBundle(model, tokenizer_source.tokenizer, tokenizer_source.target_tokenizer, kind)
    return load_model(kind)


def flops_per_position(model) -> tuple[float, float]:
    """Approximate training FLOPs (6 x weights touched) per encoder position and per decoder position.

    Embedding lookups are free; the output projection (d_model x vocab) counts for the decoder.
    Attention score FLOPs are left out (small at these lengths).
    """
    enc = sum(p.numel() for n, p in model.named_parameters() if ".encoder.layers." in n)
    dec = sum(p.numel() for n, p in model.named_parameters() if ".decoder.layers." in n)
    head = model.config.d_model * model.config.vocab_size
    return 6.0 * enc, 6.0 * (dec + head)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED) if SHARED.is_dir() else "sample")
    parser.add_argument("--model", default="small", help="small | tiny | bart-base-config | FOLDER")
    parser.add_argument("--steps", type=int, default=24, help="timed steps per way")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=120)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-group", action="store_true", help="kit way without length grouping")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args(argv)

    import torch

    corpus = load_corpus(args.data)
    print(corpus.describe(), flush=True)
    bundle = build_model(args.model, corpus, args.out / "models")
    bundle.model.to(args.device)
    params = bundle.num_parameters()
    autocast = "bf16" if args.device.startswith("cuda") else None
    print(f"model {args.model}: {params:,} parameters on {args.device}"
          + (" (bf16 autocast)" if autocast else f" ({torch.get_num_threads()} threads)"), flush=True)
    started = time.monotonic()
    result = compare_padding(bundle, corpus.train, steps=args.steps, batch_size=args.batch_size,
                             max_length=args.max_length, learning_rate=1e-4 if args.model == "bart-base-config"
                             else 1e-3, group_by_length=not args.no_group, device=args.device, autocast=autocast)
    print(result)
    report = {"data": corpus.source, "model": args.model, "parameters": params, "device": args.device,
              "machine": platform.node(), "torch": torch.__version__, "wall_s": round(time.monotonic() - started, 1),
              **result.as_dict()}
    name = "cpu"
    if args.device.startswith("cuda"):
        gpu = torch.cuda.get_device_name(torch.device(args.device))
        name = "gpu"
        per_src, per_tgt = flops_per_position(bundle.model)
        peak = next((v for k, v in BF16_PEAK.items() if k in gpu), None)
        for way in (result.original, result.kit):
            hardware = (per_src * way.computed_source + per_tgt * way.computed_target) / way.seconds
            report[way.name]["tflops_computed"] = hardware / 1e12
            if peak:
                report[way.name]["fraction_of_bf16_peak"] = hardware / peak
        report["gpu"] = gpu
        report["bf16_peak_tflops"] = peak / 1e12 if peak else None
        print(f"GPU {gpu}: computed TFLOP/s original {report['original']['tflops_computed']:.1f}, "
              f"kit {report['kit']['tflops_computed']:.1f}"
              + (f"; fraction of bf16 peak ({peak / 1e12:.0f}): original "
                 f"{report['original']['fraction_of_bf16_peak']:.1%}, kit {report['kit']['fraction_of_bf16_peak']:.1%}"
                 if peak else ""))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"throughput-{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / f"throughput-{name}.md").write_text(
        f"# Throughput ({args.device}, {args.model}, {corpus.source})\n\n```\n{result}\n```\n", encoding="utf-8")
    print(f"results: {args.out / f'throughput-{name}.json'}")
    verdict = "meets" if result.speedup >= 6 else "misses"
    print(f"target: kit >= 6x the original's samples/s -> {result.speedup:.1f}x ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
