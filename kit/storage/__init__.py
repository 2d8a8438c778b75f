"""Disk usage of what the workshop fills (:mod:`~kit.storage.usage`), and deleting what it made
(:mod:`~kit.storage.clean`).

:func:`clean` never deletes on its own: it needs the exact paths and ``confirm=True``
(``--yes``); without it, it only says what it would delete. It deletes only caches,
images, runs and checkpoints, whatever the site profile's folders are.
"""

from __future__ import annotations

from kit.storage.clean import CACHE_KEYS, CleanEntry, CleanResult, classify, clean
from kit.storage.usage import DirUsage, KnownDir, du_report, known_dirs, plot_usage, render_markdown, render_text, usage
from kit.textutil import format_size

__all__ = [
    "CACHE_KEYS", "CleanEntry", "CleanResult", "DirUsage", "KnownDir", "classify", "clean", "du_report",
    "format_size", "known_dirs", "plot_usage", "render_markdown", "render_text", "usage",
]
