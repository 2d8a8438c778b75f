"""Fault drills: what a hurried participant does wrong, run for real, and what the kit and the program answer.

The table below is the project's reliability record. Each row runs the real command in a
subprocess, in a temporary folder with a temporary ``HOME``: ``kit ...`` is ``python -m kit ...``,
``program ...`` is ``python bart_finetuning.py ...``, ``make ...`` the project's Makefile (``-o setup``),
``lab NAME`` a lesson's notebook run as in ``make lab`` (the site from ``$KIT_SITE``), ``notebook ARGS``
lesson 02's program cells in its kernel, then a cell ``main([ARGS])`` (notebook_main). A row fails when the
output holds a Python traceback, when the exit code differs, when the message fragment is missing (or a
``never`` fragment is there), when a protected file changed (hashed before and after), or when it took
longer than its ``seconds``. Placeholders:
``{tmp}`` the row's folder, ``{home}`` its HOME, ``{model}``/``{data}`` a tiny BART and 8 pairs
(built once), ``{long}`` an English line longer than the tiny model reads. Exit codes: 1 the
program's ``error:`` lines, 2 ConfigError, 5 SlurmError, 7 DataError, 8 TrainError, 9 LessonError
(kit/errors.py). A setup may add placeholders of its own (``{job}``: a job id it submitted).

Stopping at SIGTERM (Slurm's --time, scancel) and resuming is drilled with real Slurm in
tests/test_training_job.py (a 1-minute job ends TIMEOUT, the resubmission continues from its step); Ctrl-C
(SIGINT, once and twice) and a full disk while saving are rows here.

To add a drill: one ``Drill(...)`` row with a comment saying what the participant did; if it needs
files, a ``@setup`` function below the table; if the program needs a fix, mark the row
``xfail(strict=True, reason="program fix pending: ...")`` until lesson 02 has it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from warm import WarmPython  # tests/ is on sys.path

from kit.sites import PROJECT_ROOT

SLOW, SLURM = pytest.mark.slow, pytest.mark.slurm
RUN = "--model_name_or_path {model} --data_dir {data} --output_dir run --max_steps 2 --eval_strategy no " \
      "--save_strategy no --max_length 32 --per_device_train_batch_size 4 --report_to none"
CTRL_C = " --max_steps 2000 --save_strategy steps --save_steps 2"  # pressed once checkpoint-2 is there


def pending(why: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"program fix pending: {why}")


@dataclass(frozen=True)
class Drill:
    """One fault drill: ``argv`` must exit ``code`` saying ``says``, and leave ``unchanged`` as it was."""

    id: str
    argv: str
    code: int
    says: str | tuple[str, ...]
    setup: str | None = None
    unchanged: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # paths the command must not leave behind (e.g. a half-made run folder)
    marks: tuple[pytest.MarkDecorator, ...] = ()
    needs_assets: bool = False
    seconds: float | None = None  # must answer within this many seconds (Slurm unreachable)


DRILLS = [
    # --- translate -----------------------------------------------------------------------------------------
    # Typed the input file's name wrong.
    Drill("translate-file-missing", "kit translate --model ./nomodel --file missing.txt", 2,
          "missing.txt does not exist"),
    # Passed a Shift_JIS file saved by a Windows editor.
    Drill("translate-file-not-utf8", "kit translate --model ./nomodel --file sjis.txt", 2,
          "sjis.txt is not UTF-8 text", setup="sjis_file"),
    # Passed an empty file (the redirect that made it failed): must not exit 0 saying nothing.
    Drill("translate-file-empty", "kit translate --model ./nomodel --file empty.txt", 2,
          "empty.txt is empty: there is nothing to translate", setup="empty_file"),
    # Gave a run folder that is not there: a path, never a hub id.
    Drill("translate-model-missing", "kit translate --model {tmp}/x/nomodel hello", 2,
          "no model folder", never=("huggingface.co", "Repo id")),
    Drill("translate-model-dot-nope", "kit translate --model ./nope hello", 2, "no model folder ./nope",
          never=("huggingface.co",)),
    # Gave the folder above the run (or any folder) instead of the run.
    Drill("translate-not-a-model", "kit translate --model notes hello", 2,
          "notes is not a model folder: it has no config.json", setup="notes_folder"),
    # Gave a run that stopped at its time limit (no final model yet, a checkpoint inside).
    Drill("translate-stopped-run", "kit translate --model stopped hello", 2,
          "use its newest checkpoint, stopped/checkpoint-4", setup="stopped_run"),
    # Translated with a run whose job was killed while saving the model (truncated model.safetensors).
    Drill("translate-truncated-weights", "kit translate --model run hello", 8,
          "model.safetensors", setup="truncated_run", unchanged=("run",), marks=(SLOW,), needs_assets=True),
    # A whole paragraph on one line: longer than the model reads, cut with a note.
    Drill("translate-long-input", "kit translate --model {model} {long}", 0, "cut to the first",
          marks=(SLOW,), needs_assets=True),
    # The run's metrics.json is damaged: the model itself must still translate (nothing lost).
    Drill("translate-run-damaged-metrics", "kit translate --model run hello", 0, "",
          setup="damaged_metrics_run", unchanged=("run",), marks=(SLOW,), needs_assets=True),
    # --- bleu, plot, results ---------------------------------------------------------------------------------
    # Gave the run folder instead of its test_predictions.txt.
    Drill("bleu-folder", "kit bleu hyps ref.txt", 2, "hyps is a folder", setup="bleu_folder"),
    # Scored a translation file that lost a line against the references.
    Drill("bleu-line-mismatch", "kit bleu hyp.txt ref.txt", 7, "hyp.txt has 2 lines but ref.txt has 1",
          setup="bleu_uneven"),
    # Plotted into a path under a file.
    Drill("plot-out-unwritable", "kit plot run --out blocker/loss.png", 2, "blocker is a file, not a folder",
          setup="state_run", unchanged=("blocker", "run")),
    # Gave a folder as --out.
    Drill("plot-out-folder", "kit plot run --out run", 2, "run is a folder", setup="state_run",
          unchanged=("run",)),
    # Plotted a folder that is not a run.
    Drill("plot-no-state", "kit plot notes", 7, "no trainer_state.json in notes", setup="notes_folder"),
    # Plotted a run whose trainer_state.json was cut short.
    Drill("plot-damaged-state", "kit plot run", 7, "is damaged: not valid JSON", setup="damaged_state_run",
          unchanged=("run",)),
    # Read the results of a run whose metrics.json was cut short.
    Drill("results-damaged-metrics", "kit results run", 8, "run/metrics.json is damaged",
          setup="damaged_metrics", unchanged=("run",)),
    # --- slurm, container ------------------------------------------------------------------------------------
    # Wrote the job script "into" a folder.
    Drill("slurm-script-out-folder", "kit slurm script train --site ci -o outdir", 2, "outdir is a folder",
          setup="outdir"),
    # Wrote env.def "into" a folder.
    Drill("container-def-out-folder", "kit container def --site ci --out outdir", 2, "outdir is a folder",
          setup="outdir"),
    # Validated a folder instead of its env.def.
    Drill("container-validate-folder", "kit container validate outdir --site ci", 2,
          "cannot read the definition file: outdir is a folder", setup="outdir"),
    # Submitted where a file named logs stands in the way of the log folder.
    Drill("slurm-submit-log-folder", "kit slurm submit job.sbatch --site local --cwd sub", 2,
          "cannot create the job's log folder", setup="logs_blocked", unchanged=("sub/logs",)),
    # Asked for 99 GPUs.
    Drill("slurm-gpus-99", "kit slurm submit gpu.sbatch --site ci", 5,
          ("cannot give --gpus tesla:99, the request in the job script", "Change the script's --gpus"),
          never=("the site profile's GPU setting",), setup="gpu_script", marks=(SLURM,)),
    # Asked for the log of a job that ended, after deleting the log: not "not written yet".
    Drill("slurm-logs-deleted", "kit slurm logs {job}", 0, "missing: the job has ended",
          never=("not written yet",), setup="finished_job_log_deleted", marks=(SLURM,)),
    # A typo in a site profile (a table header without its closing bracket).
    Drill("site-toml-syntax", "kit doctor --site broken", 2, ("broken.toml: invalid TOML", "at line 2"),
          setup="broken_site"),
    # A value of the wrong type in a site profile.
    Drill("site-toml-type", "kit doctor --site wrongtype", 2, "'slurm.gpus' must be str, got 1",
          setup="broken_site"),
    # env.def with a misspelt section and no From: line: both named with their lines, nothing built.
    Drill("container-validate-errors", "kit container validate bad.def --site ci", 2,
          ("bad.def:1: error: 'Bootstrap: localimage' needs a 'From:' line", "bad.def:2: error: unknown section "
           "%pots", "did you mean %post?"), setup="bad_def", unchanged=("bad.def",)),
    # Typed the site's name wrong: the sites are listed and the closest one named, before anything runs.
    Drill("site-name-typo", "kit slurm script train --site ie-ryuku", 2,
          ("no site profile 'ie-ryuku'", "did you mean ie-ryukyu?", "pick one of: ci, ie-ryukyu, local, rehearsal")),
    # The same typo for make slides: said before any kernel starts, not inside a cell ("fix the cell").
    Drill("slides-site-typo", "litmarp slides 03-slurm --site ie-ryuku --out {tmp}/out --fit off", 2,
          "did you mean ie-ryukyu?", never=("fix the cell",), setup="talk", absent=("out", "cache")),
    # A lesson that never loads the site, built for a site that does not exist: never rendered nor cached.
    Drill("slides-unknown-site-not-cached", "litmarp slides talk/nosite.md --site nosuch --out out --fit off", 2,
          "no site profile 'nosuch'", setup="nosite_lesson", absent=("out", "cache")),
    # A site profile asking for 0 GPUs: the job would train on the CPU until its time limit.
    Drill("site-gpus-zero-script", "kit slurm script train --site zerogpu", 2,
          ("zerogpu.toml: slurm.gpus = 'tesla:0' asks for no GPU", "train on the CPU"), setup="slurm_value_sites"),
    Drill("site-gpus-zero-doctor", "kit doctor --site zerogpu", 2,
          "zerogpu.toml: slurm.gpus = 'tesla:0' asks for no GPU", setup="slurm_value_sites"),
    # The same site for make slides: the site file and key, before any kernel starts.
    Drill("slides-site-gpus-zero", "litmarp slides 03-slurm --site zerogpu --out {tmp}/out --fit off", 2,
          "zerogpu.toml: slurm.gpus = 'tesla:0'", never=("fix the cell",), setup="slurm_value_sites",
          absent=("out", "cache")),
    # A time limit in words: sbatch would refuse it only at submission, blaming the #SBATCH line.
    Drill("site-time-forever-script", "kit slurm script train --site forever", 2,
          ("forever.toml: slurm.time = 'forever' is not a Slurm time", '"HH:MM:SS"'), setup="slurm_value_sites"),
    Drill("site-time-forever-doctor", "kit doctor --site forever", 2, "forever.toml: slurm.time = 'forever'",
          setup="slurm_value_sites"),
    # A sign slipped into the memory.
    Drill("site-mem-negative", "kit slurm script train --site negmem", 2,
          "negmem.toml: slurm.mem = '-4G' is not a memory size", setup="slurm_value_sites"),
    # Memory without a unit (Slurm reads megabytes: 4000 is 4 GB only by luck, 8 is 8 MB).
    Drill("site-mem-no-unit", "kit doctor --site nounit", 2, ("nounit.toml: slurm.mem = '4000' has no unit", '"8G"'),
          setup="slurm_value_sites"),
    # The participant's notebook (make lab) with the typo in KIT_SITE: the first cell that loads the site says so.
    Drill("notebook-site-typo", "lab 03-slurm", 2, ("code cell 2 of", "raised ConfigError",
                                                    "did you mean ie-ryukyu?"), setup="kit_site_typo"),
    # The participant's notebook with the 0-GPU site, and lesson 01's with the time in words.
    Drill("notebook-site-gpus-zero", "lab 03-slurm", 2, ("code cell 2 of", "slurm.gpus = 'tesla:0'"),
          setup="kit_site_zerogpu"),
    Drill("notebook-site-time-forever", "lab 01-container", 2, ("code cell 2 of", "slurm.time = 'forever'"),
          setup="kit_site_forever"),
    # Slurm's controller is down (here: slurm.conf points at a closed port): said in seconds, not after a minute.
    Drill("slurm-unreachable-submit", "kit slurm submit job.sbatch --site ci", 5,
          ("Slurm is not reachable: `scontrol ping` says: Slurmctld(primary)", "is DOWN", "make slurm-up"),
          setup="slurm_unreachable", seconds=6, marks=(SLURM,)),
    Drill("slurm-unreachable-status", "kit slurm status 1", 5, "Slurm is not reachable", setup="slurm_unreachable",
          seconds=6, marks=(SLURM,)),
    # Asked for a job's log while Slurm is down: not "no log file" after 45 s and exit 0.
    Drill("slurm-unreachable-logs", "kit slurm logs 1", 5, "Slurm is not reachable", setup="slurm_unreachable",
          seconds=6, marks=(SLURM,)),
    Drill("slurm-unreachable-doctor", "kit doctor --site ci", 1,
          ("Slurm is not reachable: `scontrol ping` says: Slurmctld(primary) at unreachable is DOWN",
           "MISSING (required): Slurm controller"), setup="slurm_unreachable", marks=(SLURM,)),
    # No readable slurm.conf (scontrol retries for 60 s): said after the ping's 5 s.
    Drill("slurm-conf-missing", "kit slurm status 1", 5, ("did not answer within 5 s", "cannot stat file"),
          setup="slurm_conf_missing", seconds=15, marks=(SLURM,)),
    # --- Makefile --------------------------------------------------------------------------------------------
    # A site name with a command after it, run for real: make stops before the recipe, nothing else runs.
    Drill("make-site-runs-a-command", "make slides 'SITE=local --help; touch {tmp}/pwned #'", 2,
          "SITE='local --help; touch", absent=("pwned",)),
    # A site name with a space (make -n shows what would run: nothing).
    Drill("make-site-space", "make -n slides 'SITE=ie ryukyu'", 2, "SITE='ie ryukyu' is not a name",
          never=("-m kit",)),
    # An output folder with a space: one argument, quoted.
    Drill("make-out-space", "make -n slides 'OUT=my decks'", 0, "--out 'my decks'"),
    # A lesson list with a ';'.
    Drill("make-lessons-semicolon", "make -n slides-fast 'LESSONS=01-container; rm -rf ~'", 2,
          "LESSONS='01-container; rm -rf ~' is not a list of names", never=("-m kit",)),
    # make lab with a KIT_SITE from the shell that holds a space.
    Drill("make-lab-kit-site-space", "make -n lab", 2, "KIT_SITE='ie ryukyu' is not a name", setup="kit_site_space",
          never=("jupyterlab",)),
    # --- storage (a site whose work_dir is ~, in a temporary HOME) -------------------------------------------
    # Cleaned ~/.ssh because the site's work folder is ~.
    Drill("storage-clean-ssh", "kit storage clean {home}/.ssh --yes --site athome", 2, "refusing to delete",
          setup="home_sites", unchanged=("home/.ssh",)),
    # Cleaned the home folder itself.
    Drill("storage-clean-home", "kit storage clean {home} --yes --site athome", 2, "your home directory",
          setup="home_sites", unchanged=("home/.ssh", "home/workshop2024")),
    # Cleaned the whole work folder, even naming it twice.
    Drill("storage-clean-work-dir", "kit storage clean {home}/workshop2024 --whole {home}/workshop2024 --yes "
          "--site course", 2, "refusing to delete the work directory", setup="home_sites",
          unchanged=("home/.ssh", "home/workshop2024")),
    # Cleaned a system folder.
    Drill("storage-clean-etc", "kit storage clean /etc --yes --site ci", 2,
          "refusing to delete /etc: it is not something the workshop made"),
    # Wrote the usage chart under a file.
    Drill("storage-du-plot-unwritable", "kit storage du --site athome --plot blocker/du.png", 2,
          "blocker is a file, not a folder", setup="home_sites", unchanged=("blocker",)),
    # --- lessons ---------------------------------------------------------------------------------------------
    # A git merge left conflict markers in a notebook.
    Drill("lessons-check-conflicted-notebook", "litmarp check", 9,
          ("notebooks/05-extras.ipynb has merge-conflict markers (line 2)",
           "run `jupytext --sync slides/05-extras.md`"),
          setup="conflicted_notebook", unchanged=("copy/notebooks/05-extras.ipynb",)),
    # The same in the lesson's Markdown source (jupytext would read it, and only "out of sync" was said).
    Drill("lessons-check-conflicted-source", "litmarp check", 9,
          ("slides/05-extras.md has merge-conflict markers", "resolve the conflict in slides/05-extras.md"),
          setup="conflicted_source", unchanged=("copy/slides/05-extras.md",)),
    # Rendered into the lessons' own folder (make slides OUT=slides): the deck would replace the lesson.
    Drill("slides-out-is-slides", "litmarp slides 05-extras --no-exec --out {tmp}/copy/slides", 9,
          ("--out", "is inside slides, which holds the lessons' sources", "leave --out out"),
          setup="lessons_copy", unchanged=("copy/slides/05-extras.md", "copy/notebooks/05-extras.ipynb")),
    # The same into notebooks/.
    Drill("slides-out-is-notebooks", "litmarp slides 05-extras --no-exec --out {tmp}/copy/notebooks/x", 9,
          "is inside notebooks", setup="lessons_copy", unchanged=("copy/notebooks/05-extras.ipynb",)),
    # Rendered a deck of their own into its own folder.
    Drill("slides-out-is-the-decks-folder", "litmarp slides talk/talk.md --out talk --fit off", 9,
          "--out talk holds talk/talk.md: rendering would replace it", setup="talk", unchanged=("talk/talk.md",)),
    # --out names a file.
    Drill("slides-out-is-a-file", "litmarp slides talk/talk.md --out notes.txt --fit off", 9,
          "--out notes.txt is a file, not a folder", setup="talk", unchanged=("notes.txt",)),
    # Started a second render into the same folder while the first one runs.
    Drill("slides-out-in-use", "litmarp slides talk/talk.md --out out --fit off", 0,
          ("out is being rendered by pid", "(litmarp slides first, since", "waiting for it to finish", "out/talk.html"),
          setup="render_in_progress"),
    # An image a slide names is not there.
    Drill("slides-image-missing", "litmarp slides talk/talk.md --out out --fit off", 0,
          "warning: talk: slide 2 shows talk/img/gone.png, which does not exist", setup="talk"),
    # The execution cache was damaged (a full disk, a killed build, a copy from another machine).
    Drill("slides-cache-damaged", "litmarp slides talk/lesson.md --out out --fit off", 0,
          ("the execution cache", "was damaged (DatabaseError", "started a new one", "lesson: executed"),
          setup="damaged_cache", marks=(SLOW,)),
    # A cell that never ends: the build says time passes, then stops it at the cell's limit.
    Drill("slides-cell-hangs", "litmarp slides talk/hang.md --out out --fit off", 9,
          ("cell 2/2  眠り続けるセル", "ran past its time limit of 3 s", "timeout=N in its fence"),
          setup="hanging_lesson", marks=(SLOW,)),
    # --- kit train -------------------------------------------------------------------------------------------
    # Misspelled the profile.
    Drill("train-profile-nosuch", "kit train --profile nosuch --site ci", 2, "no training profile 'nosuch'"),
    # Gave a data folder that is not there.
    Drill("train-data-missing", "kit train --data /no/such --site ci", 2, "no data folder /no/such"),
    # --- the program (bart_finetuning.py) --------------------------------------------------------------------
    # Copied only train.* into the data folder.
    Drill("program-no-dev", "program " + RUN.replace("{data}", "partial"), 1, "partial/dev.en not found",
          setup="partial_data", marks=(SLOW,), needs_assets=True),
    # Data whose two sides do not pair up.
    Drill("program-mismatched-lines", "program " + RUN.replace("{data}", "uneven"), 1,
          "has 8 lines but uneven/dev.ja has 1", setup="uneven_data", marks=(SLOW,), needs_assets=True),
    # A model folder that is not there: never sent to the hub.
    Drill("program-model-nope", "program " + RUN.replace("{model}", "./nope"), 1,
          "./nope is not a model folder", never=("huggingface.co",), marks=(SLOW,), needs_assets=True),
    # A relative path to a run's checkpoint that is not there: a path (hub ids are org/name), not a download.
    Drill("program-model-relative-path", "program " + RUN.replace("{model}", "runs/job-1/checkpoint-9"), 1,
          "runs/job-1/checkpoint-9 is not a model folder", never=("huggingface.co",), marks=(SLOW,),
          needs_assets=True),
    # Gave a folder that holds no model (the folder above the run, say).
    Drill("program-not-a-model", "program " + RUN.replace("{model}", "notes"), 1,
          "notes is not a model folder (no config.json)", setup="notes_folder", never=("huggingface.co",),
          marks=(SLOW,), needs_assets=True),
    # An --output_dir that cannot be made (a mistyped or read-only path): said before the model loads.
    Drill("program-output-dir-unwritable", "program " + RUN + " --output_dir /proc/x/run", 1,
          "cannot make --output_dir /proc/x/run", marks=(SLOW,), needs_assets=True),
    # Ran again into the folder of a finished run: its results must stay.
    Drill("program-rerun-finished", "program " + RUN, 1, "holds a finished run", setup="finished_run",
          unchanged=("run/metrics.json",), marks=(SLOW,), needs_assets=True),
    # A sign slipped: a negative learning rate.
    Drill("program-negative-lr", "program " + RUN + " --learning_rate -5", 1, "--learning_rate",
          absent=("run",), marks=(SLOW,), needs_assets=True),
    # Epochs that are not a number.
    Drill("program-epochs-nan", "program " + RUN + " --max_steps -1 --num_train_epochs nan", 1,
          "--num_train_epochs", absent=("run",), marks=(SLOW,), needs_assets=True),
    # Two programs into one --output_dir at once (the other one holds run/run.lock).
    Drill("program-output-dir-in-use", "program " + RUN, 1, "is in use by pid", setup="locked_run",
          marks=(SLOW,), needs_assets=True),
    # A run.lock left by a program that died (kill -9, a node crash): nobody holds it, so training goes on.
    Drill("program-stale-lock", "program " + RUN, 0, "BLEU", setup="stale_lock", marks=(SLOW,),
          needs_assets=True),
    # Resumed after jobs were killed while writing checkpoints (cut-short weights, a cut-short optimizer.pt).
    Drill("program-truncated-checkpoint", "program " + RUN.replace("--max_steps 2", "--max_steps 3"), 0,
          ("skipping run/checkpoint-3: damaged", "skipping run/checkpoint-2: damaged",
           "resuming from run/checkpoint-1"), setup="truncated_checkpoint", marks=(SLOW,), needs_assets=True),
    # Asked to resume from a checkpoint that is not there (a typo, another machine's path): never from scratch.
    Drill("program-resume-missing", "program " + RUN + " --resume_from_checkpoint /nope/checkpoint-500", 1,
          "--resume_from_checkpoint /nope/checkpoint-500: not a checkpoint (no such folder)", absent=("run",),
          marks=(SLOW,), needs_assets=True),
    # Went on from another run's checkpoint (step 1) into a new folder: 2 more steps, said, the other run untouched.
    Drill("program-resume-other-run", "program " + RUN + " --output_dir run2 --resume_from_checkpoint "
          "run/checkpoint-1 --max_steps 3", 0, ("resuming from run/checkpoint-1, a checkpoint of another run",
                                                "results in run2"),
          setup="stopped_run_resumed_in_run2", unchanged=("run",), marks=(SLOW,), needs_assets=True),
    # Data saved by a Windows editor, with a BOM: no sentence starts with it (checked in the run's files).
    Drill("program-data-bom", "program " + RUN.replace("{data}", "bom"), 0, "BLEU", setup="bom_data", marks=(SLOW,),
          needs_assets=True),
    # The Japanese side saved in Shift_JIS.
    Drill("program-data-sjis", "program " + RUN.replace("{data}", "sjis"), 1, "sjis/train.ja is not UTF-8 (line 1)",
          setup="sjis_data", marks=(SLOW,), needs_assets=True),
    # A data file that cannot be read (no permission; root reads anyway, so as root a read that fails with EIO).
    Drill("program-data-unreadable", "program " + RUN.replace("{data}", "locked"), 1, "cannot read locked/train.en",
          setup="unreadable_data", marks=(SLOW,), needs_assets=True),
    # An empty dev split (the command that wrote it failed).
    Drill("program-data-empty-split", "program " + RUN.replace("{data}", "empty"), 1, "empty/dev.en is empty",
          setup="empty_split", marks=(SLOW,), needs_assets=True),
    # Blank lines (a paragraph break, a line of spaces) on both sides: named, never trained as pairs.
    Drill("program-data-blank-lines", "program " + RUN.replace("{data}", "blank"), 1,
          "blank/train.en has blank lines (line 3, 5)", setup="blank_lines", marks=(SLOW,), needs_assets=True),
    # A batch size of 0.
    Drill("program-batch-size-zero", "program " + RUN + " --per_device_train_batch_size 0", 1,
          "--per_device_train_batch_size 0 must be a positive number", absent=("run",), marks=(SLOW,),
          needs_assets=True),
    # A --max_length of 0 (it failed only after training, with no metrics.json).
    Drill("program-max-length-zero", "program " + RUN + " --max_length 0", 1, "--max_length 0 must be a positive",
          absent=("run",), marks=(SLOW,), needs_assets=True),
    # A typo in an option's name.
    Drill("program-option-typo", "program " + RUN + " --learnig_rate 1e-4", 1,
          "unknown option --learnig_rate: did you mean --learning_rate?", absent=("run",), marks=(SLOW,),
          needs_assets=True),
    # Ctrl-C mid-training: a checkpoint at the step it stopped (checked) and how to go on.
    Drill("program-ctrl-c", "program " + RUN + CTRL_C, 0, ("Ctrl-C: saving a checkpoint", "stopped (Ctrl-C) at step",
                                                          "run again with --output_dir run"),
          setup="ctrl_c_once", never=("stopped at once",), absent=("run/metrics.json",), marks=(SLOW,),
          needs_assets=True),
    # Ctrl-C twice: stops at once, and says which checkpoint is left to go on from.
    Drill("program-ctrl-c-twice", "program " + RUN + CTRL_C.replace("--save_steps 2", "--save_steps 1"), 1,
          ("error: stopped at once (Ctrl-C). run/checkpoint-1 is kept: to go on, run again with --output_dir run",),
          setup="ctrl_c_twice", marks=(SLOW,), needs_assets=True),
    # The disk fills while a checkpoint is saved (a real ENOSPC, on a small tmpfs): the last good one stays.
    Drill("program-disk-full", "program " + RUN + " --output_dir disk/run --max_steps 3 --save_strategy steps "
          "--save_steps 1", 1, ("the disk is full: cannot save in disk/run", "disk/run/checkpoint-1 is kept"),
          setup="full_disk", marks=(SLOW,), needs_assets=True),
    # The same mistakes in lesson 02's notebook, as a participant runs it: `notebook ARGS` runs its program cells
    # in the lesson's kernel, then a cell main([ARGS]) (notebook_main below).
    Drill("program-notebook-data-sjis", "notebook " + RUN.replace("{data}", "sjis"), 1,
          "sjis/train.ja is not UTF-8 (line 1)", setup="sjis_data", marks=(SLOW,), needs_assets=True),
    Drill("program-notebook-option-typo", "notebook " + RUN + " --learnig_rate 1e-4", 1,
          "did you mean --learning_rate?", marks=(SLOW,), needs_assets=True),
    # The kernel interrupted (Jupyter's stop button) mid-training: a checkpoint, and the kernel interrupts again.
    Drill("program-notebook-ctrl-c", "notebook " + RUN + CTRL_C, 0,
          ("stopped (Ctrl-C) at step", "Ctrl-C in this kernel: interrupts"), setup="ctrl_c_once",
          absent=("run/metrics.json",), marks=(SLOW,), needs_assets=True),
]


# --- setups: each makes the files its drill needs in the row's folder --------------------------------------


@dataclass
class Ctx:
    """What a setup gets: the row's folder, its HOME, the environment to change, the shared assets."""

    tmp: Path
    home: Path
    env: dict[str, str]
    stack: ExitStack
    assets: dict[str, Path]
    values: dict[str, str]  # the placeholders of the row's command; a setup may add its own (e.g. {job})


