"""The training job: the workshop's ``train.sbatch``, written by this module and no other.

It runs in the site's work folder; its body is the workshop's line
``exec singularity exec --nv env.sif python3 bart_finetuning.py`` plus the site's training profile's arguments.
``exec`` makes the program the job's own process: at ``--time`` (or ``scancel``) Slurm's SIGTERM
reaches it, and the job ends only when the program has saved its checkpoint. Without ``exec``
bash dies at the SIGTERM, Slurm reports the job over while the program is still saving, and
cleans up the rest of the job, the half-written checkpoint included.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from kit import container, slurm
from kit.errors import ConfigError, WaitTimeout
from kit.profiles import site_program_args
from kit.sites import Site, load_site
from kit.slurm.gpus import gpu_count
from kit.slurm.spec import SPEC_OPTIONS
from kit.textutil import shell_line
from kit.train import PROGRAM_NAME, program_path
from litmarp.workfiles import Written, write_unless_edited

SCRIPT_NAME = "train.sbatch"


def body_line(site: Site, program_args: Sequence[str] = ()) -> str:
    """The job's command line (pure): ``exec`` and the container's exec line of ``python3 bart_finetuning.py``
    (``torchrun --nproc_per_node N`` for N GPUs), one ``--option value`` a line when long."""
    nproc = max(1, gpu_count(site.slurm.gpus))
    runner = ["torchrun", "--nproc_per_node", str(nproc)] if nproc > 1 else ["python3"]
    argv = ["exec", *container.exec_command(site, site.container.sif, [*runner, PROGRAM_NAME, *program_args],
                                            resolve_python=False)]
    line = shell_line(argv)
    if len(line) <= 100:
        return line
    # `--option value` pairs never split, packed into lines of at most ~88 characters: readable on a slide,
    # and the same command for bash.
    start = argv.index(PROGRAM_NAME) + 1
    groups = [argv[:start]]
    for word in argv[start:]:
        if word.startswith("--") or len(groups) == 1:
            groups.append([word])
        else:
            groups[-1].append(word)
    lines = [shell_line(groups[0])]
    for group in groups[1:]:
        text = shell_line(group)
        if len(lines) > 1 and len(lines[-1]) + 1 + len(text) <= 88:
            lines[-1] += " " + text
        else:
            lines.append(text)
    return " \\\n    ".join(lines)


def train_spec(site: Site, program_args: Sequence[str] | None = None, *,
               body: list[str] | None = None) -> slurm.JobSpec:
    """The site's ``train.sbatch``: its ``#SBATCH`` values and the program line (default: its profile's arguments)."""
    s = site.slurm
    if body is None:
        args = site_program_args(site) if program_args is None else [str(a) for a in program_args]
        body = [body_line(site, args)]
    options = {attr: getattr(s, attr) or None for attr, _ in SPEC_OPTIONS}  # site fields of the same names
    return slurm.JobSpec(body=list(body), extra=list(s.extra), script_name=SCRIPT_NAME, **options)


def workshop_spec(kind: str, *, site: Site | str | None = None, program_args: Sequence[str] = ()) -> slurm.JobSpec:
    """One of the workshop's scripts by name (``kit slurm script``): ``train`` or ``hello``."""
    if kind == "hello":
        return slurm.hello_spec()
    if kind != "train":
        raise ConfigError(f"no workshop script {kind!r}", hint="use train or hello")
    site = site if isinstance(site, Site) else load_site(site)
    # Extra arguments go after the site profile's (a later --option wins in the program's parser).
    return train_spec(site, [*site_program_args(site), *program_args] if program_args else None)


def install_program(site: Site, *, force: bool = False) -> Written:
    """Put ``bart_finetuning.py`` in the work folder (the participant's copy), unless theirs differs."""
    target = site.work_dir / PROGRAM_NAME
    if target.resolve() == program_path().resolve():
        return Written(target)
    return write_unless_edited(target, program_path().read_text(encoding="utf-8"), force=force)


def write_train_script(site: Site, *, force: bool = False, program_args: Sequence[str] | None = None) -> Written:
    """Write the work folder's ``train.sbatch`` (and ``logs/``), keeping a participant's edited one."""
    (site.work_dir / "logs").mkdir(parents=True, exist_ok=True)
    text = slurm.render_script(train_spec(site, program_args))
    return write_unless_edited(site.work_dir / SCRIPT_NAME, text, force=force)


