"""Disk usage of what the workshop fills (:mod:`~kit.storage.usage`), and deleting what it made
(:mod:`~kit.storage.clean`).

:func:`clean` never deletes on its own: it needs the exact paths and ``confirm=True``
(``--yes``); without it, it only says what it would delete. It deletes only caches,
images, runs and checkpoints, whatever the site profile's folders are.
"""

from __future__ import annotations

from kit.storage.clean import clean
from kit.storage.usage import du_report, plot_usage, render_markdown, render_text, usage

__all__ = ["clean", "du_report", "plot_usage", "render_markdown", "render_text", "usage"]
