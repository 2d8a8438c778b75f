#!/usr/bin/env python3
# Generated from slides/02-program.md (cells tagged "program") by `make program`.
# Edit the lesson, then `make program`: `make check` fails when the two differ.

"""Fine-tune BART English->Japanese with transformers' Seq2SeqTrainer: the workshop's
training program.

  python3 bart_finetuning.py       # facebook/bart-base on ALT, the workshop's settings
  python3 bart_finetuning.py --model_name_or_path DIR --data_dir DIR   # your own files
  torchrun --nproc_per_node 2 bart_finetuning.py   # two GPUs (DDP), the same options

--help lists all the options.
"""


import fcntl, inspect, json, math, os, shutil, signal, socket, sys, time, zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Optional

import numpy as np
import sacrebleu
import torch
from datasets import Dataset, DatasetDict, disable_progress_bars, load_dataset
from huggingface_hub import snapshot_download
from safetensors import safe_open
from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq,
                          HfArgumentParser, Seq2SeqTrainer, Seq2SeqTrainingArguments,
                          TrainerCallback)
from transformers.utils.logging import disable_progress_bar


def option(default, help):
    """An option with its --help text."""
    return field(default=default, metadata={"help": help})


@dataclass
class Arguments:
    """This program's own options. Every Seq2SeqTrainingArguments option works too."""

    model_name_or_path: str = option("facebook/bart-base", "hub id or local folder")
    data_dir: Optional[str] = option(None, "train/dev/test.{en,ja} (default: ALT)")
    dataset_name: str = option("mutiyama/alt", "ALT on the Hugging Face hub")
    # Pinned: every run sees the same data.
    dataset_revision: str = "b844b035b75e9e8f75e03aa82434c657f4719811"
    max_length: int = option(120, "longest input and output, in tokens")
    num_beams: int = 1
    num_samples: int = option(10, "test translations written to samples.txt")
    bleu_tokenize: str = option("none", "none: the Japanese is split into words")
    max_minutes: float = option(0, "stop with a checkpoint after this many minutes")


# The workshop's settings. What you type on the command line comes later, and
# argparse keeps the last value.
WORKSHOP = [
    "--learning_rate", "5e-5", "--num_train_epochs", "1",
    "--per_device_train_batch_size", "16", "--per_device_eval_batch_size", "32",
    "--eval_strategy", "epoch", "--save_strategy", "epoch", "--save_total_limit", "2",
    "--logging_steps", "50", "--predict_with_generate", "true", "--report_to", "none",
    "--output_dir", "runs/job-" + os.environ.get("SLURM_JOB_ID", "local"),
    # A job log gets plain lines, not progress bars.
    "--disable_tqdm", str(not sys.stderr.isatty()),
    # On CPUs too: torchrun then trains as one (gloo).
    "--use_cpu", str(not torch.cuda.is_available()),
    "--dataloader_pin_memory", str(torch.cuda.is_available()),
    "--ddp_find_unused_parameters", "false",
]


# Renamed options (the workshop image has transformers 4.35): --evaluation_strategy
# became --eval_strategy in 4.41, and --group_by_length true (batches of similar
# lengths: less padding) became --train_sampling_strategy.
NEW = inspect.signature(Seq2SeqTrainingArguments).parameters
EVAL = "eval_strategy" if "eval_strategy" in NEW else "evaluation_strategy"
GROUP = (["--train_sampling_strategy", "group_by_length"]
         if "train_sampling_strategy" in NEW else ["--group_by_length", "true"])


def parse_args(argv=None):
    """The workshop's settings, then the command line's. An unknown option (a typo)
    stops here, naming the closest one."""
    argv = WORKSHOP + GROUP + list(sys.argv[1:] if argv is None else argv)
    argv = ["--" + EVAL if a in ("--eval_strategy", "--evaluation_strategy") else a
            for a in argv]
    parser = HfArgumentParser((Arguments, Seq2SeqTrainingArguments))
    *both, unknown = parser.parse_args_into_dataclasses(
        argv, return_remaining_strings=True)
    if unknown:
        word = unknown[0].split("=")[0]
        close = get_close_matches(word, parser._option_string_actions, n=1)
        sys.exit(f"error: unknown option {word}"
                 + (f": did you mean {close[0]}?" if close else ": see --help"))
    return both