def python_first_path() -> str:
    """PATH with this Python's bin folder first: a job inherits the submitter's environment, and with the host
    runtime (a laptop, CI) its ``python3`` and ``torchrun`` must be this environment's, activated or not.
    The lessons' terminal (:func:`kit.terminal.open_terminal`), where ``sbatch train.sbatch`` is typed, has it."""
    return os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])


def follow(job: slurm.Job | str, *, minutes: float = 15.0, queue_minutes: float = 5.0,
           out: TextIO | None = None) -> slurm.JobStatus:
    """Show a job's state and log lines until it ends or ``minutes`` pass after it started; never raise for
    a job still queued or running.

    A real training job outlives a notebook cell: then say so, and how to go on (the lesson's later
    cells and lesson 04 check again), instead of stopping "Run All" with an exception. The minutes count
    from the job's start because the next slide reads its logs, which Slurm creates only then: a job
    queued behind others (a busy cluster, or CI's one node) is waited for up to ``queue_minutes``, its state
    line saying why.
    """
    out = out if out is not None else sys.stdout
    try:
        return slurm.wait(job, timeout=minutes * 60, follow=True, out=out, raise_on_failure=False,
                          start_timeout=queue_minutes * 60)
    except WaitTimeout:
        current = slurm.status(job)
        job_id = getattr(job, "id", job)
        if current.state == "PENDING":
            print(f"ジョブ {job_id} はまだ順番待ちです（{current}）。ログは動き出してから作られます。"
                  f"このセルをもう一度実行して待ってください（squeue -j {job_id} で状態を確認できます）。",
                  file=out, flush=True)
        else:
            print(f"ジョブ {job_id} はまだ実行中です（{current.state}）。このセルをもう一度実行して待つか、"
                  f"先に進んでください（squeue -j {job_id} で状態、tail -f でログを確認できます）。",
                  file=out, flush=True)
        return current


def script_rows(site: Site) -> list[tuple[str, str]]:
    """What each line of the site's ``train.sbatch`` means, for the lesson's table (Japanese, as the slides).

    Made from the same spec as the script, so the table never disagrees with the script above it.
    """
    spec = train_spec(site, body=[])  # the #SBATCH values only: no program arguments to prepare
    rows = [(f"--job-name {spec.job_name}", "`squeue` とログ名（`%x`）に出る名前")] if spec.job_name else []
    if spec.output:
        example = spec.output.replace("%x", spec.job_name or "").replace("%j", "<ID>")
        rows.append(("--output / --error", f"標準出力 / 標準エラーの行き先（`{example}`、`%j` はジョブ ID）。"
                                           "`logs/` は投入前に必要"))
    if spec.nodes:
        rows.append((f"--nodes {spec.nodes}", f"{spec.nodes} ノードで実行"))
    if spec.gpus:
        n = gpu_count(spec.gpus)
        kind = spec.gpus.split(":")[0] if ":" in spec.gpus else ""
        what = f"{kind} 型の GPU を {n} 枚（型名はクラスタごとに違う）" if kind else f"GPU を {n} 枚"
        rows.append((f"--gpus {spec.gpus}", what + ("。本文は torchrun で 1 枚 1 プロセス" if n > 1 else "")))
    if spec.time:
        seconds = slurm.parse_time_limit(spec.time) or 0
        span = f"{seconds / 3600:g} 時間" if seconds >= 3600 else f"{seconds / 60:g} 分"
        rows.append((f"--time {spec.time}", f"実行時間の上限（{span}）。超えると `TIMEOUT`"))
    if spec.mem:
        rows.append((f"--mem {spec.mem}", "メモリの上限（超えると `OUT_OF_MEMORY`）"))
    if spec.partition:
        rows.append((f"--partition {spec.partition}", "投入先のパーティション"))
    runtime = container.program(site)
    signal = "`exec`: `--time` や `scancel` の SIGTERM がプログラムに届き、チェックポイントを書いてから終わる"
    if runtime is None:
        rows.append((f"exec python3 {PROGRAM_NAME}", f"ホストの Python で実行（このサイトはコンテナなし）。{signal}"))
    else:
        nv = " --nv" if site.container.gpu else ""
        rows.append((f"exec {runtime} exec{nv} {site.container.sif}",
                     f"{site.container.sif} の中で実行" + ("（`--nv`: GPU を渡す）" if nv else "") + f"。{signal}"))
    return rows


def script_table(site: Site) -> str:
    """:func:`script_rows` as a Markdown table (a lesson cell displays it)."""
    lines = ["| 行 | 意味 |", "| --- | --- |"]
    lines += [f"| `{line}` | {meaning} |" for line, meaning in script_rows(site)]
    return "\n".join(lines)