SETUPS: dict[str, Callable[[Ctx], None]] = {}


def put(c: Ctx, files: dict[str, str]) -> None:
    """Write ``files`` (paths relative to the row's folder; a name ending in / is a folder)."""
    for name, text in files.items():
        path = c.tmp / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def setup(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    SETUPS[fn.__name__] = fn
    return fn


@setup
def sjis_file(c: Ctx) -> None:
    (c.tmp / "sjis.txt").write_bytes("こんにちは\n".encode("shift_jis"))


@setup
def empty_file(c: Ctx) -> None:
    put(c, {"empty.txt": "\n\n"})


@setup
def notes_folder(c: Ctx) -> None:
    put(c, {"notes/readme.txt": "not a model\n"})


@setup
def stopped_run(c: Ctx) -> None:
    put(c, {"stopped/checkpoint-2/config.json": "{}", "stopped/checkpoint-4/config.json": "{}"})


def _copy_model(c: Ctx) -> Path:
    return Path(shutil.copytree(c.assets["model"], c.tmp / "run"))


@setup
def truncated_run(c: Ctx) -> None:
    weights = _copy_model(c) / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


@setup
def damaged_metrics_run(c: Ctx) -> None:
    (_copy_model(c) / "metrics.json").write_text('{"bleu": 12.3, "train_')


@setup
def damaged_metrics(c: Ctx) -> None:
    put(c, {"run/metrics.json": '{"bleu": 12.3, "train_'})


@setup
def bleu_folder(c: Ctx) -> None:
    put(c, {"hyps/": "", "ref.txt": "猫 が いる\n"})


@setup
def state_run(c: Ctx) -> None:
    put(c, {"run/trainer_state.json": '{"log_history": [{"step": 1, "epoch": 0.5, "loss": 2.0}, '
                                      '{"step": 2, "epoch": 1.0, "eval_loss": 1.5}]}', "blocker": "a file\n"})


@setup
def damaged_state_run(c: Ctx) -> None:
    put(c, {"run/trainer_state.json": '{"log_history": [{"step": 1, "lo'})


@setup
def outdir(c: Ctx) -> None:
    put(c, {"outdir/": ""})


@setup
def logs_blocked(c: Ctx) -> None:
    put(c, {"sub/logs": "a file where the log folder should be\n",
            "sub/job.sbatch": "#!/bin/bash\n#SBATCH --output logs/%x-%j.log\necho hi\n"})


@setup
def gpu_script(c: Ctx) -> None:
    put(c, {"gpu.sbatch": "#!/bin/bash\n#SBATCH --output gpu-%j.log\n#SBATCH --gpus tesla:99\necho hi\n"})


def _project_copy(c: Ctx, name: str, parts: tuple[str, ...] = ("kit", "sites")) -> Path:
    """A copy of parts of the project that the row's command imports the kit from (PYTHONPATH)."""
    copy = c.tmp / name
    for part in parts:
        shutil.copytree(PROJECT_ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", copy)  # the copy is the engine's project ([tool.litmarp])
    c.env.update(PYTHONPATH=str(copy), LITMARP_ROOT=str(copy))
    return copy


@setup
def home_sites(c: Ctx) -> None:
    """A copy of the kit whose sites include ``athome`` (work_dir ~) and ``course`` (~/workshop2024)."""
    copy = _project_copy(c, "kitcopy")
    (copy / "sites" / "athome.toml").write_text('description = "work folder is home"\nwork_dir = "~"\n'
                                                '[container]\nsif_dir = "~/sif"\n')
    # course: images pulled into the work folder (the default sif_dir), which must still never go whole.
    (copy / "sites" / "course.toml").write_text('description = "the workshop folder"\n'
                                                'work_dir = "~/workshop2024"\n')
    (c.home / ".ssh").mkdir(mode=0o700)
    (c.home / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (c.home / "workshop2024" / "runs" / "job-1").mkdir(parents=True)
    (c.home / "workshop2024" / "runs" / "job-1" / "metrics.json").write_text('{"bleu": 20.0}\n')
    (c.tmp / "blocker").write_text("a file\n")


def _pairs(c: Ctx, name: str, splits: tuple[str, ...]) -> Path:
    folder = c.tmp / name
    folder.mkdir()
    for split in splits:
        for lang in ("en", "ja"):
            shutil.copy(c.assets["data"] / f"{split}.{lang}", folder / f"{split}.{lang}")
    return folder


@setup
def partial_data(c: Ctx) -> None:
    _pairs(c, "partial", ("train",))


@setup
def uneven_data(c: Ctx) -> None:
    _pairs(c, "uneven", ("train", "dev", "test"))
    (c.tmp / "uneven" / "dev.ja").write_text("一\n", encoding="utf-8")


@setup
def stale_lock(c: Ctx) -> None:
    put(c, {"run/run.lock": "4194304 a-node-that-crashed\n"})


@setup
def bleu_uneven(c: Ctx) -> None:
    put(c, {"hyp.txt": "猫 が いる\n犬 が いる\n", "ref.txt": "猫 が いる\n"})


@setup
def bad_def(c: Ctx) -> None:
    put(c, {"bad.def": "Bootstrap: localimage\n%pots\n    pip install sacrebleu\n"})


@setup
def broken_site(c: Ctx) -> None:
    """A copy of the kit with two faulty site profiles."""
    copy = _project_copy(c, "kitcopy")
    (copy / "sites" / "broken.toml").write_text('description = "a typo"\n[slurm\ngpus = "tesla:1"\n')
    (copy / "sites" / "wrongtype.toml").write_text('description = "a number"\n[slurm]\ngpus = 1\n')


@setup
def conflicted_notebook(c: Ctx) -> None:
    """A copy of the lessons whose 05 notebook a merge left with conflict markers."""
    _conflicted(c, "notebooks/05-extras.ipynb", '\n "cells"', '\n "x": 1,', '\n "x": 2,')


@setup
def conflicted_source(c: Ctx) -> None:
    """A copy of the lessons whose 05 Markdown source a merge left with conflict markers."""
    _conflicted(c, "slides/05-extras.md", "\n## ", "\nours", "\ntheirs")


@setup
def lessons_copy(c: Ctx) -> None:
    """A copy of the project's lessons (the kit in it, so slides/ and notebooks/ are the copy's)."""
    _project_copy(c, "copy", ("kit", "sites", "slides", "notebooks"))


TALK = """---
marp: true
---

# A talk

---

## Two pictures

![one](img/here.png) ![two](img/gone.png)
"""
LESSON = """---
jupyter:
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
{kit}---

# {title}

```python
print("ready")
```


---

## {slide}

```python{options}
{code}
```
"""


@setup
def talk(c: Ctx) -> None:
    """A plain Marp deck in talk/ (one image there, one not), and a file notes.txt."""
    put(c, {"talk/talk.md": TALK, "talk/img/here.png": "not really a png", "notes.txt": "my notes\n"})
    c.env["LITMARP_CACHE_DIR"] = str(c.tmp / "cache")  # never the project's own cache


@setup
def render_in_progress(c: Ctx) -> None:
    """A first render holds out/'s lock for 3 s (as `litmarp slides` does while it builds)."""
    talk(c)
    (c.tmp / "out").mkdir()
    ready = c.tmp / "holder-ready"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, json, os, sys, time\n"
        "h = open('out/.litmarp-render.lock', 'a+')\nfcntl.flock(h, fcntl.LOCK_EX)\n"
        "h.write(json.dumps({'pid': os.getpid(), 'since': time.time(), 'command': 'litmarp slides first'}))\n"
        "h.flush()\nopen('holder-ready', 'w').close()\ntime.sleep(3)\n")], cwd=c.tmp)
    c.stack.callback(holder.kill)
    for _ in range(100):
        if ready.exists():
            break
        time.sleep(0.05)


