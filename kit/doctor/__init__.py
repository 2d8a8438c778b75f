"""``python -m kit doctor``: what this machine has, and what the lessons will do with it.

:func:`run_checks` looks at the container runtime, Slurm (commands, partitions,
GPUs by gres), the GPU torch sees, free disk in the sif and work directories, the
Python packages, marp-cli, Chromium and Japanese fonts. It returns a
:class:`Report`: the checks (name, ok, detail, required for this site) and the
lesson steps that will run for real or be skipped, and why. Rendering is pure
(:func:`render_markdown`, :func:`render_text`) so a lesson shows the same table
the CLI prints. A required piece missing makes ``kit doctor`` exit with 1 (:meth:`Report.raise_for_missing`).
"""

from __future__ import annotations

from kit.doctor.checks import run_checks
from kit.doctor.report import render_markdown, render_text

__all__ = ["render_markdown", "render_text", "run_checks"]
