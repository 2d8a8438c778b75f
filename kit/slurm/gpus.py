"""The one GPU-request check (``kit doctor`` and ``kit.slurm.submit``): can the partitions serve ``--gpus``?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kit.errors import ConfigError
from kit.slurm import commands
from litmarp import proc

if TYPE_CHECKING:
    from kit.sites import Site


def gpu_count(gpus: str) -> int:
    """GPUs a ``--gpus`` value asks for: ``tesla:2`` → 2, ``2`` → 2, ``tesla`` → 1, ``""`` → 0 (pure)."""
    if not gpus:
        return 0
    match = re.fullmatch(r"(?:[A-Za-z0-9_.-]+:)?(\d+)|([A-Za-z][A-Za-z0-9_.-]*)", gpus.strip())
    if not match:
        raise ConfigError(f"--gpus {gpus!r} is not a GPU request", hint="write TYPE:COUNT (tesla:1) or COUNT")
    return int(match.group(1)) if match.group(1) else 1


@dataclass(frozen=True)
class Partition:
    """A Slurm partition and the generic resources (gres) of its nodes."""

    name: str
    default: bool
    gres: tuple[str, ...]  # ("gpu:tesla:1",), empty when (null)


def parse_sinfo_gres(text: str) -> list[Partition]:
    """Parse ``sinfo -o '%P %G'`` (header optional; a partition may span several lines) (pure).

    ``debug* gpu:tesla:1`` -> ``Partition("debug", True, ("gpu:tesla:1",))``; ``(S:0-1)`` is dropped.
    """
    parts: dict[str, Partition] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] == "PARTITION":
            continue
        name, gres_text = fields[0], fields[1]
        default = name.endswith("*")
        name = name.rstrip("*")
        gres = [] if gres_text == "(null)" else [
            re.sub(r"\(.*?\)", "", g) for g in re.split(r",(?![^(]*\))", gres_text)]
        old = parts.get(name)
        merged = tuple(dict.fromkeys([*(old.gres if old else ()), *gres]))
        parts[name] = Partition(name, default or bool(old and old.default), merged)
    return list(parts.values())


def gpu_request_matches(request: str, gres: str) -> bool:
    """Whether a node gres (``gpu:tesla:4``) can serve a ``--gpus`` request (``tesla:1``, ``2``) (pure)."""
    m = re.fullmatch(r"gpu(?::([^:]+))?:(\d+)", gres)
    if not m:
        return False
    have_type, have = m.group(1), int(m.group(2))
    want_type, _, want = request.rpartition(":")
    if not want.isdigit():
        return False
    return (not want_type or want_type == have_type) and have >= int(want)


def check_gpu_request(request: str, partitions: list[Partition], partition: str = "") -> list[str]:
    """The partitions (of ``partition`` when given) whose nodes can serve ``--gpus request`` (pure)."""
    pool = [p for p in partitions if not partition or p.name == partition]
    return [p.name for p in pool if any(gpu_request_matches(request, g) for g in p.gres)]


def gpu_hint(request: str, partitions: list[Partition], site: Site | None = None) -> str:
    """What to do when sbatch refuses ``--gpus request`` (pure): the site profile is blamed only when the
    request is its own ``slurm.gpus``."""
    have = ", ".join(sorted({g for p in partitions for g in p.gres if g.startswith("gpu")})) or "no GPUs"
    ask = "a type:count it offers, or \"\" to ask for no GPU"
    if site is not None and site.slurm.gpus == request:
        where = f"slurm.gpus = {request!r} in {site.files[-1]}"
        return (f"this cluster cannot give --gpus {request}, the site profile's GPU setting ({where}); "
                f"it offers {have} (sinfo -o %G). Set slurm.gpus to {ask}")
    profile = (f" (the site profile asks for {site.slurm.gpus!r}, which is not what was submitted)"
               if site is not None and site.slurm.gpus else "")
    return (f"this cluster cannot give --gpus {request}, the request in the job script{profile}; "
            f"it offers {have} (sinfo -o %G). Change the script's --gpus to {ask}")


def partitions(timeout: float = 30) -> list[Partition]:
    """This cluster's partitions and their gres (``sinfo``; CommandNotFound, CommandError)."""
    return parse_sinfo_gres(proc.run(commands.sinfo_gres(), timeout=timeout).stdout)
