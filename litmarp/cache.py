"""The execution cache (`jupyter-cache <https://jupyter-cache.readthedocs.io/>`_, MyST-NB's store): a lesson is
re-executed only when its outputs could change.

jupyter-cache keys a notebook by a hash of its code cells, so a markdown edit re-renders from the cached
outputs. What else determines the outputs is written into the notebook's metadata (``litmarp_execution``)
before hashing: the site, the files the project's ``inputs`` name, the engine's command cells
(:mod:`litmarp.shell`, which runs in the kernel) and the files the lesson's front matter says it reads
(``jupyter: litmarp: reads: [container/env.def]``). Of a code cell's metadata only :data:`EXEC_TAGS` count:
how an output is shown (``clip``, ``remove-*``) re-renders without re-running. A failed lesson is never stored.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from litmarp import project
from litmarp.labels import label

METADATA_KEY = "litmarp_execution"
EXEC_TAGS = frozenset({"parameters", "injected-parameters", "raises-exception", "skip-execution"})
# The engine's own code that runs in the kernel: a change to how a command cell runs re-executes the lessons.
ENGINE_CODE = Path(__file__).with_name("shell.py")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "missing"


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def execution_inputs(nb: Any, *, site: str) -> dict[str, Any]:
    """Everything outside the code cells that determines a lesson's outputs (JSON-able): the site, the
    project's ``inputs`` for that site, the engine's kernel-side code and the files (globs, relative to the
    project) the lesson's front matter says it reads."""
    workshop = project.current()
    root = workshop.root
    reads: dict[str, str] = {}
    declared = nb.get("metadata", {}).get("litmarp", {}).get("reads", [])
    for pattern in [declared] if isinstance(declared, str) else declared:
        matches = sorted(root.glob(pattern)) or [root / pattern]
        reads.update({_rel(p, root): _digest(p) for p in matches})
    return {
        "site": site,
        "inputs": {_rel(p, root): _digest(p) for p in workshop.input_files(site)},
        "engine": _digest(ENGINE_CODE),
        "reads": reads,
    }


@dataclass(frozen=True)
class CachedRun:
    """Where a deck's outputs come from."""

    executed: bool
    site: str
    executed_at: datetime
    seconds: float | None = None

    def stamp(self) -> str:
        """One line for the title slide: site and time of the outputs."""
        return label("stamp", site=self.site, when=f"{self.executed_at:%Y-%m-%d %H:%M}")


def _hashable_copy(nb: Any) -> Any:
    """The notebook as it is hashed: code cells keep only the tags that change execution."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = sorted(EXEC_TAGS.intersection(cell.metadata.get("tags", [])))
        cell.metadata = {"tags": tags} if tags else {}
    return nb


def open_cache(path: Path | None = None) -> Any:
    """The jupyter-cache store at ``path`` (created on first use)."""
    from jupyter_cache.cache.main import JupyterCacheBase

    class LessonCache(JupyterCacheBase):  # type: ignore[misc]
        """jupyter-cache, hashing :data:`METADATA_KEY` and only execution-relevant cell metadata."""

        def create_hashed_notebook(self, nb, nb_metadata=("kernelspec", METADATA_KEY),  # noqa: ANN001, ANN201
                                   cell_metadata=None):
            return super().create_hashed_notebook(_hashable_copy(nb), nb_metadata=nb_metadata,
                                                  cell_metadata=cell_metadata)

    folder = path or project.current().cache
    folder.mkdir(parents=True, exist_ok=True)
    return LessonCache(str(folder))


def repaired(cache: Any, report: Callable[[str], None], step: Callable[..., Any], *args: Any,
             **kwargs: Any) -> tuple[Any, Any]:
    """``(cache, step(cache, *args, **kwargs))``; a damaged cache (its database, or a stored notebook) is moved
    out of the way (``<cache>.damaged-<time>``) and the step done again in a new, empty one (a lookup misses)."""
    from nbformat.reader import NotJSONError
    from sqlalchemy.exc import DatabaseError

    try:
        return cache, step(cache, *args, **kwargs)
    except (DatabaseError, NotJSONError, json.JSONDecodeError) as exc:
        folder = Path(cache.path)
        aside = folder.with_name(f"{folder.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
        folder.rename(aside)
        report(f"the execution cache {folder} was damaged ({type(exc).__name__}: {str(exc).splitlines()[0][:80]}); "
               f"moved it to {aside.name} and started a new one (lessons execute again)")
        cache = open_cache(folder)
        return cache, step(cache, *args, **kwargs)


def lookup(cache: Any, nb: Any) -> tuple[Any, CachedRun] | None:
    """The notebook with cached outputs merged in (markdown from ``nb``), or None on a miss."""
    try:
        pk, merged = cache.merge_match_into_notebook(nb, cell_meta=())
    except KeyError:
        return None
    record = cache.get_cache_record(pk)
    data: Mapping[str, Any] = record.data or {}
    when = datetime.fromisoformat(data["executed_at"]) if "executed_at" in data else \
        record.created.replace(tzinfo=timezone.utc)
    return merged, CachedRun(False, str(data.get("site", "?")), when, data.get("seconds"))


def store(cache: Any, nb: Any, executed_nb: Any, *, uri: str, site: str, seconds: float) -> CachedRun:
    """Store ``nb`` (as looked up: papermill rewrites the kernelspec and cell metadata of the copy it executes,
    which would change the key) with the outputs of ``executed_nb``; return their provenance."""
    from jupyter_cache.base import CacheBundleIn

    merged = copy.deepcopy(nb)
    done = [c for c in executed_nb.cells if c.cell_type == "code"]
    todo = [c for c in merged.cells if c.cell_type == "code"]
    if [c.source for c in done] != [c.source for c in todo]:
        raise ValueError("the executed notebook's code cells differ from the source's")
    for cell, ran in zip(todo, done, strict=True):
        cell.outputs = ran.outputs
        cell.execution_count = ran.execution_count
    when = datetime.now(timezone.utc).replace(microsecond=0)
    data = {"site": site, "executed_at": when.isoformat(), "seconds": round(seconds, 1)}
    cache.cache_notebook_bundle(CacheBundleIn(merged, uri, data=data), check_validity=False, overwrite=True)
    return CachedRun(True, site, when, seconds)
