"""The participant's program, bart_finetuning.py: one source with lesson 02, standalone, correct.

The program runs in fresh processes whose ``kit`` is a poisoned stand-in (importing it fails): it must
need nothing but the stdlib, torch, transformers, datasets, sacrebleu and huggingface_hub.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from warm import WarmPython  # tests/ is on sys.path

from kit import program
from kit.data import SAMPLE_DIR, Corpus, load_corpus
from kit.model import TinySettings, make_tiny_bart
from kit.profiles import random_batches
from kit.sites import PROJECT_ROOT

PROGRAM = PROJECT_ROOT / "bart_finetuning.py"
TINY = TinySettings(vocab_size=600, d_model=64, layers=1, heads=2, ffn_dim=128, dropout=0.0)


def write_pairs(folder: Path, pairs: list[tuple[str, str]], splits=("train", "dev", "test")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for split in splits:
        (folder / f"{split}.en").write_text("".join(en + "\n" for en, _ in pairs), encoding="utf-8")
        (folder / f"{split}.ja").write_text("".join(ja + "\n" for _, ja in pairs), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def overfit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """32 sample pairs as train = dev = test, and a tiny BART whose tokenizer was trained on them."""
    root = tmp_path_factory.mktemp("overfit")
    pairs = load_corpus("sample").train[:32]
    data = write_pairs(root / "data", pairs)
    model = make_tiny_bart(root / "model", Corpus(pairs, pairs, pairs, source="32 pairs"), TINY)
    return data, model


@pytest.fixture(scope="module")
def warm_program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmPython]:
    """``python bart_finetuning.py`` as a participant has it: alone in a folder, where ``import kit`` fails (the
    folder's ``kit.py`` comes first on sys.path); its imports paid once (tests/warm.py)."""
    folder = tmp_path_factory.mktemp("participant")
    shutil.copy2(PROGRAM, folder / PROGRAM.name)
    (folder / "kit.py").write_text("raise ImportError('bart_finetuning.py must not import kit')\n")
    server = WarmPython(folder / PROGRAM.name, {**os.environ, "HF_HUB_OFFLINE": "1"})
    yield server
    server.close()


def run_program(warm: WarmPython, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return warm.run(args, cwd=cwd, env=warm.env, timeout=600)


def test_program_file_is_generated_from_lesson_02() -> None:
    program.check_program()
    assert PROGRAM.read_text(encoding="utf-8") == program.render_program()
    assert "import kit" not in PROGRAM.read_text(encoding="utf-8")
    # Readable in one sitting: ~250 lines of training at 88 columns, plus what the fault drills asked for: the
    # run-folder lock, the damaged-checkpoint fallback, the early checks of values, options and data files, and
    # Ctrl-C and a full disk said in one line.
    assert len(PROGRAM.read_text(encoding="utf-8").splitlines()) <= 420


def test_the_program_is_at_most_88_columns() -> None:
    # Lesson 02 shows the program on its slides: 88 columns is what fits at the theme's 18 px code.
    lines = PROGRAM.read_text(encoding="utf-8").splitlines()
    long = [f"line {n}: {len(line)} columns" for n, line in enumerate(lines, 1) if len(line) > 88]
    assert not long, f"{PROGRAM.name} is wider than 88 columns (edit lesson 02, then make program): " + \
        "; ".join(long)


@pytest.mark.parametrize("side", ["program", "lesson"])
def test_a_change_on_either_side_fails_naming_the_lesson_cell(tmp_path: Path, side: str) -> None:
    lesson, prog = tmp_path / "02-program.md", tmp_path / "bart_finetuning.py"
    shutil.copy(program.LESSON, lesson)
    shutil.copy(PROGRAM, prog)
    target = prog if side == "program" else lesson
    text = target.read_text(encoding="utf-8")
    old = "    collator = DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100)"
    assert text.count(old) == 1
    target.write_text(text.replace(old, old.replace("-100", "-99")), encoding="utf-8")
    with pytest.raises(program.ProgramDrift) as err:
        program.check_program(lesson, prog)
    message = str(err.value)
    assert "「`Seq2SeqTrainer` を組み立てる: 詰め物は -100」" in message and "code cell" in message
    assert "make program" in message and "-99" in message


def test_program_passes_vermin_for_python_3_8() -> None:
    vermin = Path(sys.executable).with_name("vermin")
    proc = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", str(PROGRAM)], text=True,
                          capture_output=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("spelling", ["--eval_strategy", "--evaluation_strategy"])
def test_both_eval_strategy_spellings(spelling: str) -> None:
    prog = program.load_program()
    _, training_args = prog.parse_args([spelling, "steps", "--eval_steps", "7", "--output_dir", "x"])
    strategy = getattr(training_args, prog.EVAL)
    assert getattr(strategy, "value", strategy) == "steps" and training_args.eval_steps == 7


def test_workshop_defaults_and_command_line_wins() -> None:
    prog = program.load_program()
    args, training_args = prog.parse_args([])
    assert (training_args.learning_rate, training_args.num_train_epochs) == (5e-5, 1.0)
    assert training_args.per_device_train_batch_size == 16 and args.max_length == 120
    assert args.model_name_or_path == "facebook/bart-base" and args.data_dir is None
    _, changed = prog.parse_args(["--learning_rate", "1e-3", "--output_dir", "mine"])
    assert changed.learning_rate == 1e-3 and changed.output_dir == "mine"


# A data folder without dev files, sides that do not pair up, a model folder that is not there: the
# fault drills (tests/test_drills.py: program-no-dev, program-mismatched-lines, program-model-nope).


def test_batches_are_padded_to_their_longest_with_minus_100_labels(tmp_path: Path) -> None:
    """What lesson 02 shows and measures: the program's batches against the original script's padding to 120."""
    prog = program.load_program()
    folder = make_tiny_bart(tmp_path / "model", load_corpus("sample"),
                            TinySettings(vocab_size=600, d_model=32, layers=1, heads=2, ffn_dim=64))
    tokenizer, model = prog.load_model(str(folder))
    pairs = prog.read_text_pairs(SAMPLE_DIR)
    tokenized = prog.tokenize(pairs, tokenizer, 120)
    training_args = prog.parse_args(["--output_dir", str(tmp_path / "run")])[1]
    features = [tokenized["train"][i] for i in range(16)]
    batch = prog.make_trainer(training_args, tokenizer, model, tokenized, []).data_collator(features)
    lengths = [len(f["labels"]) for f in features]
    assert batch["labels"].shape[1] == max(lengths) < 120  # padded to the longest in the batch, not to 120
    for row, length in zip(batch["labels"].tolist(), lengths, strict=True):
        assert row[length:] == [-100] * (len(row) - length) and -100 not in row[:length]
    pad = tokenizer.pad_token_id
    for row, mask in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist(), strict=True):
        assert all((token == pad) == (m == 0) for token, m in zip(row, mask, strict=True))
    # The decoder input is the labels shifted right, with the pad id (never -100) in the padding.
    assert (batch["decoder_input_ids"] >= 0).all()
    # The original script: every example 120 tokens, the pad id left in the labels (lesson 02's pad_to_120).
    original = tokenizer(pairs["train"]["en"][:16], text_target=pairs["train"]["ja"][:16], max_length=120,
                         truncation=True, padding="max_length")["labels"]
    assert {len(row) for row in original} == {120} and not any(-100 in row for row in original)
    real = sum(lengths)
    assert 1 - real / (16 * 120) > 0.7 > 1 - real / batch["labels"].numel()  # the share of padding computed


def test_data_files_lose_a_bom_and_windows_line_ends(tmp_path: Path) -> None:
    prog = program.load_program()
    path = tmp_path / "train.en"
    path.write_bytes("\ufeffHello.\r\nGood night.\r\n".encode())
    assert prog.read_lines(path) == ["Hello.", "Good night."]


def test_sigterm_and_ctrl_c_are_caught_only_while_training() -> None:
    prog = program.load_program()
    budget, before = prog.TimeBudget(0), signal.getsignal(signal.SIGINT)
    with prog.stop_on_signals(budget):
        signal.raise_signal(signal.SIGTERM)
        assert budget.stopped == "SIGTERM"  # the next step's end saves a checkpoint and stops
        with pytest.raises(KeyboardInterrupt):  # Ctrl-C while stopping: at once
            signal.raise_signal(signal.SIGINT)
    # A notebook's kernel gets its own Ctrl-C back (and this process its SIGTERM).
    assert signal.getsignal(signal.SIGINT) is before and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_overfits_32_pairs_to_bleu_100_then_refuses_to_overwrite(tmp_path: Path, overfit: tuple[Path, Path],
                                                                  warm_program: WarmPython) -> None:
    # An under-trained model may emit one constant sentence; memorising 32 pairs shows that the whole
    # chain (tokenizer, text_target labels, -100 padding, generation, decoding, BLEU) is right.
    data, model = overfit
    args = ["--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", "run",
            "--max_steps", "400", "--per_device_train_batch_size", "8", "--learning_rate", "3e-3",
            "--eval_strategy", "no", "--save_strategy", "no", "--logging_steps", "100", "--max_length", "64",
            # Random batches: length grouping (the program's default) puts the same 32 pairs in the same 4
            # batches every epoch, and the tiny model then stops short of memorising them (BLEU ~9).
            *random_batches()]
    proc = run_program(warm_program, args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "run"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["bleu"] > 99.0, metrics
    assert metrics["test_sentences"] == 32 and "tok:none" in metrics["bleu_signature"]
    assert metrics["world_size"] == 1 and metrics["resumed_from"] is None
    samples = (out / "samples.txt").read_text(encoding="utf-8")
    assert samples.count("入力: ") == samples.count("正解: ") == samples.count("生成文: ") == 10
    history = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
    assert [h["step"] for h in history if "loss" in h] == [100, 200, 300, 400]
    assert (out / "test_predictions.txt").read_text(encoding="utf-8").splitlines() == \
        (out / "test_references.txt").read_text(encoding="utf-8").splitlines()
    before = (out / "metrics.json").read_bytes()
    again = run_program(warm_program, args, tmp_path)
    assert again.returncode == 1 and "holds a finished run" in again.stderr
    assert (out / "metrics.json").read_bytes() == before


def test_time_budget_stops_with_a_checkpoint_and_the_same_command_resumes(tmp_path: Path,
                                                                          overfit: tuple[Path, Path],
                                                                          warm_program: WarmPython) -> None:
    data, model = overfit
    args = ["--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", "run",
            "--max_steps", "12", "--per_device_train_batch_size", "8", "--logging_steps", "1",
            "--eval_strategy", "no", "--max_length", "64"]
    first = run_program(warm_program, [*args, "--max_minutes", "0.000001"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "stopped (time budget) at step 1" in first.stdout and (tmp_path / "run" / "checkpoint-1").is_dir()
    assert not (tmp_path / "run" / "metrics.json").exists()
    second = run_program(warm_program, args, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "run again with --output_dir run" in first.stdout and "resuming from run/checkpoint-1" in second.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["resumed_from"] == "run/checkpoint-1" and metrics["global_step"] == 12