@setup
def damaged_cache(c: Ctx) -> None:
    """A lesson with one cell, and an execution cache whose database is not a database any more."""
    talk(c)
    put(c, {"talk/lesson.md": LESSON.format(kit="", title="lesson", slide="二つめ", options="", code="print(1)"),
            "cache/global.db": "garbage " * 200, "cache/__version__.txt": "1.0.0"})


@setup
def hanging_lesson(c: Ctx) -> None:
    """A lesson whose second cell sleeps far longer than its 3-second limit (a job that never starts)."""
    talk(c)
    put(c, {"talk/hang.md": LESSON.format(kit="", title="hang", slide="眠り続けるセル", options=" timeout=3",
                                          code="import time\ntime.sleep(600)")})


def _conflicted(c: Ctx, name: str, before: str, ours: str, theirs: str) -> None:
    """Copy the lessons and put a merge conflict (ours, theirs) into ``name`` just before ``before``."""
    copy = _project_copy(c, "copy", ("kit", "sites", "slides", "notebooks"))
    shutil.copy(PROJECT_ROOT / "jupytext.toml", copy)
    path = copy / name
    conflict = f"\n<<<<<<< HEAD{ours}\n======={theirs}\n>>>>>>> theirs{before}"
    path.write_text(path.read_text(encoding="utf-8").replace(before, conflict, 1), encoding="utf-8")


