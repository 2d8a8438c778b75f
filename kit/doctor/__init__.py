"""``python -m kit doctor``: what this machine has, and which lesson steps will run for real or be skipped,
and why. Rendering is pure, so a lesson shows the same table the CLI prints; a required piece missing
makes ``kit doctor`` exit with 1."""

from __future__ import annotations

from kit.doctor.checks import run_checks
from kit.doctor.report import render_markdown, render_text

__all__ = ["render_markdown", "render_text", "run_checks"]
