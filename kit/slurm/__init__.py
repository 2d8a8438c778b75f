"""Slurm jobs from Python: write the script, submit it, watch it, read its logs.

The workshop's second half in code::

    from kit import slurm
    from kit.sites import load_site

    site = load_site("ci")
    spec = slurm.train_spec(site)                 # the workshop's train.sbatch
    slurm.write_script(spec, "train.sbatch")      # refuses to clobber a different file
    job = slurm.submit("train.sbatch", site=site) # sbatch --parsable
    slurm.wait(job, timeout=600)                  # state changes + the log growing
    print(slurm.logs(job))

The package, along its seams:

* :mod:`~kit.slurm.spec`: job specs and scripts (pure rendering, every value quoted),
  reading ``#SBATCH`` options back.
* :mod:`~kit.slurm.commands`: every Slurm argv, built by a pure function.
* :mod:`~kit.slurm.parse`: pure parsers of Slurm's output (tested on captured output).
* :mod:`~kit.slurm.gpus`: the one GPU-request check (``sinfo`` gres against ``--gpus``).
* :mod:`~kit.slurm.executor`: the :class:`Executor` interface both executors implement;
  :mod:`~kit.slurm.client` (Slurm) and :mod:`~kit.slurm.local` (bash in the background,
  ids ``local-N``, used where Slurm is absent or ``slurm.executor = "local"``).
* :mod:`~kit.slurm.jobs`: submit, status, cancel, wait, logs, queue, for either executor.
"""

from __future__ import annotations

from kit.slurm.client import SLURM_TIMEOUT, SlurmExecutor
from kit.slurm.commands import QUEUE_FORMAT, SACCT_FIELDS
from kit.slurm.executor import LOCAL_PREFIX, Executor, Job, executor_for, executor_name, executor_of
from kit.slurm.gpus import Partition, check_gpu_request, gpu_hint, gpu_request_matches, parse_sinfo_gres, partitions
from kit.slurm.jobs import JobLogs, Queue, cancel, get_job, job_failed, logs, queue, status, submit, wait
from kit.slurm.local import LOCAL_KILL_WAIT, LocalExecutor, local_jobs_dir
from kit.slurm.parse import (
    TERMINAL_STATES,
    JobStatus,
    QueueRow,
    jobcomp_as_sacct,
    normalize_state,
    parse_exit_code,
    parse_jobcomp,
    parse_key_values,
    parse_sacct,
    parse_sbatch_parsable,
    parse_scontrol_job,
    parse_show_config,
    parse_squeue,
    status_from_queue_row,
    status_from_sacct,
    status_from_scontrol,
)
from kit.slurm.spec import (
    DEFAULT_OUTPUT,
    HELLO_BODY,
    JobSpec,
    expand_pattern,
    hello_spec,
    parse_directives,
    parse_time_limit,
    render_script,
    train_spec,
    workshop_spec,
    write_script,
)
from kit.textutil import shell_line

__all__ = [
    "DEFAULT_OUTPUT", "HELLO_BODY", "LOCAL_KILL_WAIT", "LOCAL_PREFIX", "QUEUE_FORMAT", "SACCT_FIELDS",
    "SLURM_TIMEOUT", "TERMINAL_STATES", "Executor", "Job", "JobLogs", "JobSpec", "JobStatus",
    "LocalExecutor", "Partition", "Queue", "QueueRow", "SlurmExecutor", "cancel", "check_gpu_request",
    "executor_for", "executor_name", "executor_of", "expand_pattern", "get_job", "gpu_hint",
    "gpu_request_matches", "hello_spec", "job_failed", "jobcomp_as_sacct", "local_jobs_dir", "logs",
    "normalize_state", "parse_directives", "parse_exit_code", "parse_jobcomp", "parse_key_values", "parse_sacct",
    "parse_sbatch_parsable", "parse_scontrol_job", "parse_show_config", "parse_sinfo_gres", "parse_squeue",
    "parse_time_limit", "partitions", "queue", "render_script", "shell_line", "status", "status_from_queue_row",
    "status_from_sacct", "status_from_scontrol", "submit", "train_spec", "wait", "workshop_spec", "write_script",
]