def read_text_pairs(data_dir):
    """train/dev/test.{en,ja}: one sentence a line, line n of .en translated on
    line n of .ja."""
    def split(name):
        en, ja = (Path(data_dir, name + lang) for lang in (".en", ".ja"))
        for path in (en, ja):
            if not path.is_file():
                sys.exit(f"error: {path} not found: --data_dir needs train.en/.ja "
                         "and dev.en/.ja (test optional)")
        en_lines, ja_lines = read_lines(en), read_lines(ja)
        if len(en_lines) != len(ja_lines):
            sys.exit(f"error: {en} has {len(en_lines)} lines but {ja} has "
                     f"{len(ja_lines)}: they must pair up")
        return Dataset.from_dict({"en": en_lines, "ja": ja_lines})
    has_test = Path(data_dir, "test.en").is_file()
    return DatasetDict(train=split("train"), validation=split("dev"),
                       test=split("test" if has_test else "dev"))


def read_lines(path):
    """A file's sentences, one a line: UTF-8 (without the BOM some Windows editors
    put first), none of them blank."""
    try:
        data = path.read_bytes()
        lines = data.decode("utf-8-sig").splitlines()
    except OSError as error:
        sys.exit(f"error: cannot read {path}: {error.strerror}")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        sys.exit(f"error: {path} is not UTF-8 (line {line}): save it as UTF-8 "
                 "(from Shift_JIS: iconv -f SJIS -t UTF-8)")
    blank = [str(n) for n, line in enumerate(lines, 1) if not line.strip()]
    if len(blank) == len(lines):
        sys.exit(f"error: {path} is empty: --data_dir needs a sentence a line")
    if blank:
        sys.exit(f"error: {path} has blank lines (line {', '.join(blank[:5])}): "
                 "each line needs a sentence, and its translation on the same line")
    return lines


def load_pairs(args):
    """English-Japanese pairs: columns en, ja; splits train, validation, test."""
    if args.data_dir:
        return read_text_pairs(args.data_dir)
    # ALT's alt-jp parquet files, fetched once into the Hugging Face cache (an
    # offline node: copy that cache).
    folder = snapshot_download(args.dataset_name, repo_type="dataset",
                               revision=args.dataset_revision,
                               allow_patterns="alt-jp/*")
    alt = load_dataset("parquet", data_files={
        split: f"{folder}/alt-jp/{split}-*.parquet"
        for split in ("train", "validation", "test")})
    # A few rows lack one side.
    alt = alt.filter(lambda row: bool(row["en_tokenized"] and row["jp_tokenized"]))
    return alt.map(lambda row: {"en": row["en_tokenized"], "ja": row["jp_tokenized"]},
                   remove_columns=alt["train"].column_names)


def load_model(name):
    # A folder, or a hub id (org/name) such as facebook/bart-base.
    path = os.path.expanduser(name)
    local = (os.path.isdir(path) or name.startswith((".", "/", "~"))
             or name.count("/") > 1)
    if local and not os.path.isfile(os.path.join(path, "config.json")):
        sys.exit(f"error: {name} is not a model folder (no config.json): pass a folder "
                 "written by save_pretrained, or a hub id")
    tokenizer = AutoTokenizer.from_pretrained(path)
    return tokenizer, AutoModelForSeq2SeqLM.from_pretrained(path)


def tokenize(pairs, tokenizer, max_length):
    """Token ids of the inputs and, through text_target=, of the labels. No padding
    yet: see the collator."""
    def encode(batch):
        return tokenizer(batch["en"], text_target=batch["ja"], max_length=max_length,
                         truncation=True)

    return pairs.map(encode, batched=True, remove_columns=["en", "ja"])


def make_trainer(training_args, tokenizer, model, tokenized, callbacks):
    # Pad each batch to its own longest example, and the labels with -100, which the
    # loss ignores.
    collator = DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100)
    # Trainer(tokenizer=...) is called processing_class= since transformers 4.46
    # (tokenizer= is gone in 5).
    new = "processing_class" in inspect.signature(Seq2SeqTrainer).parameters
    tok = "processing_class" if new else "tokenizer"
    return Seq2SeqTrainer(model=model, args=training_args, data_collator=collator,
                          callbacks=callbacks, train_dataset=tokenized["train"],
                          eval_dataset=tokenized["validation"], **{tok: tokenizer})


class TimeBudget(TrainerCallback):
    """Stop with a checkpoint after `minutes`, or once `stopped` is set (SIGTERM,
    Ctrl-C: see stop_on_signals). Run again with the same --output_dir, and training
    resumes from that checkpoint."""

    def __init__(self, minutes):
        self.deadline = time.monotonic() + minutes * 60 if minutes > 0 else None
        self.stopped = None

    def on_step_end(self, args, state, control, **kwargs):
        if self.deadline and time.monotonic() > self.deadline:
            self.stopped = self.stopped or "time budget"
        if self.stopped:
            print(f"{self.stopped}: saving a checkpoint, then stopping", flush=True)
            control.should_training_stop = control.should_save = True
        return control


