"""Site profiles: what differs between clusters, in one small TOML file per site.

``sites/<name>.toml`` is merged over ``sites/default.toml``; a site overrides
only what differs. ``default.toml`` is only that base, not a site of its own.
The site is picked by argument, else ``$KIT_SITE``, else ``local``
(:data:`DEFAULT_SITE`, the one default everywhere in the kit). Every key a site
may set exists in ``default.toml``: an unknown key or a value of the wrong type
is an error naming the file and the key (:func:`kit.config.merge` checks).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.config import merge
from kit.errors import ConfigError
from kit.slurm.gpus import gpu_count
from kit.slurm.spec import parse_time_limit
from litmarp.project import read_toml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SITES_DIR = PROJECT_ROOT / "sites"
#: The site used when none is named and ``$KIT_SITE`` is not set.
DEFAULT_SITE = "local"
#: The base every site is merged over (not a site of its own).
BASE_FILE = "default.toml"


@dataclass(frozen=True)
class ContainerSettings:
    """How this site runs containers."""

    runtime: str  # auto | singularity | apptainer | host
    command: str  # the program a slide shows (singularity or apptainer)
    image: str  # the base image reference to pull
    sif_dir: Path  # where pulled images go ("" in the profile: the work directory, where the build runs)
    def_file: Path  # the definition file to build
    sif: str  # the name of the built image
    gpu: bool  # pass --nv to exec


@dataclass(frozen=True)
class SlurmSettings:
    """The #SBATCH values this site needs."""

    executor: str  # auto | slurm | local
    job_name: str
    output: str
    error: str
    nodes: int
    gpus: str  # e.g. "tesla:1"; empty: ask for none
    time: str
    partition: str
    cpus_per_task: int  # 0: not set
    mem: str
    extra: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrainSettings:
    """Which training profile (kit/profiles.py) the site's job and lessons use: its model, data and options."""

    profile: str


@dataclass(frozen=True)
class Site:
    """A merged, validated site profile."""

    name: str
    description: str
    work_dir: Path
    container: ContainerSettings
    slurm: SlurmSettings
    train: TrainSettings
    files: tuple[Path, ...]  # the TOML files merged, default first


_VALID = {
    ("container", "runtime"): {"auto", "singularity", "apptainer", "host"},
    ("slurm", "executor"): {"auto", "slurm", "local"},
}


def available_sites(sites_dir: Path = SITES_DIR) -> list[str]:
    """Names of the site profiles shipped (not ``default``: that file is the base they merge over)."""
    return sorted(p.stem for p in sites_dir.glob("*.toml") if p.name != BASE_FILE)


def site_source(name: str | None = None) -> str:
    """How :func:`load_site` chooses the site: ``--site``, ``$KIT_SITE`` or ``default``."""
    if name:
        return "--site"
    if os.environ.get("KIT_SITE"):
        return "$KIT_SITE"
    return "default"


def resolve_path(value: str) -> Path:
    """Expand ``~`` and make relative paths relative to the project root."""
    return PROJECT_ROOT / os.path.expanduser(value)


def check_slurm_values(slurm: SlurmSettings, source: Callable[[str], str]) -> None:
    """Check ``[slurm]`` values by what Slurm makes of them, so a wrong one fails when the site loads, naming
    the file that set it (``source(key)``).

    sbatch would refuse ``time = "forever"`` or ``mem = "-4G"`` only at submission, and take
    ``gpus = "tesla:0"`` (a job that trains on the CPU until its time limit). An empty value is
    "not set" (``gpus = ""``: no GPU asked for).
    """
    def wrong(key: str, problem: str, hint: str) -> ConfigError:
        return ConfigError(f"{source(key)}: slurm.{key} = {getattr(slurm, key)!r} {problem}", hint=hint)

    if slurm.gpus:
        try:
            count = gpu_count(slurm.gpus)
        except ConfigError:
            raise wrong("gpus", "is not a GPU request",
                        'write TYPE:COUNT ("tesla:1") or COUNT ("1"); "" asks for no GPU') from None
        if count < 1:
            raise wrong("gpus", "asks for no GPU: the job would train on the CPU until its time limit",
                        'ask for at least one ("tesla:1"), or write gpus = "" for a job without a GPU')
    if slurm.time:
        try:
            parse_time_limit(slurm.time)
        except ConfigError:
            raise wrong("time", "is not a Slurm time",
                        'use minutes ("30"), "HH:MM:SS" ("24:00:00") or "D-HH:MM:SS" ("1-00:00:00"); '
                        '"" for the partition\'s limit') from None
    if slurm.mem and not re.fullmatch(r"0*[1-9]\d*[KMGT]B?", slurm.mem, re.IGNORECASE):
        bare = slurm.mem.strip().isdigit()
        raise wrong("mem", "has no unit (Slurm would read megabytes)" if bare else
                    "is not a memory size (a positive number with a unit)",
                    'write it with a unit: "8G", "500M" ("" for the partition\'s default)')


def load_site(name: str | None = None, *, sites_dir: Path = SITES_DIR,
              overrides: dict[str, Any] | None = None) -> Site:
    """Load and validate a site profile (``name``: default ``$KIT_SITE``, else ``local``); ``overrides``, a
    nested dict, are merged last (e.g. from a papermill parameter)."""
    name = name or os.environ.get("KIT_SITE") or DEFAULT_SITE
    base_path = sites_dir / BASE_FILE
    if name == Path(BASE_FILE).stem:
        raise ConfigError(
            f"{base_path} is the base every site merges over, not a site to pick",
            hint=f"pick one of: {', '.join(available_sites(sites_dir))} (ie-ryukyu has the same values)",
        )
    path = sites_dir / f"{name}.toml"
    if not path.is_file():
        known = available_sites(sites_dir)
        close = difflib.get_close_matches(name, known, n=1)
        raise ConfigError(
            f"no site profile {name!r} (looked for {path})" + (f": did you mean {close[0]}?" if close else ""),
            hint=f"pick one of: {', '.join(known)}, or copy sites/local.toml to sites/{name}.toml",
        )
    own = read_toml(path)
    data = merge(read_toml(base_path), own, str(path))
    if overrides:
        data = merge(data, overrides, "<overrides>")
    for (table, key), allowed in _VALID.items():
        if data[table][key] not in allowed:
            raise ConfigError(
                f"{path}: {table}.{key} = {data[table][key]!r} is not valid",
                hint=f"use one of: {', '.join(sorted(allowed))}",
            )
    slurm = SlurmSettings(**data["slurm"])

    def source(key: str) -> str:  # the file (or the overrides) that set slurm.<key>
        if key in (overrides or {}).get("slurm", {}):
            return "<overrides>"
        return str(path if key in own.get("slurm", {}) else base_path)

    check_slurm_values(slurm, source)
    c = data["container"]
    work_dir = resolve_path(data["work_dir"])
    sif_dir = resolve_path(c["sif_dir"]) if c["sif_dir"] else work_dir
    return Site(
        name=name,
        description=data["description"],
        work_dir=work_dir,
        container=ContainerSettings(**{**c, "sif_dir": sif_dir, "def_file": resolve_path(c["def_file"])}),
        slurm=slurm,
        train=TrainSettings(**data["train"]),
        files=(base_path, path),
    )