@setup
def finished_job_log_deleted(c: Ctx) -> None:
    """A job that ended, whose log file was then deleted."""
    done = subprocess.run(["sbatch", "--parsable", "--wait", "--output", str(c.tmp / "hello-%j.log"), "--wrap",
                           "echo hello"], cwd=c.tmp, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    c.values["job"] = done.stdout.strip().split(";")[0]
    (c.tmp / f"hello-{c.values['job']}.log").unlink()


@setup
def finished_run(c: Ctx) -> None:
    put(c, {"run/metrics.json": '{"bleu": 31.4}\n'})


@setup
def locked_run(c: Ctx) -> None:
    """Another program holds the run folder's lock (as the fix takes it: flock on run/run.lock, pid and host)."""
    (c.tmp / "run").mkdir()
    lock = c.stack.enter_context(open(c.tmp / "run" / "run.lock", "w"))  # noqa: SIM115 - held for the drill
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    lock.write(f"{os.getpid()} {socket.gethostname()}\n")
    lock.flush()


@setup
def truncated_checkpoint(c: Ctx) -> None:
    """A run stopped at step 1 (checkpoint-1), then a checkpoint-2 whose weights were cut short and a
    checkpoint-3 whose optimizer state was."""
    _stopped_run(c)
    broken = Path(shutil.copytree(c.tmp / "run" / "checkpoint-1", c.tmp / "run" / "checkpoint-2"))
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    optimizer = Path(shutil.copytree(c.tmp / "run" / "checkpoint-1", c.tmp / "run" / "checkpoint-3")) / "optimizer.pt"
    optimizer.write_bytes(optimizer.read_bytes()[: optimizer.stat().st_size // 2])


_STOPPED: dict[Path, Path] = {}


def _stopped_run(c: Ctx, name: str = "run") -> Path:
    """A run the program stopped at step 1 (checkpoint-1, no metrics.json), copied to ``name``: made once per
    worker, by the program itself."""
    model = c.assets["model"]
    if model not in _STOPPED:
        where = model.parent / "stopped"
        where.mkdir(exist_ok=True)
        argv = shlex.split(RUN.format(model=model, data=c.assets["data"]))
        done = subprocess.run([sys.executable, str(PROJECT_ROOT / "bart_finetuning.py"), *argv, "--max_minutes",
                               "0.000001"], cwd=where, env=c.env, capture_output=True, text=True, timeout=600)
        assert (where / "run" / "checkpoint-1").is_dir(), done.stdout + done.stderr
        _STOPPED[model] = where / "run"
    return Path(shutil.copytree(_STOPPED[model], c.tmp / name))


@setup
def stopped_run_resumed_in_run2(c: Ctx) -> None:
    """A stopped run; afterwards run2 must have gone on from its step 1 to step 3, not started afresh."""
    _stopped_run(c)

    def went_on() -> None:
        if (c.tmp / "run2" / "metrics.json").is_file():
            metrics = json.loads((c.tmp / "run2" / "metrics.json").read_text(encoding="utf-8"))
            assert (metrics["resumed_from"], metrics["global_step"]) == ("run/checkpoint-1", 3), metrics
    c.stack.callback(went_on)


@setup
def bom_data(c: Ctx) -> None:
    """Every data file starts with a UTF-8 BOM; afterwards no sentence the run wrote may hold one."""
    for path in _pairs(c, "bom", ("train", "dev", "test")).iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    def no_bom() -> None:
        for name in ("samples.txt", "test_references.txt"):
            if (c.tmp / "run" / name).is_file():
                assert "\ufeff" not in (c.tmp / "run" / name).read_text(encoding="utf-8"), f"a BOM in run/{name}"
    c.stack.callback(no_bom)


@setup
def sjis_data(c: Ctx) -> None:
    ja = _pairs(c, "sjis", ("train", "dev")) / "train.ja"
    ja.write_bytes(ja.read_text(encoding="utf-8").encode("shift_jis"))


@setup
def unreadable_data(c: Ctx) -> None:
    en = _pairs(c, "locked", ("train", "dev")) / "train.en"
    if os.geteuid() == 0:  # root reads a file without permissions: give it one whose read fails
        en.unlink()
        en.symlink_to("/proc/self/mem")
    else:
        en.chmod(0)


@setup
def empty_split(c: Ctx) -> None:
    _pairs(c, "empty", ("train",))
    put(c, {"empty/dev.en": "", "empty/dev.ja": ""})


@setup
def blank_lines(c: Ctx) -> None:
    folder = _pairs(c, "blank", ("train", "dev"))
    for lang in ("en", "ja"):
        lines = (folder / f"train.{lang}").read_text(encoding="utf-8").splitlines()
        lines[2], lines[4] = "", "   "
        (folder / f"train.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _press_ctrl_c(c: Ctx, times: int, when: str = "run/checkpoint-2/trainer_state.json",
                  pipe: Path | None = None) -> None:
    """Ctrl-C mid-training: SIGINT to the pid in run/run.lock (the program, or the notebook's kernel) ``times``
    times, 0.2 s apart, as soon as the file ``when`` is there (a ``pipe`` is removed before the second); a program
    still running a minute later is killed (the row fails, it does not hang)."""
    done = threading.Event()

    def press() -> None:
        while not (c.tmp / when).is_file():
            if done.wait(0.02):
                return
        pid = int((c.tmp / "run" / "run.lock").read_text().split()[0])
        try:
            for n in range(times):
                if n and pipe:
                    pipe.unlink()
                os.kill(pid, signal.SIGINT)
                time.sleep(0.2)
            if not done.wait(60):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    c.stack.callback(thread.join)
    c.stack.callback(done.set)


@setup
def ctrl_c_once(c: Ctx) -> None:
    """One Ctrl-C; afterwards the run must have a checkpoint at the step where it stopped (after step 2)."""
    _press_ctrl_c(c, 1)

    def saved_where_it_stopped() -> None:
        state = c.tmp / "run" / "trainer_state.json"
        if state.is_file():
            step = json.loads(state.read_text(encoding="utf-8"))["global_step"]
            assert step > 2 and (c.tmp / "run" / f"checkpoint-{step}" / "trainer_state.json").is_file(), \
                f"stopped at step {step} without its checkpoint: {sorted(p.name for p in state.parent.iterdir())}"
    c.stack.callback(saved_where_it_stopped)


@setup
def ctrl_c_twice(c: Ctx) -> None:
    """Ctrl-C twice while checkpoint-2 is being saved, after checkpoint-1. A named pipe in place of its
    trainer_state.json (written last, with Python's open, which runs the handler when a signal interrupts it) holds
    the save there, so both presses come mid-save; a garbled model.safetensors beside it has the program skip the
    folder at the start without reading the pipe. The pipe goes before the second press (the program then finds
    checkpoint-2 damaged, not a pipe that blocks)."""
    folder = c.tmp / "run" / "checkpoint-2"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"not saved yet")
    os.mkfifo(folder / "trainer_state.json")
    _press_ctrl_c(c, 2, when="run/checkpoint-2/rng_state.pth", pipe=folder / "trainer_state.json")


@setup
def full_disk(c: Ctx) -> None:
    """A stopped run on a tmpfs with 256 KiB to spare: saving its next checkpoint fills it; its checkpoint-1 must
    stay as it was. Mounting needs root (CAP_SYS_ADMIN); where it is not permitted the row is skipped."""
    run = _stopped_run(c)
    size = sum(-(-p.stat().st_size // 4096) * 4096 for p in run.rglob("*") if p.is_file()) + 256 * 1024
    disk = c.tmp / "disk"
    disk.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True,
                           text=True) if shutil.which("mount") else None
    if not mount or mount.returncode:
        pytest.skip(f"a full disk is drilled on a small tmpfs; mount is not permitted here: {mount and mount.stderr}")
    c.stack.callback(subprocess.run, ["umount", "--lazy", str(disk)], check=False)
    last = Path(shutil.move(run, disk / "run")) / "checkpoint-1"
    before = fingerprint(last)

    def kept() -> None:  # checked before the tmpfs goes (the runner's unchanged= would look after)
        assert fingerprint(last) == before, "disk/run/checkpoint-1 changed"
    c.stack.callback(kept)


NOTEBOOK_02 = PROJECT_ROOT / "notebooks" / "02-program.ipynb"


def notebook_main(argv: list[str]) -> int:
    """``notebook ARGS``: lesson 02's notebook as a participant runs it, its program cells in the lesson's kernel,
    then a cell ``main([ARGS])`` and one saying whether Ctrl-C interrupts the kernel again. Prints what the cells
    showed; returns as the program exits (1 after an ``error:`` line), 3 when a program cell failed."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK_02, as_version=4)
    program = [cell for cell in nb.cells if "program" in cell.metadata.get("tags", [])]
    nb.cells = [*program, nbformat.v4.new_code_cell(f"main({argv!r})"), nbformat.v4.new_code_cell(
        "import signal\nprint('Ctrl-C in this kernel:', 'interrupts' if signal.getsignal(signal.SIGINT) is "
        "signal.default_int_handler else 'does not interrupt')")]
    # python3: this environment's own kernel (the kit's workshop-kit kernelspec exists only after make lab)
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                   resources={"metadata": {"path": os.getcwd()}}).execute()
    code = 0
    for n, cell in enumerate(nb.cells):
        for out in cell.outputs:
            if out.output_type == "stream":
                print(out.text, end="")
            elif out.output_type == "error" and out.ename == "SystemExit":
                print(out.evalue)
                code = int(out.evalue) if out.evalue.isdigit() else 1
            elif out.output_type == "error":
                print(re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.traceback)))
                code = 3 if n < len(program) else 2
    return code


@setup
def nosite_lesson(c: Ctx) -> None:
    """A lesson whose cells never load the site (only a print)."""
    talk(c)
    put(c, {"talk/nosite.md": LESSON.format(kit="", title="nosite", slide="二つめ", options="", code="print(1)")})


@setup
def slurm_value_sites(c: Ctx) -> None:
    """A copy of the kit and its lessons with sites whose [slurm] values Slurm would refuse or misread."""
    copy = _project_copy(c, "kitcopy", ("kit", "sites", "slides", "notebooks"))
    shutil.copy(PROJECT_ROOT / "bart_finetuning.py", copy)  # lesson 03 copies it into the work folder
    c.env["LITMARP_CACHE_DIR"] = str(c.tmp / "cache")
    for name, value in {"zerogpu": 'gpus = "tesla:0"', "forever": 'time = "forever"', "negmem": 'mem = "-4G"',
                        "nounit": 'mem = "4000"'}.items():
        (copy / "sites" / f"{name}.toml").write_text(
            f'description = "{name}"\nwork_dir = "{c.tmp}/work"\n[container]\nruntime = "host"\ngpu = false\n'
            f'[slurm]\nexecutor = "local"\n{value}\n[train]\nprofile = "smoke"\n')


@setup
def kit_site_typo(c: Ctx) -> None:
    c.env["KIT_SITE"] = "ie-ryuku"


@setup
def kit_site_zerogpu(c: Ctx) -> None:
    slurm_value_sites(c)
    c.env["KIT_SITE"] = "zerogpu"


@setup
def kit_site_forever(c: Ctx) -> None:
    slurm_value_sites(c)
    c.env["KIT_SITE"] = "forever"


@setup
def kit_site_space(c: Ctx) -> None:
    c.env["KIT_SITE"] = "ie ryukyu"


@setup
def slurm_unreachable(c: Ctx) -> None:
    """A copy of this machine's slurm.conf whose controller is a closed port on 127.0.0.1 (the real one runs on)."""
    port = free_port()
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf")).read_text()
    conf = re.sub(r"(?im)^\s*(SlurmctldHost|ControlMachine|ControlAddr|SlurmctldPort)\s*=.*$", "", conf)
    put(c, {"slurm.conf": f"SlurmctldHost=unreachable(127.0.0.1)\nSlurmctldPort={port}\n{conf}",
            "job.sbatch": "#!/bin/bash\n#SBATCH --output job-%j.log\necho hi\n"})
    c.env["SLURM_CONF"] = str(c.tmp / "slurm.conf")


@setup
def slurm_conf_missing(c: Ctx) -> None:
    c.env["SLURM_CONF"] = str(c.tmp / "no-such-slurm.conf")


# --- the runner ----------------------------------------------------------------------------------------------


def drill_env(home: Path, jobs: Path, hf_home: Path) -> dict[str, str]:
    """A row's environment: this one without the kit's, Slurm's and make's variables, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "SLURM_", "MAKE", "MFLAGS"))}
    env.update(HOME=str(home), PYTHONPATH=str(PROJECT_ROOT), LITMARP_ROOT=str(PROJECT_ROOT), HF_HUB_OFFLINE="1",
               HF_HOME=str(hf_home), KIT_LOCAL_JOBS=str(jobs), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture(scope="module")
def warm_program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmPython]:
    root = tmp_path_factory.mktemp("warm-program")
    server = WarmPython(PROJECT_ROOT / "bart_finetuning.py", drill_env(root, root / "jobs", root / ".hf"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny BART and 8 sentence pairs (train = dev = test), built once."""
    from kit.data import Corpus, load_corpus
    from kit.model import TinySettings, make_tiny_bart

    root = tmp_path_factory.mktemp("drill-assets")
    pairs = load_corpus("sample").train[:8]
    data = root / "data"
    data.mkdir()
    for split in ("train", "dev", "test"):
        (data / f"{split}.en").write_text("".join(en + "\n" for en, _ in pairs), encoding="utf-8")
        (data / f"{split}.ja").write_text("".join(ja + "\n" for _, ja in pairs), encoding="utf-8")
    tiny = TinySettings(vocab_size=300, d_model=32, layers=1, heads=2, ffn_dim=64, dropout=0.0, min_frequency=1)
    model = make_tiny_bart(root / "model", Corpus(pairs, pairs, pairs, source="8 pairs"), tiny)
    return {"model": model, "data": data}


def fingerprint(path: Path) -> str:
    """A hash of a file, or of every file (names and bytes) under a folder."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(str(f.relative_to(path) if path.is_dir() else f.name).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


# `lab NAME`: the notebook make lab serves (lab/NAME.ipynb, made from the lesson as make lab does) run cell by
# cell in the kernel make lab registers (this Python with --ext=litmarp.shell; the site from $KIT_SITE), up to the
# first cell that raises: it prints that cell's number and the error as Jupyter shows it under the cell, and
# exits with the kit's exit code for that error.
LAB_NOTEBOOK = """
import json, os, subprocess, sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import kit.errors

spec = Path.cwd() / "jupyter" / "kernels" / "workshop-kit"
spec.mkdir(parents=True)
spec.joinpath("kernel.json").write_text(json.dumps({"display_name": "kit", "language": "python", "argv": [
    sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--ext=litmarp.shell"]}))
os.environ["JUPYTER_PATH"] = str(spec.parent.parent)
made = subprocess.run([sys.executable, "-m", "litmarp", "learner", "--out", "lab"], capture_output=True,
                      text=True)
if made.returncode:
    sys.exit("litmarp learner failed: " + made.stdout + made.stderr)
nb = nbformat.read(Path("lab") / (sys.argv[1] + ".ipynb"), as_version=4)
try:
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": os.getcwd()}}).execute()
except CellExecutionError as exc:
    code = [c for c in nb.cells if c.cell_type == "code"]
    n = next(i for i, c in enumerate(code, 1) if any(o.output_type == "error" for o in c.get("outputs", [])))
    print(f"lab/{sys.argv[1]}.ipynb: code cell {n} of {len(code)} raised {exc.ename}: {exc.evalue}")
    error = getattr(kit.errors, exc.ename, None)
    sys.exit(error.exit_code if isinstance(error, type) and issubclass(error, kit.errors.KitError) else 1)
"""


def command(drill: Drill, values: dict[str, str]) -> list[str]:
    words = [w.format(**values) for w in shlex.split(drill.argv)]
    if words[0] in ("kit", "litmarp"):
        return [sys.executable, "-m", words[0], *words[1:]]
    if words[0] == "notebook":  # lesson 02's notebook in a kernel: notebook_main
        run = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_drills; " \
              "sys.exit(test_drills.notebook_main(sys.argv[1:]))"
        return [sys.executable, "-c", run, *words[1:]]
    if words[0] == "make":  # the project's Makefile (its set-up step left out: it installs, never fails fast)
        return ["make", "-C", str(PROJECT_ROOT), "--no-print-directory", "-o", "setup", *words[1:]]
    if words[0] == "lab":  # a lesson's notebook as the participant runs it in make lab
        return [sys.executable, "-c", LAB_NOTEBOOK, words[1]]
    assert words[0] == "program", drill.argv
    return [sys.executable, str(PROJECT_ROOT / "bart_finetuning.py"), *words[1:]]


@pytest.mark.parametrize("drill", [pytest.param(d, id=d.id, marks=d.marks) for d in DRILLS])
def test_drill(drill: Drill, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if SLURM in drill.marks:
        request.getfixturevalue("slurm_cluster")
    shared: dict[str, Any] = request.getfixturevalue("assets") if drill.needs_assets else {}
    home = tmp_path / "home"
    home.mkdir()
    # The program's rows run from a Python that imported its libraries once (tests/warm.py), which shares
    # one hub cache (empty: the hub is offline) among them.
    warm: WarmPython | None = request.getfixturevalue("warm_program") if drill.argv.startswith("program") else None
    env = drill_env(home, tmp_path / "jobs", Path(warm.env["HF_HOME"]) if warm else home / ".hf")
    values = {"tmp": str(tmp_path), "home": str(home), "model": str(shared.get("model", "")),
              "data": str(shared.get("data", "")), "long": "the cat sat on the mat " * 60}
    with ExitStack() as stack:
        if drill.setup:
            SETUPS[drill.setup](Ctx(tmp_path, home, env, stack, shared, values))
        before = {p: fingerprint(tmp_path / p) for p in drill.unchanged}
        assert all((tmp_path / p).exists() for p in drill.unchanged), "a protected file was not made"
        started = time.monotonic()
        argv = command(drill, values)
        proc = (warm.run(argv[2:], cwd=tmp_path, env=env, timeout=900) if warm else
                subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900))
        took = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert "Traceback (most recent call last)" not in output, output[-4000:]
    assert proc.returncode == drill.code, f"exit {proc.returncode}, wanted {drill.code}:\n{output[-4000:]}"
    for fragment in (drill.says,) if isinstance(drill.says, str) else drill.says:
        assert fragment in output, f"missing {fragment!r} in:\n{output[-4000:]}"
    for fragment in drill.never:
        assert fragment not in output, f"{fragment!r} should not appear:\n{output[-4000:]}"
    for p, digest in before.items():
        assert fingerprint(tmp_path / p) == digest, f"{p} changed"
    for p in drill.absent:
        assert not (tmp_path / p).exists(), f"{p} was left behind"
    assert drill.seconds is None or took <= drill.seconds, f"took {took:.1f} s, over {drill.seconds} s"


@pytest.mark.slow
def test_ctrl_c_while_a_lesson_executes_stops_it_without_a_traceback(tmp_path: Path) -> None:
    """The presenter presses Ctrl-C during `make slides`: a short message, exit 130, nothing cached, no kernel
    left behind (the kernel and its cells' processes get the interrupt too)."""
    import signal

    put(Ctx(tmp_path, tmp_path, {}, ExitStack(), {}, {}), {"talk/hang.md": LESSON.format(
        kit="", title="hang", slide="眠り続けるセル", options="", code="import time\ntime.sleep(600)")})
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIT_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), LITMARP_ROOT=str(PROJECT_ROOT),
               LITMARP_CACHE_DIR=str(tmp_path / "cache"))
    build = subprocess.Popen([sys.executable, "-m", "litmarp", "slides", "talk/hang.md", "--out", "out", "--fit",
                              "off"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
    assert build.stdout is not None
    for line in build.stdout:  # wait until the sleeping cell runs
        if "cell 2/2" in line:
            break
    # What the terminal sends to the whole foreground group; pressed again after 10 s, as a presenter would
    # (on a loaded machine a first interrupt can land where nbclient's event loop swallows it).
    output = ""
    for _ in range(3):
        os.killpg(build.pid, signal.SIGINT)
        try:
            output, _ = build.communicate(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        output, _ = build.communicate(timeout=60)
    assert build.returncode == 130, output
    assert "interrupted" in output and "Traceback" not in output, output
