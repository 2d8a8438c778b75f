"""``python -m kit doctor``: what this machine has, and what the lessons will do with it.

:func:`run_checks` looks at the container runtime, Slurm (commands, partitions,
GPUs by gres), the GPU torch sees, free disk in the sif and work directories, the
Python packages, marp-cli, Chromium and Japanese fonts. It returns a
:class:`Report`: the checks (name, ok, detail, required for this site) and the
lesson steps that will run for real or be skipped, and why. Rendering is pure
(:func:`render_markdown`, :func:`render_text`) so a lesson shows the same table
the CLI prints. A required piece missing makes :attr:`Report.exit_code` 1.
"""


from __future__ import annotations

from kit.container.diagnose import parse_subid
from kit.doctor.checks import LESSON_PACKAGES, TRAINING_PACKAGES, find_chromium, japanese_fonts, run_checks
from kit.doctor.report import Check, Report, Step, render_markdown, render_text

# The one GPU-request check lives in kit.slurm.gpus; importable from here as before.
from kit.slurm.gpus import Partition, gpu_request_matches, parse_sinfo_gres

__all__ = [
    "LESSON_PACKAGES", "TRAINING_PACKAGES", "Check", "Partition", "Report", "Step", "find_chromium",
    "gpu_request_matches", "japanese_fonts", "parse_sinfo_gres", "parse_subid", "render_markdown", "render_text",
    "run_checks",
]
