"""The import check: which Python, CUDA and module versions an image (or the host) has."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kit import versions
from kit.container.commands import site_sif_path
from kit.container.ops import exec
from kit.container.runtime import detect_runtime
from kit.errors import CheckFailed, ContainerError
from kit.sites import Site, load_site
from kit.textutil import text_table, work_path
from litmarp.paths import shown_path

# Runs inside the image, on its python3 (3.8: tests/test_py38_job_path.py checks it).
IMPORT_SCRIPT = """\
import importlib, json, sys
out = {"python": "%d.%d.%d" % tuple(sys.version_info[:3]), "executable": sys.executable, "modules": {}}
for name in sys.argv[1:]:
    try:
        mod = importlib.import_module(name)
        version = getattr(mod, "__version__", None)
        if version is None:
            try:
                from importlib.metadata import version as _meta
                version = _meta(name)
            except Exception:
                version = "unknown"
        out["modules"][name] = {"version": str(version)}
        if name == "torch":
            out["cuda"] = mod.version.cuda
            out["cuda_available"] = bool(mod.cuda.is_available())
    except Exception as exc:
        out["modules"][name] = {"error": "%s: %s" % (type(exc).__name__, exc)}
print("KIT-IMPORTS " + json.dumps(out))
"""


@dataclass(frozen=True)
class ModuleVersion:
    """One module as found inside an image."""

    name: str
    version: str | None
    error: str | None = None
    expected: str | None = None

    @property
    def ok(self) -> bool:
        """Imported, and the expected version when one is stated."""
        if self.version is None:
            return False
        return self.expected is None or self.version.split("+")[0].startswith(self.expected)


@dataclass(frozen=True)
class ImportReport:
    """What :func:`check_imports` found: Python, CUDA and each module's version."""

    where: str  # "env.sif (apptainer 1.3.4)" or "host Python (...)"
    python: str
    modules: tuple[ModuleVersion, ...]
    cuda: str | None = None
    cuda_available: bool | None = None
    expected_python: str | None = None

    @property
    def python_ok(self) -> bool:
        return self.expected_python is None or self.python.startswith(self.expected_python + ".")

    @property
    def ok(self) -> bool:
        """Every module imported in the expected version (and the expected Python)."""
        return self.python_ok and all(m.ok for m in self.modules)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(name, found, expected, status) rows: python, CUDA, then each module."""
        rows = [("python", self.python, self.expected_python or "", _status(self.python_ok))]
        if self.cuda is not None or any(m.name == "torch" and m.version for m in self.modules):
            avail = {True: "GPU visible", False: "no GPU visible", None: ""}[self.cuda_available]
            rows.append(("CUDA (torch)", f"{self.cuda or 'none (CPU build)'}",
                         versions.BASE_IMAGE.cuda if self.expected_python else "", avail))
        for m in self.modules:
            rows.append((m.name, m.version or "missing", m.expected or "",
                         _status(m.ok) if m.version else f"✗ {m.error or 'not importable'}"))
        return rows

    def to_text(self) -> str:
        return text_table(["module", "found", "expected", ""], self.rows(), title=self.where)

    def raise_for_failure(self) -> None:
        """Raise :class:`CheckFailed` when a module is missing or differs (the table says which)."""
        if not self.ok:
            bad = ["python"] * (not self.python_ok) + [m.name for m in self.modules if not m.ok]
            raise CheckFailed(f"{self.where}: {', '.join(bad)} missing or not the expected version",
                              hint="rebuild the image from container/env.def (python -m kit container build --force)")


def _status(ok: bool) -> str:
    return "✓" if ok else "✗ differs"


def parse_import_output(stdout: str, *, where: str, expected: Mapping[str, str] | None = None) -> ImportReport:
    """Read the ``KIT-IMPORTS {json}`` line printed by the import-check script."""
    line = next((ln for ln in reversed(stdout.splitlines()) if ln.startswith("KIT-IMPORTS ")), None)
    if line is None:
        raise ContainerError(f"the import check printed no result in {where}", details=stdout,
                             hint="run `python -m kit container exec -- python3 -c 'import torch'` to see why")
    data = json.loads(line[len("KIT-IMPORTS "):])
    expected = dict(expected or {})
    modules = tuple(
        ModuleVersion(name, info.get("version"), info.get("error"), expected.get(name))
        for name, info in data["modules"].items()
    )
    return ImportReport(where, data["python"], modules, data.get("cuda"), data.get("cuda_available"),
                        expected.get("python"))


def check_imports(
    sif: str | os.PathLike[str] | None = None,
    modules: Sequence[str] = versions.CHECK_MODULES,
    *,
    site: Site | None = None,
    timeout: float | None = 900,
) -> ImportReport:
    """Import each module inside the image and report the versions, with Python, CUDA and whether a GPU is visible.

    In a container the pins of :mod:`kit.versions` are expected; the host runtime expects nothing (its
    versions are the kit's, not the image's). Importing torch from a network filesystem can be slow.
    """
    site = site or load_site()
    rt = detect_runtime(site)
    image = Path(sif) if sif is not None else site_sif_path(site)
    cp = exec(image, ["python3", "-c", IMPORT_SCRIPT, *modules], site=site, timeout=timeout)
    if rt.is_host:
        return parse_import_output(cp.stdout, where=f"host Python {shown_path(sys.executable)} (no container)")
    return parse_import_output(cp.stdout, where=f"{work_path(image, site.work_dir)} ({rt.describe()})",
                               expected=versions.expected_versions())
