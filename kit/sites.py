"""Site profiles: what differs between clusters, in one small TOML file per site.

``sites/<name>.toml`` is merged over ``sites/default.toml``; a site overrides
only what differs. The site is picked by argument, else ``$KIT_SITE``, else
``default``. Every key a site may set exists in ``default.toml``: an unknown key
or a value of the wrong type is an error naming the file and the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SITES_DIR = PROJECT_ROOT / "sites"


@dataclass(frozen=True)
class ContainerSettings:
    """How this site runs containers."""

    runtime: str  # auto | singularity | apptainer | host
    command: str  # the program a slide shows (singularity or apptainer)
    image: str  # the base image reference to pull
    sif_dir: Path  # where pulled images go
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
    """What the training job loads."""

    profile: str
    model: str
    target_tokenizer: str
    data: str


@dataclass(frozen=True)
class Site:
    """A merged, validated site profile."""

    name: str
    description: str
    work_dir: Path
    container: ContainerSettings
    slurm: SlurmSettings
    train: TrainSettings
    docs: dict[str, str]
    files: tuple[Path, ...]  # the TOML files merged, default first


_VALID = {
    ("container", "runtime"): {"auto", "singularity", "apptainer", "host"},
    ("slurm", "executor"): {"auto", "slurm", "local"},
}


def available_sites(sites_dir: Path = SITES_DIR) -> list[str]:
    """Names of the site profiles shipped (``default`` included)."""
    return sorted(p.stem for p in sites_dir.glob("*.toml"))


def _toml() -> Any:
    """The TOML reader: tomllib (3.11+), else tomli, else the copy pip vendors.

    The training job also runs inside the workshop's image, whose Python is 3.8
    (no tomllib); every pip since 21.2 carries tomli, so a site still loads there.
    """
    try:
        import tomllib  # novermin

        return tomllib
    except ImportError:
        pass
    try:
        import tomli

        return tomli
    except ImportError:
        from pip._vendor import tomli as vendored

        return vendored


def _read(path: Path) -> dict[str, Any]:
    toml = _toml()
    try:
        with path.open("rb") as fh:
            return toml.load(fh)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the syntax at the line shown") from None


def _merge(base: dict[str, Any], over: dict[str, Any], path: Path, prefix: str = "") -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(
                f"{path}: unknown key {dotted!r}",
                hint=f"use one of: {known} (every key is listed in sites/default.toml)",
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {dotted!r} must be a table ([{dotted}])")
            merged[key] = _merge(base[key], value, path, dotted + ".")
        else:
            if type(value) is not type(base[key]):
                raise ConfigError(
                    f"{path}: {dotted!r} must be {type(base[key]).__name__}, got {value!r}",
                    hint=f"see the value in sites/default.toml, e.g. {dotted} = {base[key]!r}",
                )
            merged[key] = value
    return merged


def resolve_path(value: str, root: Path = PROJECT_ROOT) -> Path:
    """Expand ``~`` and make relative paths relative to the project root."""
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else root / path


def load_site(name: str | None = None, *, sites_dir: Path = SITES_DIR,
              overrides: dict[str, Any] | None = None) -> Site:
    """Load and validate a site profile.

    Args:
        name: Profile name (file stem in ``sites/``); default ``$KIT_SITE`` or ``default``.
        sites_dir: Folder holding the TOML files.
        overrides: Nested dict merged last (e.g. from a papermill parameter).

    Raises:
        ConfigError: unknown site, unknown key, wrong type or invalid value.
    """
    name = name or os.environ.get("KIT_SITE") or "default"
    default_path = sites_dir / "default.toml"
    data = _read(default_path)
    files = [default_path]
    if name != "default":
        path = sites_dir / f"{name}.toml"
        if not path.is_file():
            raise ConfigError(
                f"no site profile {name!r} (looked for {path})",
                hint=f"pick one of: {', '.join(available_sites(sites_dir))}, "
                     f"or copy sites/local.toml to sites/{name}.toml",
            )
        data = _merge(data, _read(path), path)
        files.append(path)
    if overrides:
        data = _merge(data, overrides, Path("<overrides>"))
    for (table, key), allowed in _VALID.items():
        if data[table][key] not in allowed:
            raise ConfigError(
                f"{files[-1]}: {table}.{key} = {data[table][key]!r} is not valid",
                hint=f"use one of: {', '.join(sorted(allowed))}",
            )
    c, s, t = data["container"], data["slurm"], data["train"]
    return Site(
        name=name,
        description=data["description"],
        work_dir=resolve_path(data["work_dir"]),
        container=ContainerSettings(
            runtime=c["runtime"], command=c["command"], image=c["image"],
            sif_dir=resolve_path(c["sif_dir"]), def_file=resolve_path(c["def_file"]),
            sif=c["sif"], gpu=c["gpu"],
        ),
        slurm=SlurmSettings(**s),
        train=TrainSettings(**t),
        docs=dict(data["docs"]),
        files=tuple(files),
    )