@contextmanager
def stop_on_signals(budget):
    """While training, SIGTERM (Slurm: --time reached, scancel) and Ctrl-C stop it
    with a checkpoint (TimeBudget); a second Ctrl-C stops at once."""
    def stop(signum, frame):
        if budget.stopped and signum == signal.SIGINT:
            raise KeyboardInterrupt
        budget.stopped = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        again = " (Ctrl-C again: stop now)" if signum == signal.SIGINT else ""
        print(f"{budget.stopped}: stopping at the end of this step, with a checkpoint"
              + again, file=sys.stderr, flush=True)

    before = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:  # afterwards (and in a notebook's kernel) Ctrl-C stops at once again
        for signum, handler in before.items():
            signal.signal(signum, handler)


def resume_point(args):
    """The checkpoint to go on from: --resume_from_checkpoint (check_args looked at
    it), else the newest good one in --output_dir (an interrupted run), else None."""
    last = args.resume_from_checkpoint or last_good_checkpoint(args.output_dir)
    if last and not os.path.samefile(Path(last).parent, args.output_dir):
        print(f"resuming from {last}, a checkpoint of another run (this one writes to "
              f"{args.output_dir})", flush=True)
    elif last:
        print(f"resuming from {last}", flush=True)
    return last


def train(trainer):
    last = resume_point(trainer.args)
    if last:
        # Checkpoints leave out the tied copies of the embeddings, which loading
        # model.shared restores: say so, or the Trainer warns that they are "missing".
        kept = dict(trainer.model.named_parameters())
        trainer.model._keys_to_ignore_on_save = [
            name for name, _ in trainer.model.named_parameters(remove_duplicate=False)
            if name not in kept]
    result = trainer.train(resume_from_checkpoint=last)
    trainer.save_state()  # trainer_state.json: every logged loss, for the plot
    return {"train_loss": result.training_loss,
            "global_step": trainer.state.global_step, "epoch": trainer.state.epoch,
            "resumed_from": last, "world_size": trainer.args.world_size,
            "device": str(trainer.args.device),
            "train_runtime_s": result.metrics["train_runtime"],
            "train_samples_per_second": result.metrics["train_samples_per_second"]}


