"""Site profiles' TOML: the one check of keys and types (files are read by :func:`litmarp.project.read_toml`).

``python3 -m kit doctor`` imports this module on a login node's python3, which may be 3.8 (vermin
checks it); nothing of the kit runs inside the container image.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping  # noqa: UP035 (Python 3.8)

from kit.errors import ConfigError


def merge(base: Mapping[str, Any], over: Mapping[str, Any], where: str,
          prefix: str = "") -> Dict[str, Any]:  # noqa: UP006
    """Lay ``over`` on ``base`` (a site file over ``sites/default.toml``, which lists every key with a value of
    its type), tables key by key: an unknown key or a value of another type (a list's items are strings) is
    an error naming ``where`` (the file), the dotted key and the type."""
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
