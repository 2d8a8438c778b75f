"""Every external command the kit builds, against golden files (tests/golden/*-commands.txt).

Each builder is a pure function returning a list[str]; these files show their exact words.
Regenerate a file after an intended change with: KIT_UPDATE_GOLDEN=1 pytest tests/test_commands_golden.py
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from kit import container
from kit.sites import load_site
from kit.slurm import commands
from kit.slurm.local import interpreter_command, watcher_command

GOLDEN = Path(__file__).parent / "golden"


def check(name: str, cmds: list[list[str]]) -> None:
    text = "".join(shlex.join(c) + "\n" for c in cmds)
    path = GOLDEN / name
    if os.environ.get("KIT_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
    assert all(isinstance(word, str) for c in cmds for word in c)


def test_slurm_commands() -> None:
    check("slurm-commands.txt", [
        commands.sbatch("train.sbatch"),
        commands.sbatch(Path("/w/train.sbatch"), hold=True),
        commands.release("42"),
        commands.show_job("42"),
        commands.show_config(),
        commands.squeue_job("42"),
        commands.squeue_user("alice"),
        commands.squeue_user(None),
        commands.sacct_job("42"),
        commands.sacct_job("42", completion_file=True),
        commands.scancel("42"),
        commands.sinfo_gres(),
    ])


def test_local_executor_commands() -> None:
    check("local-commands.txt", [
        watcher_command("local-3", python="python3"),
        interpreter_command("#!/bin/bash\n", "/w/job.sbatch"),
        interpreter_command("#!/usr/bin/env python3 -u", "/w/job.py"),
        interpreter_command("echo no shebang", "/w/job.sh"),
    ])


@pytest.fixture
def site():  # noqa: ANN201
    # The participant's own env.def, in the work directory where images are pulled and built.
    return load_site("ie-ryukyu", overrides={"work_dir": "/home/u/workshop2024",
                                             "container": {"def_file": "/home/u/workshop2024/env.def"}})


def test_container_commands(site) -> None:  # noqa: ANN001
    apptainer = load_site("ie-ryukyu", overrides={"container": {"runtime": "apptainer", "gpu": False}})
    check("container-commands.txt", [
        container.pull_command(site),
        container.pull_command(site, "docker://ubuntu:22.04", "/tmp/u.sif", force=True),
        container.build_command(site),  # the site's env.def and env.sif, named from the work directory
        container.build_command(site, "env.def", "env.sif"),
        container.build_command(site, "env.def", "env.sif", fakeroot=False, force=True, runtime="apptainer"),
        container.exec_command(site, "env.sif", ["python3", "bart_finetuning.py"]),
        container.exec_command(apptainer, "env.sif", ["python3", "-c", "import torch"], binds=["/data:/data"]),
        container.version_command("/usr/bin/apptainer"),
    ])