def translate_and_score(trainer, tokenizer, pairs, tokenized, args):
    """Translate the test set, score it with sacrebleu (no evaluate.load download)."""
    out = trainer.predict(tokenized["test"], max_length=args.max_length,
                          num_beams=args.num_beams)
    ids = np.where(out.predictions != -100, out.predictions, tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
    references = pairs["test"]["ja"]
    # [: len(references)]: several GPUs pad the last batch.
    outputs = [" ".join(text.split()) for text in texts][: len(references)]
    bleu = sacrebleu.BLEU(tokenize=args.bleu_tokenize)
    score = bleu.corpus_score(outputs, [references])
    return {"bleu": score.score, "bleu_signature": str(bleu.get_signature()),
            "test_sentences": len(outputs)}, outputs


def write_results(output_dir, metrics, pairs, outputs, num_samples):
    """metrics.json, samples.txt (入力 / 正解 / 生成文), and the test translations
    and references, one a line."""
    Path(output_dir, "metrics.json").write_text(
        json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    samples = zip(pairs["test"]["en"][:num_samples], pairs["test"]["ja"], outputs)
    Path(output_dir, "samples.txt").write_text("".join(
        f"入力: {en}\n正解: {ja}\n生成文: {out}\n\n" for en, ja, out in samples),
        encoding="utf-8")
    for name, lines in (("test_predictions.txt", outputs),
                        ("test_references.txt", pairs["test"]["ja"])):
        Path(output_dir, name).write_text("".join(line + "\n" for line in lines),
                                          encoding="utf-8")


def save_and_test(trainer, tokenizer, pairs, tokenized, args, metrics):
    """After training: the model, its BLEU on the test set, the results files."""
    trainer.save_model()  # the model and tokenizer, for from_pretrained(output_dir)
    scores, outputs = translate_and_score(trainer, tokenizer, pairs, tokenized, args)
    metrics.update(scores, eval_loss=trainer.evaluate()["eval_loss"])
    if trainer.is_world_process_zero():
        out = trainer.args.output_dir
        write_results(out, metrics, pairs, outputs, args.num_samples)
        print(f"BLEU {scores['bleu']:.2f} ({scores['bleu_signature']}); "
              f"results in {out}")
    return metrics


def main(argv=None):
    args, training_args = parse_args(argv)
    if training_args.disable_tqdm:
        disable_progress_bar()
        disable_progress_bars()
    check_args(args, training_args)
    out = training_args.output_dir
    lock = lock_run_folder(out)  # noqa: F841 - held until we end
    with no_traceback(out):  # Ctrl-C twice, a full disk: one line, checkpoints kept
        pairs = load_pairs(args)
        tokenizer, model = load_model(args.model_name_or_path)
        tokenized = tokenize(pairs, tokenizer, args.max_length)
        budget = TimeBudget(args.max_minutes)
        trainer = make_trainer(training_args, tokenizer, model, tokenized, [budget])
        with stop_on_signals(budget):
            metrics = train(trainer)
        if budget.stopped:
            print(f"stopped ({budget.stopped}) at step {trainer.state.global_step}: "
                  f"to go on, run again with --output_dir {out}", flush=True)
            return metrics
        return save_and_test(trainer, tokenizer, pairs, tokenized, args, metrics)


def check_args(args, training_args):
    """Mistakes fail here, before anything heavy starts (transformers would fail
    later, with a traceback)."""
    output_dir, resume = training_args.output_dir, training_args.resume_from_checkpoint
    if Path(output_dir, "metrics.json").is_file():
        sys.exit(f"error: {output_dir} holds a finished run: pass another --output_dir")
    given = {**vars(training_args), **vars(args)}
    for name, workshop in (("learning_rate", "5e-5"), ("num_train_epochs", "1"),
                           ("per_device_train_batch_size", "16"), ("max_length", "120"),
                           ("per_device_eval_batch_size", "32"), ("num_beams", "1")):
        if not (math.isfinite(given[name]) and given[name] > 0):
            sys.exit(f"error: --{name} {given[name]} must be a positive number (the "
                     f"workshop's: --{name} {workshop})")
    why = resume and (damage(resume) if os.path.isdir(resume) else "no such folder")
    if why:
        sys.exit(f"error: --resume_from_checkpoint {resume}: not a checkpoint ({why})")
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as error:  # a mistyped or read-only path: say so now, not later
        sys.exit(f"error: cannot make --output_dir {output_dir}: {error.strerror}")


def lock_run_folder(output_dir):
    """One program per run folder: a second one would mix its checkpoints with ours.
    Freed when we exit."""
    if os.environ.get("RANK", "0") != "0":  # torchrun: the first process speaks for all
        return None
    lock = open(os.path.join(output_dir, "run.lock"), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = (lock.read().split() or ["?"]) + ["?"]
        sys.exit(f"error: {output_dir} is in use by pid {holder[0]} on {holder[1]}: "
                 "wait for that run to end (squeue), or pass another --output_dir")
    lock.truncate(0)
    # Who holds it, for the message above.
    print(os.getpid(), socket.gethostname(), file=lock, flush=True)
    return lock


def damage(checkpoint):
    """What keeps a checkpoint from loading (cut short, garbled, missing), or None."""
    checkpoint = Path(checkpoint)
    try:
        if (checkpoint / "model.safetensors").exists():
            safe_open(str(checkpoint / "model.safetensors"), "pt").keys()
        # torch.save writes a zip: one cut short has no index.
        if (checkpoint / "optimizer.pt").exists():
            zipfile.ZipFile(checkpoint / "optimizer.pt").close()
        json.loads((checkpoint / "trainer_state.json").read_text())
    except Exception as error:  # any damage: say which
        return f"{type(error).__name__}: {error}"
    return None


def last_good_checkpoint(output_dir):
    """The newest checkpoint that loads: a job killed while saving leaves a damaged
    one behind."""
    found = sorted(Path(output_dir).glob("checkpoint-[0-9]*"),
                   key=lambda p: int(p.name.split("-")[1]))
    for checkpoint in reversed(found):
        why = damage(checkpoint)
        if not why:
            return str(checkpoint)
        print(f"skipping {checkpoint}: damaged ({why})", flush=True)
    return None


@contextmanager
def no_traceback(output_dir):
    """A second Ctrl-C, a full disk (or quota): an error line, not a traceback. The
    last good checkpoint stays, to go on from."""
    try:
        yield
        return  # no error
    except KeyboardInterrupt:
        why = "stopped at once (Ctrl-C)"
    except Exception as error:  # ENOSPC, or torch's vaguer error when the disk is full
        free, text = shutil.disk_usage(output_dir).free, str(error)
        if free > 2**20 and "No space left" not in text and "quota" not in text:
            raise
        why = f"the disk is full: cannot save in {output_dir} ({free // 1024} KiB free)"
    last = last_good_checkpoint(output_dir)
    go_on = f"{last} is kept: to go on, run again with --output_dir {output_dir}"
    sys.exit(f"error: {why}. " + (go_on if last else "No checkpoint was written yet."))


if __name__ == "__main__":
    main()
