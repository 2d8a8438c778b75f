"""Which container runtime a site uses here: apptainer, singularity, or the host Python."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from kit.container.commands import version_command
from kit.errors import CommandError, ContainerError
from kit.sites import Site, load_site
from litmarp import proc
from litmarp.paths import shown_path

RUNTIMES = ("apptainer", "singularity")


@dataclass(frozen=True)
class Runtime:
    """The container runtime this machine uses for a site."""

    name: str  # apptainer, singularity, or host (no container: the host Python)
    path: Path | None
    version: str | None
    flavor: str | None  # what --version calls it: apptainer, singularity-ce, singularity
    reason: str  # why this runtime was chosen, for reports

    @property
    def is_host(self) -> bool:
        """No container runtime: commands run on the host Python."""
        return self.name == "host"

    def describe(self) -> str:
        """One line such as ``apptainer 1.3.4 (/usr/bin/apptainer)`` or ``host Python (...)``."""
        if self.path is None:  # the host runtime: no executable of its own
            return f"host Python {sys.version.split()[0]} ({self.reason})"
        return f"{self.flavor or self.name} {self.version or '(version unknown)'} ({shown_path(self.path)})"


def parse_version_output(text: str) -> tuple[str | None, str | None]:
    """(flavor, version) from ``--version`` output: ``singularity-ce version 4.1.5-jammy`` ->
    ``("singularity-ce", "4.1.5-jammy")``; Nones when the text is not recognised."""
    m = re.search(r"^\s*([\w.-]+)\s+version\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if not m:
        m2 = re.search(r"\b(\d+\.\d+(?:\.\d+)?\S*)", text)
        return (None, m2.group(1) if m2 else None)
    return m.group(1).lower(), m.group(2)


def _version_of(path: Path) -> tuple[str | None, str | None]:
    try:
        cp = proc.run(version_command(path), check=False, timeout=30)
    except CommandError:
        return None, None
    return parse_version_output(cp.stdout or cp.stderr)


def detect_runtime(site: Site | None = None) -> Runtime:
    """The runtime the site forces (a :class:`ContainerError` when not on PATH), else apptainer/singularity
    on PATH, else host."""
    site = site or load_site()
    wanted = site.container.runtime
    origin = f"site {site.name!r} sets container.runtime = {wanted!r} ({shown_path(site.files[-1])})"
    if wanted == "host":
        return Runtime("host", None, None, None, origin)
    if wanted in RUNTIMES:
        path = proc.which(wanted)
        if path is None:
            raise ContainerError(
                f"{wanted} is not on PATH, but {origin}",
                hint=f"on the cluster, load it (e.g. `module load {wanted}`) and start Jupyter from that shell; "
                     "on a laptop use the site 'local' (KIT_SITE=local), which runs on the host Python",
            )
        flavor, version = _version_of(path)
        return Runtime(wanted, path, version, flavor, origin)
    order = [site.container.command] + [r for r in RUNTIMES if r != site.container.command]
    for name in order:
        path = proc.which(name)
        if path is not None:
            flavor, version = _version_of(path)
            return Runtime(name, path, version, flavor, f"found {name} on PATH")
    return Runtime("host", None, None, None, "no apptainer or singularity on PATH")
