"""What the engine needs from a workshop: the ``[tool.litmarp]`` table of its ``pyproject.toml``.

A workshop is a folder whose ``pyproject.toml`` has this table (every key optional; the defaults shown)::

    [tool.litmarp]
    slides = "slides"              # the lessons: slides/<name>.md (Marp decks, jupytext Markdown)
    notebooks = "notebooks"        # their paired notebooks
    themes = "slides/themes"       # Marp themes (*.css) every deck may use
    cache = "build/cache"          # the execution cache ($LITMARP_CACHE_DIR overrides)
    site-env = "LITMARP_SITE"      # the environment variable naming the site when none is given
    default-site = "default"       # the site when neither is given
    check-site = ""                # "module:function", called with the site's name before any kernel starts
    inputs = ["pyproject.toml"]    # files (globs) every lesson's outputs depend on; {site} is the site's name
    lang = "en"                    # the engine's own words (the output stamp, the index, handouts): en or ja

A *site* is where lessons execute (a laptop, a cluster, CI): its name is injected into each lesson's
``parameters`` cell as ``site`` and recorded with the outputs. ``check-site`` lets the workshop refuse a
bad one before anything runs: it raises (a :class:`litmarp.errors.Error` prints as it is, any other
exception is reported as the site refused); its module is imported from the project's root. A change
to any of ``inputs`` executes every lesson again.

The engine never imports the workshop's code: ``check-site`` is looked up by name, and the lessons
import what they like in their own cells.

The project is the nearest folder at or above the current one with such a table, else ``$LITMARP_ROOT``
(set by a workshop package that is run from elsewhere).
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litmarp.errors import ConfigError, Error

TABLE = "litmarp"
ROOT_ENV = "LITMARP_ROOT"
CACHE_ENV = "LITMARP_CACHE_DIR"
_DEFAULTS: dict[str, object] = {
    "slides": "slides", "notebooks": "notebooks", "themes": "slides/themes", "cache": "build/cache",
    "site-env": "LITMARP_SITE", "default-site": "default", "check-site": "", "inputs": ["pyproject.toml"], "lang": "en",
}


@dataclass(frozen=True)
class Project:
    """A workshop as the engine sees it (paths absolute)."""

    root: Path
    slides: Path
    notebooks: Path
    themes: Path
    cache_folder: Path
    site_env: str
    default_site: str
    check_site: str
    inputs: tuple[str, ...]
    lang: str = "en"

    @property
    def cache(self) -> Path:
        """Where executed lessons are kept: ``$LITMARP_CACHE_DIR``, else the table's ``cache``."""
        return Path(os.environ.get(CACHE_ENV) or self.cache_folder)

    def site(self, name: str | None = None) -> str:
        """The site lessons execute in: ``name``, else ``$<site-env>``, else ``default-site``; checked by the
        workshop's ``check-site`` (which raises to refuse it) before any kernel starts."""
        site = name or os.environ.get(self.site_env) or self.default_site
        if self.check_site:
            check = self._hook(self.check_site)
            try:
                check(site)
            except Error:
                raise
            except Exception as exc:  # noqa: BLE001 - a workshop's check may refuse with any exception
                raise ConfigError(f"site {site!r} refused by {self.check_site} ({type(exc).__name__}: {exc})",
                                  hint=f"choose another site, or see {self.check_site}") from None
        return site

    def input_files(self, site: str) -> list[Path]:
        """The files ``inputs`` names for ``site`` (sorted per glob; a file that is missing is kept, by name)."""
        files: list[Path] = []
        for pattern in self.inputs:
            pattern = pattern.replace("{site}", site)
            files += sorted(p for p in self.root.glob(pattern) if p.is_file()) or [self.root / pattern]
        return files

    def _hook(self, spec: str) -> Callable[[str], object]:
        module, _, name = spec.partition(":")
        if str(self.root) not in sys.path:  # the workshop's own module, from whichever folder the command runs
            sys.path.insert(0, str(self.root))
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{self.root / 'pyproject.toml'}: [tool.litmarp] check-site = {spec!r} cannot be "
                              f"loaded ({type(exc).__name__}: {exc})",
                              hint="name a function as \"package.module:function\" that the project can import") \
                from None


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current one) whose pyproject.toml has
    ``[tool.litmarp]``, else ``$LITMARP_ROOT``, else None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _has_table(folder / "pyproject.toml"):
            return folder
    env = os.environ.get(ROOT_ENV)
    return Path(env).resolve() if env else None


def current(start: Path | None = None) -> Project:
    """The project the current folder belongs to.

    Raises:
        ConfigError: there is none, or its table is wrong.
    """
    root = find_root(start)
    if root is None:
        raise ConfigError(f"{Path.cwd()} is not in a litmarp project",
                          hint="run from a folder whose pyproject.toml has a [tool.litmarp] table "
                               "(an empty one will do: slides/ and notebooks/ are the defaults)")
    path = root / "pyproject.toml"
    return _load(path, path.stat().st_mtime_ns if path.is_file() else 0)


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime: int) -> Project:  # mtime: an edited table is read again
    table = read_toml(path).get("tool", {}).get(TABLE) if path.is_file() else {}
    table = table if isinstance(table, dict) else {}
    unknown = sorted(set(table) - set(_DEFAULTS))
    if unknown:
        raise ConfigError(f"{path}: [tool.litmarp] has no key {unknown[0]!r}",
                          hint=f"the keys are: {', '.join(_DEFAULTS)}")
    values = {**_DEFAULTS, **table}
    for key, default in _DEFAULTS.items():
        want = type(default)
        if not isinstance(values[key], want) or (want is list and not all(isinstance(v, str) for v in values[key])):
            kind = "a list of strings" if want is list else "a string"
            raise ConfigError(f"{path}: [tool.litmarp] {key} must be {kind}, not {values[key]!r}",
                              hint=f"for example {key} = {default!r}".replace("'", '"'))
    if values["lang"] not in ("en", "ja"):
        raise ConfigError(f"{path}: [tool.litmarp] lang = {values['lang']!r} is not a language the engine speaks",
                          hint='write lang = "en" or lang = "ja"')
    root = path.parent
    return Project(root=root, slides=root / values["slides"], notebooks=root / values["notebooks"],
                   themes=root / values["themes"], cache_folder=root / values["cache"], site_env=values["site-env"],
                   default_site=values["default-site"], check_site=values["check-site"],
                   inputs=tuple(values["inputs"]), lang=values["lang"])


def _has_table(path: Path) -> bool:
    # Asked on every current(), of each pyproject.toml above the current folder: read again only when the file
    # changes (its mtime), and with a regular expression, not the TOML parser.
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return False
    return path.is_file() and _table_in(path, mtime)


@functools.lru_cache(maxsize=32)
def _table_in(path: Path, mtime: int) -> bool:  # mtime: an edited file is read again
    return re.search(r"^\[tool\.litmarp\]", path.read_text(encoding="utf-8"), re.M) is not None


def toml_module() -> Any:
    """The TOML reader: tomllib (3.11+), else tomli, else the copy pip vendors.

    The one reader of both packages: a workshop's doctor may run on a login node's bare python3 (3.8 to
    3.10: no tomllib); every pip since 21.2 carries tomli, so a file still loads there.
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
                          "project's TOML files (pyproject.toml, sites/*.toml): it has no TOML reader",
                          hint="use Python 3.11 or newer, or install one: python3 -m pip install --user tomli "
                               "(or: python3 -m ensurepip --user first, where pip is missing)") from None


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
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
