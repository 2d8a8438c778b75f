"""Site profiles' TOML: the one reader, and the one check of keys and types.

* :func:`read_toml` reads a file (tomllib, or tomli where Python is older than 3.11).
* :func:`merge` lays one table over another whose keys and types it must follow (a site file
  over ``sites/default.toml``, which lists every key with a value of its type): an unknown key or
  a value of another type is an error naming the file, the key and the type.

``python3 -m kit doctor`` imports this module on a login node's python3, which may be 3.8 (vermin
checks it); nothing of the kit runs inside the container image.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, Mapping  # noqa: UP035 (Python 3.8)

from kit.errors import ConfigError


def toml_module() -> Any:
    """The TOML reader: tomllib (3.11+), else tomli, else the copy pip vendors.

    ``kit doctor`` also runs on a login node's bare python3 (3.8 to 3.10: no tomllib); every pip
    since 21.2 carries tomli, so a file still loads there.
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
        pass
    try:
        from pip._vendor import tomli as vendored

        return vendored
    except ImportError:
        # A login node's bare python3 (3.8 to 3.10, without pip) has none of the three.
        raise ConfigError(f"Python {sys.version_info[0]}.{sys.version_info[1]} ({sys.executable}) cannot read the "
                          "site profiles (sites/*.toml): it has no TOML reader",
                          hint="use Python 3.11 or newer, or install one: python3 -m pip install --user tomli "
                               "(or: python3 -m ensurepip --user first, where pip is missing)") from None


def read_toml(path: str | os.PathLike[str]) -> Dict[str, Any]:  # noqa: UP006
    """Read a TOML file into a dict.

    Raises:
        ConfigError: the file does not exist, cannot be read, or is not valid TOML (names the file).
    """
    toml = toml_module()
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return toml.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"no such file: {path}", hint="check the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a TOML file", hint="name the .toml file itself") from None
    except PermissionError:
        raise ConfigError(f"cannot read {path}: permission denied", hint=f"check the permissions: ls -l {path}") \
            from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the syntax at the line shown") from None


def merge(base: Mapping[str, Any], over: Mapping[str, Any], where: str,
          prefix: str = "") -> Dict[str, Any]:  # noqa: UP006
    """Lay ``over`` on ``base``: every key of ``over`` must exist in ``base`` with the same type.

    Args:
        base: The table that lists every allowed key (with a value of the allowed type).
        over: The values that replace some of them; tables merge key by key.
        where: The source of ``over`` for messages (a file name).
        prefix: Dotted path of these tables inside the file (for messages).

    Raises:
        ConfigError: an unknown key, a table given as a value, or a value of another type (a list's
            items are strings).
    """
    merged = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(f"{where}: unknown key {dotted!r}",
                              hint=f"use one of: {known} (every key is listed in sites/default.toml)")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {dotted!r} must be a table ([{dotted}])")
            merged[key] = merge(base[key], value, where, dotted + ".")
        else:
            if type(value) is not type(base[key]):
                raise ConfigError(
                    f"{where}: {dotted!r} must be {type(base[key]).__name__}, got {value!r}",
                    hint=f"see the value in sites/default.toml, e.g. {dotted} = {base[key]!r}",
                )
            bad = [i for i, item in enumerate(value) if not isinstance(item, str)] if isinstance(value, list) else []
            if bad:
                raise ConfigError(f"{where}: '{dotted}[{bad[0]}]' must be str, got {value[bad[0]]!r}",
                                  hint=f'write every item in quotes, e.g. {dotted} = ["--exclusive"]')
            merged[key] = value
    return merged
