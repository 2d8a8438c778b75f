"""Slurm jobs from Python: write a batch script, submit it, watch it, read its logs.

Where Slurm is absent (or ``slurm.executor = "local"``), :mod:`~kit.slurm.local` runs the same script with
bash in the background, with ids ``local-N``. The argvs are in :mod:`~kit.slurm.commands`, the pure parsers
of Slurm's output in :mod:`~kit.slurm.parse`.
"""

from __future__ import annotations

from kit.slurm.client import SlurmExecutor
from kit.slurm.executor import Executor, Job
from kit.slurm.gpus import check_gpu_request, gpu_count, parse_sinfo_gres
from kit.slurm.jobs import (
    JobLogs,
    Queue,
    cancel,
    executor_for,
    executor_name,
    executor_of,
    get_job,
    logs,
    queue,
    status,
    submit,
    wait,
)
from kit.slurm.local import LocalExecutor
from kit.slurm.parse import (
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
    JobSpec,
    expand_pattern,
    hello_spec,
    parse_directives,
    parse_time_limit,
    render_script,
    write_script,
)

__all__ = [
    "Executor", "Job", "JobLogs", "JobSpec", "JobStatus", "LocalExecutor", "Queue", "QueueRow",
    "SlurmExecutor", "cancel", "check_gpu_request", "executor_for", "executor_name", "executor_of", "expand_pattern",
    "get_job", "gpu_count", "hello_spec", "jobcomp_as_sacct", "logs", "normalize_state", "parse_directives",
    "parse_exit_code", "parse_jobcomp", "parse_key_values", "parse_sacct", "parse_sbatch_parsable",
    "parse_scontrol_job", "parse_show_config", "parse_sinfo_gres", "parse_squeue", "parse_time_limit",
    "queue", "render_script", "status", "status_from_queue_row", "status_from_sacct", "status_from_scontrol",
    "submit", "wait", "write_script",
]
