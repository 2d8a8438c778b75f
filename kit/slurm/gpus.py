"""The one GPU-request check: can this cluster's partitions serve ``--gpus [TYPE:]COUNT``?

:func:`gpu_count` reads a ``--gpus`` value; :func:`parse_sinfo_gres` reads ``sinfo -o '%P %G'``;
:func:`check_gpu_request` says which partitions serve a request (pure); :func:`gpu_hint` words the
advice when sbatch refuses one, naming the request that was made and where the site profile's
value differs. :func:`partitions` runs sinfo. ``kit doctor`` and ``kit.slurm.submit`` both
use these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kit.errors import ConfigError, KitError
from kit.slurm import commands
from litmarp import proc

if TYPE_CHECKING:
    from kit.sites import Site


def gpu_count(gpus: str) -> int:
    """GPUs a ``--gpus`` value asks for: ``tesla:2`` → 2, ``2`` → 2, ``tesla`` → 1, ``""`` → 0 (pure).

    Raises:
        ConfigError: a value Slurm would not take.
    """
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
    """Parse ``sinfo -o '%P %G'`` output (header optional; a partition may span several lines) (pure).

    ``debug* gpu:tesla:1`` -> ``Partition("debug", True, ("gpu:tesla:1",))``. Socket
    annotations such as ``(S:0-1)`` are dropped; ``(null)`` means no gres.
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
    """Whether a node gres (``gpu:tesla:4``) can serve a ``--gpus`` request (``tesla:1``, ``2``) (pure).

    Args:
        request: A ``--gpus`` value: ``[TYPE:]COUNT``.
        gres: One gres entry of a node: ``gpu[:TYPE]:COUNT``.
    """
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


def offered(partitions: list[Partition]) -> str:
    """The GPUs the partitions offer, for messages: ``gpu:tesla:1`` (``no GPUs`` when none) (pure)."""
    found = sorted({g for p in partitions for g in p.gres if g.startswith("gpu")})
    return ", ".join(found) or "no GPUs"


def gpu_hint(request: str, partitions: list[Partition], site: Site | None = None) -> str:
    """What to do when sbatch refuses ``--gpus request`` (pure).

    The message names the request that was made. It blames the site profile only
    when the request is the profile's own ``slurm.gpus`` value; a request written in the
    script (or on the command line) is named as such.
    """
    have = offered(partitions)
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
    """This cluster's partitions and their gres (``sinfo``).

    Raises:
        CommandNotFound: no sinfo here.
        CommandError: sinfo failed (the controller is down).
    """
    return parse_sinfo_gres(proc.run(commands.sinfo_gres(), timeout=timeout).stdout)


def partitions_or_empty(timeout: float = 30) -> list[Partition]:
    """:func:`partitions`, or ``[]`` when sinfo is missing or fails (for hints)."""
    try:
        return partitions(timeout)
    except KitError:
        return []
