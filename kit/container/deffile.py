"""Definition files: a model whose round trip keeps the text byte for byte.

(spython's parser refuses ``Bootstrap: localimage``, which the workshop uses.)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from kit.errors import ConfigError, DefFileError

SECTIONS = frozenset({
    "setup", "files", "environment", "post", "runscript", "startscript", "test", "labels", "help",
    "arguments",
    # SCIF apps: %appinstall NAME etc.
    "appinstall", "appenv", "apphelp", "applabels", "appfiles", "apprun", "appstart", "apptest",
})
HEADER_KEYS = frozenset({
    "bootstrap", "from", "stage", "includecmd", "include", "mirrorurl", "osversion", "updateurl",
    "registry", "namespace", "fingerprints", "library", "confurl", "setopt", "product", "user", "regcode",
    "productpgp", "registerurl", "modules", "otherurl0", "otherurl1", "otherurl2",
})
# Bootstrap agents; True: needs a From: line.
BOOTSTRAP_AGENTS = {
    "localimage": True, "docker": True, "docker-daemon": True, "docker-archive": True, "library": True,
    "oras": True, "shub": True, "oci": True, "oci-archive": True, "debootstrap": False, "yum": False,
    "dnf": False, "zypper": False, "arch": False, "busybox": False, "scratch": False,
}

_SECTION_RE = re.compile(r"^%([A-Za-z][\w-]*)(?:[ \t]+(.*?))?[ \t]*\r?\n?$")
_HEADER_RE = re.compile(r"^[ \t]*([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*\r?\n?$")


@dataclass(frozen=True)
class HeaderField:
    """One ``Key: value`` line of the header."""

    key: str  # as written (``Bootstrap``)
    value: str
    line: int  # 1-based


@dataclass(frozen=True)
class Section:
    """One ``%name`` section with its body, as written (newlines included)."""

    name: str  # lower case
    args: str  # after the name on the % line: ``-c /bin/bash``, an app's name
    line: int  # 1-based, of the % line
    head: str
    body_lines: tuple[str, ...]

    @property
    def body(self) -> str:
        return "".join(self.body_lines)

    def numbered(self) -> list[tuple[int, str]]:
        """Body lines with their 1-based line numbers (newlines stripped)."""
        return [(self.line + 1 + i, text.rstrip("\r\n")) for i, text in enumerate(self.body_lines)]


@dataclass(frozen=True)
class DefFile:
    """A definition file: the header (lines before the first ``%section``) and the sections.

    ``DefFile.parse(text).render() == text`` for any text: every line is kept as written.
    Parsing never fails; :func:`validate` reports what is wrong.
    """

    preamble: tuple[str, ...]
    sections: tuple[Section, ...]
    path: Path | None = None

    @classmethod
    def parse(cls, text: str, path: str | os.PathLike[str] | None = None) -> DefFile:
        lines = text.splitlines(keepends=True)
        preamble: list[str] = []
        sections: list[Section] = []
        current: tuple[str, str, int, str] | None = None
        body: list[str] = []
        for number, raw in enumerate(lines, start=1):
            m = _SECTION_RE.match(raw)
            if m:
                if current is not None:
                    sections.append(Section(*current, tuple(body)))
                current = (m.group(1).lower(), m.group(2) or "", number, raw)
                body = []
            elif current is None:
                preamble.append(raw)
            else:
                body.append(raw)
        if current is not None:
            sections.append(Section(*current, tuple(body)))
        return cls(tuple(preamble), tuple(sections), Path(path) if path is not None else None)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> DefFile:
        path = Path(path)
        try:
            # Bytes, not read_text(): universal newlines would hide CRLF line endings.
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"definition file not found: {path}",
                              hint="write one with `python -m kit container def --out PATH`") from None
        except UnicodeDecodeError as exc:
            raise DefFileError(f"{path}: not UTF-8 text ({exc})", hint="save the file as UTF-8") from None
        return cls.parse(text, path)

    def render(self) -> str:
        return "".join(self.preamble) + "".join(s.head + s.body for s in self.sections)

    def header_fields(self) -> list[HeaderField]:
        """The well-formed ``Key: value`` lines of the header, in order (blank and comment lines never match)."""
        found = ((number, _HEADER_RE.match(raw)) for number, raw in enumerate(self.preamble, start=1))
        return [HeaderField(m.group(1), m.group(2), number) for number, m in found if m]

    @property
    def header(self) -> dict[str, str]:
        """Header values by lower-case key (the first of duplicates)."""
        out: dict[str, str] = {}
        for f in self.header_fields():
            out.setdefault(f.key.lower(), f.value)
        return out

    def get(self, key: str) -> HeaderField | None:
        """The header field ``key`` (case-insensitive), or None."""
        return next((f for f in self.header_fields() if f.key.lower() == key.lower()), None)

    def section(self, name: str) -> Section | None:
        """The first section called ``name`` (without ``%``), or None."""
        return next((s for s in self.sections if s.name == name.lower()), None)
