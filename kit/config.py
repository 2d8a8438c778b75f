"""Typed settings from TOML: the one reader and the one dict-to-dataclass loader.

Site profiles (:mod:`kit.sites`), training settings and the tiny model's settings are
dataclasses filled from TOML tables. This module does it once, with errors that name
the file (or other source), the key and the fix:

* :func:`read_toml` reads a file (tomllib, or tomli on the workshop image's Python 3.8).
* :func:`merge` lays one table over another whose keys and types it must follow
  (a site file over ``sites/default.toml``).
* :func:`from_mapping` builds a dataclass from a mapping: unknown keys, missing keys
  and wrong types are errors; nested dataclass fields take nested tables; ``base``
  gives the values of keys the mapping leaves out (partial updates).

The training job imports this module on Python 3.8 (vermin checks it).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type, TypeVar  # noqa: UP035 (Python 3.8)

from kit.errors import ConfigError

T = TypeVar("T")


def toml_module() -> Any:
    """The TOML reader: tomllib (3.11+), else tomli, else the copy pip vendors.

    The training job also runs inside the workshop's image, whose Python is 3.8
    (no tomllib); every pip since 21.2 carries tomli, so a file still loads there.
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


def merge(base: Mapping[str, Any], over: Mapping[str, Any], where: str, prefix: str = "",
          *, reference: str = "sites/default.toml") -> Dict[str, Any]:  # noqa: UP006
    """Lay ``over`` on ``base``: every key of ``over`` must exist in ``base`` with the same type.

    Args:
        base: The table that lists every allowed key (with a value of the allowed type).
        over: The values that replace some of them; tables merge key by key.
        where: The source of ``over`` for messages (a file name).
        prefix: Dotted path of these tables inside the file (for messages).
        reference: The file that lists every key (for hints).

    Raises:
        ConfigError: an unknown key, a table given as a value, or a value of another type.
    """
    merged = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(f"{where}: unknown key {dotted!r}",
                              hint=f"use one of: {known} (every key is listed in {reference})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {dotted!r} must be a table ([{dotted}])")
            merged[key] = merge(base[key], value, where, dotted + ".", reference=reference)
        else:
            if type(value) is not type(base[key]):
                raise ConfigError(
                    f"{where}: {dotted!r} must be {type(base[key]).__name__}, got {value!r}",
                    hint=f"see the value in {reference}, e.g. {dotted} = {base[key]!r}",
                )
            merged[key] = value
    return merged


def from_mapping(cls: Type[T], data: Mapping[str, Any], where: str, *,  # noqa: UP006
                 base: Optional[T] = None) -> T:  # noqa: UP045
    """Build the dataclass ``cls`` from ``data``, checking every key and type.

    Field types are read from the annotations as written (``int``, ``float``, ``bool``,
    ``str``, ``Path``, ``list[str]``, ``tuple[str, ...]``, ``dict[str, str]``, ``X | None``,
    ``Any``, or another dataclass, which takes a nested table). An ``int`` is accepted for a
    ``float`` field; a ``bool`` is never accepted as a number; a ``str`` fills a ``Path`` field.

    Args:
        cls: The dataclass.
        data: Keys are field names.
        where: The source for messages (``sites/ci.toml``, ``train.toml [tiny]``).
        base: An instance whose values fill the keys ``data`` leaves out; without it a
            key left out takes the field's default, and a field without one is an error.

    Returns:
        A new instance.

    Raises:
        ConfigError: unknown key (the known ones listed), missing key, or wrong type.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)}",
                          hint=f"use: {', '.join(fields)}")
    namespace = vars(sys.modules[cls.__module__])
    values: Dict[str, Any] = {}  # noqa: UP006
    for name, f in fields.items():
        if name in data:
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            current = getattr(base, name) if base is not None else _default(f)
            values[name] = _convert(data[name], kind, f"{where}: {name}", namespace, current)
        elif base is not None:
            values[name] = getattr(base, name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing key {name!r}", hint=f"add {name} = ...")
    return cls(**values)


def _default(f: dataclasses.Field) -> Any:  # type: ignore[type-arg]
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _split_union(kind: str) -> Tuple[str, bool]:  # noqa: UP006
    if kind.startswith("Optional[") and kind.endswith("]"):
        return kind[len("Optional["):-1].strip(), True
    parts = [p.strip() for p in kind.split("|")]
    if "None" in parts and len(parts) == 2:
        return next(p for p in parts if p != "None"), True
    return kind, False


def _args(kind: str) -> List[str]:  # noqa: UP006
    inner = kind[kind.index("[") + 1:-1]
    out: List[str] = []  # noqa: UP006
    depth = start = 0
    for i, ch in enumerate(inner):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(inner[start:i].strip())
            start = i + 1
    out.append(inner[start:].strip())
    return out


def _convert(value: Any, kind: str, where: str, namespace: Mapping[str, Any], example: Any) -> Any:
    kind, optional = _split_union(kind.strip())
    if value is None and optional:
        return None

    def wrong() -> ConfigError:
        hint = f"for example {where.rsplit(': ', 1)[-1]} = {example!r}" if example is not None else None
        return ConfigError(f"{where} must be {kind}, got {value!r}", hint=hint)

    head = kind.split("[", 1)[0].strip()
    if kind == "Any":
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong()
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise wrong()
        return value
    if kind == "Path":
        if not isinstance(value, (str, os.PathLike)):
            raise wrong()
        return Path(os.fspath(value))
    if head in ("list", "List", "tuple", "Tuple", "Sequence"):
        if not isinstance(value, (list, tuple)):
            raise wrong()
        args = _args(kind) if "[" in kind else ["Any"]
        item = args[0]
        items = [_convert(v, item, f"{where}[{i}]", namespace, None) for i, v in enumerate(value)]
        return tuple(items) if head in ("tuple", "Tuple") else items
    if head in ("dict", "Dict", "Mapping"):
        if not isinstance(value, dict):
            raise wrong()
        vkind = _args(kind)[1] if "[" in kind else "Any"
        return {str(k): _convert(v, vkind, f"{where}.{k}", namespace, None) for k, v in value.items()}
    target = namespace.get(kind)
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table", hint=f"write it as [{where.rsplit(': ', 1)[-1]}]")
        return from_mapping(target, value, where.replace(": ", " [", 1) + "]" if ": " in where else where,
                            base=example if dataclasses.is_dataclass(example) else None)
    raise TypeError(f"kit.config cannot read a field of type {kind!r} ({where})")
