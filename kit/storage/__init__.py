"""Disk usage of what the workshop fills (:mod:`~kit.storage.usage`), and deleting what it made, only by
exact path and with ``confirm=True`` (``--yes``) (:mod:`~kit.storage.clean`)."""

from __future__ import annotations

from kit.storage.clean import clean
from kit.storage.usage import du_report, plot_usage, render_markdown, render_text, usage

__all__ = ["clean", "du_report", "plot_usage", "render_markdown", "render_text", "usage"]
