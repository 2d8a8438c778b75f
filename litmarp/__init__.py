"""litmarp: literate Marp decks. Lessons written as Marp Markdown that jupytext pairs with notebooks,
executed (papermill, cached with jupyter-cache) and rendered with their real outputs (marp-cli, Chromium).

A workshop configures it in its ``pyproject.toml`` (:mod:`litmarp.project`); the engine imports nothing
of any workshop. ``python -m litmarp --help`` lists the commands.
"""
