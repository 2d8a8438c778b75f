"""Slurm jobs from Python: write a batch script, submit it, watch it, read its logs.

Generic Slurm, for any batch script::

    from kit import slurm
    from kit.sites import load_site

    spec = slurm.JobSpec(job_name="hello", output="logs/%x-%j.log", body=["hostname"])
    slurm.write_script(spec, "hello.sbatch")      # refuses to clobber a different file
    job = slurm.submit("hello.sbatch", site=load_site("ci"))  # sbatch --parsable
    slurm.wait(job, timeout=600)                  # state changes + the log growing
    print(slurm.logs(job))

The package, along its seams:

* :mod:`~kit.slurm.spec`: job specs and scripts (pure rendering, every value quoted),
  reading ``#SBATCH`` options back.
* :mod:`~kit.slurm.commands`: every Slurm argv, built by a pure function.
* :mod:`~kit.slurm.parse`: pure parsers of Slurm's output (tested on captured output).
* :mod:`~kit.slurm.gpus`: ``--gpus`` values and the one GPU-request check (``sinfo`` gres against ``--gpus``).
* :mod:`~kit.slurm.executor`: the :class:`Executor` interface both executors implement;
  :mod:`~kit.slurm.client` (Slurm) and :mod:`~kit.slurm.local` (bash in the background,
  ids ``local-N``, used where Slurm is absent or ``slurm.executor = "local"``).
* :mod:`~kit.slurm.jobs`: submit, status, cancel, wait, logs, queue, for either executor.
"""

from __future__ import annotations

from kit.slurm.client import SlurmExecutor
from kit.slurm.executor import Executor, Job
from kit.slurm.gpus import Partition, check_gpu_request, gpu_count, parse_sinfo_gres, partitions
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
    "Executor", "Job", "JobLogs", "JobSpec", "JobStatus", "LocalExecutor", "Partition", "Queue", "QueueRow",
    "SlurmExecutor", "cancel", "check_gpu_request", "executor_for", "executor_name", "executor_of", "expand_pattern",
    "get_job", "gpu_count", "hello_spec", "jobcomp_as_sacct", "logs", "normalize_state", "parse_directives",
    "parse_exit_code", "parse_jobcomp", "parse_key_values", "parse_sacct", "parse_sbatch_parsable",
    "parse_scontrol_job", "parse_show_config", "parse_sinfo_gres", "parse_squeue", "parse_time_limit", "partitions",
    "queue", "render_script", "status", "status_from_queue_row", "status_from_sacct", "status_from_scontrol",
    "submit", "wait", "write_script",
]
