"""Disk usage of what the workshop fills, and deleting what it made (:mod:`kit.storage.usage`)."""

from __future__ import annotations

from kit.storage.usage import clean, du_report, plot_usage, render_markdown, render_text, usage

__all__ = ["clean", "du_report", "plot_usage", "render_markdown", "render_text", "usage"]
