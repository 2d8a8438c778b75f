"""Containers: Apptainer/Singularity through one module, with a host fallback.

What the workshop does by hand (``singularity pull``, write ``env.def``,
``singularity build --fakeroot``, ``singularity exec``) as library calls:

* Runtime detection (:func:`detect_runtime`): ``apptainer`` or ``singularity`` on
  PATH, or the one the site profile forces; ``host`` when there is none (a
  laptop, CI): :func:`exec` then runs on the host Python, :func:`pull` and
  :func:`build` validate their inputs and return a result with ``skipped=True``
  and a plain message. Nothing pretends a .sif exists when it does not.
* Pure command builders (:func:`exec_command`, :func:`pull_command`,
  :func:`build_command`) so slides and ``kit.slurm`` show the exact lines for a
  site; :func:`shell_line` joins them for display.
* A definition-file model (:class:`DefFile`) whose round trip keeps the text
  byte for byte, and a validator (:func:`validate`) whose errors and warnings
  name the file and line. (spython's parser refuses ``Bootstrap: localimage``.)
* Free-space checks before pull and build (honouring ``APPTAINER_TMPDIR`` /
  ``SINGULARITY_TMPDIR``) and recognition of ``--fakeroot`` failures.

Every command runs through :func:`kit.proc.run`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kit import proc, versions
from kit.errors import CommandError, ConfigError, ContainerError, DefFileError, DiskSpaceError

if TYPE_CHECKING:
    from kit.sites import Site

RUNTIMES = ("apptainer", "singularity")
GIB = 1024**3

# --- runtime detection ---------------------------------------------------------------


@dataclass(frozen=True)
class Runtime:
    """The container runtime this machine uses for a site.

    Attributes:
        name: ``apptainer``, ``singularity`` or ``host`` (no container: the host Python).
        path: The program found on PATH (None for host).
        version: Its version (``1.3.4``), None when unknown.
        flavor: What ``--version`` calls it (``apptainer``, ``singularity-ce``, ``singularity``).
        reason: Why this runtime was chosen, for reports.
    """

    name: str
    path: Path | None
    version: str | None
    flavor: str | None
    reason: str

    @property
    def is_host(self) -> bool:
        """True when there is no container runtime (commands run on the host Python)."""
        return self.name == "host"

    def describe(self) -> str:
        """One line such as ``apptainer 1.3.4 (/usr/bin/apptainer)`` or ``host Python (...)``."""
        if self.is_host:
            return f"host Python {sys.version.split()[0]} ({self.reason})"
        return f"{self.flavor or self.name} {self.version or '(version unknown)'} ({self.path})"


def parse_version_output(text: str) -> tuple[str | None, str | None]:
    """Parse ``apptainer --version`` style output.

    ``apptainer version 1.3.4`` -> ``("apptainer", "1.3.4")``;
    ``singularity-ce version 4.1.5-jammy`` -> ``("singularity-ce", "4.1.5-jammy")``.

    Returns:
        (flavor, version); Nones when the text is not recognised.
    """
    m = re.search(r"^\s*([\w.-]+)\s+version\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if not m:
        m2 = re.search(r"\b(\d+\.\d+(?:\.\d+)?\S*)", text)
        return (None, m2.group(1) if m2 else None)
    return m.group(1).lower(), m.group(2)


def _version_of(path: Path) -> tuple[str | None, str | None]:
    try:
        cp = proc.run([path, "--version"], check=False, timeout=30)
    except CommandError:
        return None, None
    return parse_version_output(cp.stdout or cp.stderr)


def detect_runtime(site: Site | None = None, runtime: str | None = None) -> Runtime:
    """Find the runtime to use: the one the site forces, else apptainer/singularity on PATH, else host.

    Args:
        site: The site profile (default: ``load_site()``).
        runtime: Override ``site.container.runtime`` (``auto``, ``apptainer``, ``singularity``, ``host``).

    Raises:
        ContainerError: the profile forces a runtime that is not on PATH.
    """
    site = site or _load_site()
    wanted = runtime or site.container.runtime
    origin = f"container.runtime = {wanted!r} in {_shown(site.files[-1])}" if runtime is None else f"runtime={wanted!r}"
    if wanted == "host":
        return Runtime("host", None, None, None, origin)
    if wanted in RUNTIMES:
        path = proc.which(wanted)
        if path is None:
            raise ContainerError(
                f"{wanted} is not on PATH, but {origin}",
                hint=f"load it (e.g. `module load {wanted}`), or set container.runtime = 'auto' "
                     "(use what is installed) or 'host' (no container) in the site profile",
            )
        flavor, version = _version_of(path)
        return Runtime(wanted, path, version, flavor, origin)
    if wanted != "auto":
        raise ConfigError(f"unknown container runtime {wanted!r}", hint="use auto, apptainer, singularity or host")
    order = [site.container.command] + [r for r in RUNTIMES if r != site.container.command]
    for name in order:
        path = proc.which(name)
        if path is not None:
            flavor, version = _version_of(path)
            return Runtime(name, path, version, flavor, f"found {name} on PATH")
    return Runtime("host", None, None, None, "no apptainer or singularity on PATH")


# --- pure command builders -------------------------------------------------------------


def program(site: Site, runtime: str | None = None) -> str | None:
    """The program a site's commands use: ``singularity``/``apptainer``, or None for the host runtime.

    ``auto`` means the site's ``container.command`` (what its cluster has).
    """
    wanted = runtime or site.container.runtime
    if wanted == "host":
        return None
    if wanted == "auto":
        return site.container.command
    return wanted


def _display_program(site: Site, runtime: str | None) -> str:
    # pull/build have no host form: show the command the site's cluster would run.
    return program(site, runtime) or site.container.command


def sif_name_for(ref: str) -> str:
    """The file name ``singularity pull REF`` gives an image.

    ``docker://huggingface/transformers-pytorch-gpu:4.35.2`` ->
    ``transformers-pytorch-gpu_4.35.2.sif``.
    """
    body = ref.split("://", 1)[-1].split("@", 1)[0]
    last = body.rstrip("/").rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    return f"{name}_{tag or 'latest'}.sif"


def pulled_image_path(site: Site, ref: str | None = None) -> Path:
    """Where :func:`pull` puts the site's base image (``~/sif/transformers-pytorch-gpu_4.35.2.sif``)."""
    return site.container.sif_dir / sif_name_for(ref or site.container.image)


def site_sif_path(site: Site) -> Path:
    """The built image of a site (``container.sif``, relative names under the work directory)."""
    sif = Path(os.path.expanduser(site.container.sif))
    return sif if sif.is_absolute() else site.work_dir / sif


def exec_command(
    site: Site,
    sif: str | os.PathLike[str],
    argv: Sequence[str],
    *,
    runtime: str | None = None,
    gpu: bool | None = None,
    binds: Sequence[str] = (),
    resolve_python: bool = True,
) -> list[str]:
    """The command that runs ``argv`` in the site's container (pure).

    ``['singularity', 'exec', '--nv', 'env.sif', 'python3', 'train.py']``; for the
    host runtime just ``argv``, with a leading ``python``/``python3`` replaced by
    ``sys.executable`` (the kit's own Python).

    Args:
        site: The site profile.
        sif: The image, as it should appear on the line (``env.sif`` stays relative).
        argv: Program and arguments to run inside.
        runtime: Override ``site.container.runtime``.
        gpu: Pass ``--nv``; default ``site.container.gpu``.
        binds: ``--bind`` specifications (``/data:/data``).
        resolve_python: For the host runtime, replace ``python3`` by this Python's path (a command run now);
            False keeps ``python3`` (a job script, whose PATH :func:`kit.job.python_on_path` sets).
    """
    argv = [str(a) for a in argv]
    prog = program(site, runtime)
    if prog is None:
        if resolve_python and argv and argv[0] in ("python", "python3"):
            return [sys.executable, *argv[1:]]
        return argv
    nv = site.container.gpu if gpu is None else gpu
    cmd = [prog, "exec"]
    if nv:
        cmd.append("--nv")
    for bind in binds:
        cmd += ["--bind", bind]
    return [*cmd, os.fspath(sif), *argv]


def pull_command(
    site: Site,
    ref: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    runtime: str | None = None,
) -> list[str]:
    """``singularity pull [--force] DEST REF`` for the site (pure).

    Args:
        site: The site profile.
        ref: Image reference; default ``site.container.image``.
        dest: Output .sif; default :func:`pulled_image_path`.
        force: Add ``--force`` (overwrite an existing file).
        runtime: Override ``site.container.runtime``; the host runtime shows the site's command.
    """
    ref = ref or site.container.image
    dest = dest if dest is not None else pulled_image_path(site, ref)
    cmd = [_display_program(site, runtime), "pull"]
    if force:
        cmd.append("--force")
    return [*cmd, os.fspath(dest), ref]


def build_command(
    site: Site,
    def_file: str | os.PathLike[str] | None = None,
    sif: str | os.PathLike[str] | None = None,
    *,
    fakeroot: bool = True,
    force: bool = False,
    runtime: str | None = None,
) -> list[str]:
    """``singularity build [--fakeroot] [--force] SIF DEF`` for the site (pure).

    Args:
        site: The site profile.
        def_file: Definition file; default ``site.container.def_file``.
        sif: Output image; default :func:`site_sif_path`.
        fakeroot: Add ``--fakeroot`` (build without root, as on the department server).
        force: Add ``--force`` (overwrite an existing image).
        runtime: Override ``site.container.runtime``; the host runtime shows the site's command.
    """
    cmd = [_display_program(site, runtime), "build"]
    if fakeroot:
        cmd.append("--fakeroot")
    if force:
        cmd.append("--force")
    def_file = def_file if def_file is not None else site.container.def_file
    sif = sif if sif is not None else site_sif_path(site)
    return [*cmd, os.fspath(sif), os.fspath(def_file)]


INSPECT_FLAGS = {"labels": "--labels", "deffile": "--deffile", "environment": "--environment",
                 "runscript": "--runscript", "test": "--test", "helpfile": "--helpfile"}


def inspect_command(site: Site, sif: str | os.PathLike[str], what: str = "labels", *,
                    runtime: str | None = None) -> list[str]:
    """``singularity inspect --labels SIF`` (or ``--deffile`` ...) for the site (pure)."""
    if what not in INSPECT_FLAGS:
        raise ConfigError(f"cannot inspect {what!r}", hint=f"use one of: {', '.join(INSPECT_FLAGS)}")
    return [_display_program(site, runtime), "inspect", INSPECT_FLAGS[what], os.fspath(sif)]


def shell_line(cmd: Sequence[str | os.PathLike[str]], *, home: str | os.PathLike[str] | None = None) -> str:
    """A command as one shell line for slides: quoted, with the home directory written ``~``.

    The line is for people to read and copy; ``~/x`` stays unquoted so a shell expands it.
    """
    home_dir = os.fspath(home) if home is not None else os.path.expanduser("~")
    parts = []
    for arg in map(os.fspath, cmd):
        if home_dir not in ("", "/") and arg.startswith(home_dir + os.sep):
            rest = arg[len(home_dir) + 1:]
            if shlex.quote(rest) == rest:
                parts.append("~/" + rest)
                continue
        parts.append(shlex.quote(arg))
    return " ".join(parts)


# --- definition files ------------------------------------------------------------------

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
    """One ``%name`` section with its body, as written.

    Attributes:
        name: Lower-case section name (``post``).
        args: Text after the name on the ``%`` line (``-c /bin/bash``, an app name).
        line: 1-based line number of the ``%`` line.
        head: The ``%`` line as written, newline included.
        body_lines: The body lines as written, newlines included.
    """

    name: str
    args: str
    line: int
    head: str
    body_lines: tuple[str, ...]

    @property
    def body(self) -> str:
        """The body text, exactly as written."""
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
        """Split ``text`` into header lines and sections."""
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
        """Read and parse a file.

        Raises:
            ConfigError: the file does not exist or is not UTF-8 text.
        """
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

    @classmethod
    def new(cls, header: Mapping[str, str], sections: Sequence[tuple[str, str]] = ()) -> DefFile:
        """Build a definition file from a header and ``(name, body)`` pairs.

        Bodies are used as given (indent them yourself); a blank line separates sections.
        """
        text = "".join(f"{k}: {v}\n" for k, v in header.items())
        for name, body in sections:
            text += f"\n%{name}\n{body}"
            if body and not body.endswith("\n"):
                text += "\n"
        return cls.parse(text)

    def render(self) -> str:
        """The text, exactly as parsed (plus any edits)."""
        return "".join(self.preamble) + "".join(s.head + s.body for s in self.sections)

    def header_fields(self) -> list[HeaderField]:
        """The well-formed ``Key: value`` lines of the header, in order."""
        fields = []
        for number, raw in enumerate(self.preamble, start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            m = _HEADER_RE.match(raw)
            if m:
                fields.append(HeaderField(m.group(1), m.group(2), number))
        return fields

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

    def with_header(self, key: str, value: str) -> DefFile:
        """A copy with header ``key`` set to ``value``, every other line unchanged."""
        field_ = self.get(key)
        pre = list(self.preamble)
        if field_ is None:
            # Insert after the last header field so comments at the top stay on top.
            fields = self.header_fields()
            at = fields[-1].line if fields else len(pre)
            pre.insert(at, f"{key}: {value}\n")
        else:
            raw = pre[field_.line - 1]
            ending = raw[len(raw.rstrip("\r\n")):]
            pre[field_.line - 1] = f"{field_.key}: {value}{ending or chr(10)}"
        return DefFile.parse("".join(pre) + "".join(s.head + s.body for s in self.sections), self.path)

    def with_section(self, name: str, body: str) -> DefFile:
        """A copy with section ``name``'s body replaced (appended when missing)."""
        if body and not body.endswith("\n"):
            body += "\n"
        parts = ["".join(self.preamble)]
        found = False
        for s in self.sections:
            if s.name == name.lower() and not found:
                parts.append(s.head + body)
                found = True
            else:
                parts.append(s.head + s.body)
        text = "".join(parts)
        if not found:
            if text and not text.endswith("\n"):
                text += "\n"
            text += f"\n%{name}\n{body}"
        return DefFile.parse(text, self.path)


# --- validation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem in a definition file."""

    severity: Literal["error", "warning"]
    line: int | None
    message: str
    hint: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        where = f"{self.path or '<definition>'}:{self.line}" if self.line else f"{self.path or '<definition>'}"
        text = f"{where}: {self.severity}: {self.message}"
        return text + (f"\n    fix: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class ValidationReport:
    """Errors and warnings for one definition file."""

    path: Path | None
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> list[Issue]:
        """Problems that make the build fail or do the wrong thing."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Problems that build but break later (unpinned installs, mixed indentation)."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def to_text(self) -> str:
        """Every issue, one per line, or a line saying the file is fine."""
        if not self.issues:
            return f"{self.path or 'definition'}: OK (no errors, no warnings)"
        return "\n".join(str(i) for i in self.issues)

    def raise_for_errors(self) -> None:
        """Raise :class:`DefFileError` listing every issue when there is an error."""
        if self.ok:
            return
        first = self.errors[0]
        raise DefFileError(
            f"{self.path or 'definition file'}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)",
            details=self.to_text(),
            hint=first.hint or "fix the lines shown, then run `python -m kit container validate` again",
        )


_PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src",
    "--trusted-host", "--cache-dir", "--upgrade-strategy", "--platform", "--python-version",
    "--implementation", "--abi", "--only-binary", "--no-binary", "--progress-bar", "--log", "--proxy",
    "--retries", "--timeout", "--exists-action", "--global-option", "--config-settings", "-C", "--report",
    "--python", "--root-user-action", "--keyring-provider",
})
_SHELL_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;"})
_PLACEHOLDER_RE = re.compile(r"/PATH/TO\b|\bPATH/TO/|<[^>]+>", re.IGNORECASE)


@dataclass(frozen=True)
class PipInstall:
    """One ``pip install`` found in a section: where, and what it installs."""

    line: int
    requirements: tuple[str, ...]
    requirement_files: tuple[str, ...]
    upgrade: bool


def _logical_lines(section: Section) -> list[tuple[int, str]]:
    """Body lines with backslash continuations joined, numbered by their first line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, text in section.numbered():
        if not buf:
            start = number
        if text.rstrip().endswith("\\"):
            buf.append(text.rstrip()[:-1])
            continue
        buf.append(text)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def _split_commands(line: str) -> list[list[str]]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    commands: list[list[str]] = [[]]
    for token in lex:
        if token in _SHELL_SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _pip_args(tokens: list[str]) -> list[str] | None:
    """The arguments after ``pip`` when ``tokens`` is a pip call, else None."""
    i = 0
    while i < len(tokens) and (re.match(r"^[A-Za-z_]\w*=", tokens[i]) or tokens[i] in ("sudo", "exec", "env")):
        i += 1
    tokens = tokens[i:]
    if not tokens:
        return None
    prog = os.path.basename(tokens[0])
    if re.fullmatch(r"pip[\d.]*", prog):
        return tokens[1:]
    if re.fullmatch(r"python[\d.]*", prog) and tokens[1:3] == ["-m", "pip"]:
        return tokens[3:]
    return None


def find_pip_installs(section: Section) -> list[PipInstall]:
    """Every ``pip install`` in a section (``pip``, ``pip3``, ``python3 -m pip``; continuations joined).

    Raises:
        ValueError: a line cannot be split like a shell would (unbalanced quotes).
    """
    found = []
    for number, text in _logical_lines(section):
        for tokens in _split_commands(text):
            args = _pip_args(tokens)
            if args is None:
                continue
            # Global options may come before the subcommand (pip --no-cache-dir install ...).
            while args and args[0].startswith("-"):
                args = args[2:] if args[0] in _PIP_VALUE_OPTIONS else args[1:]
            if not args or args[0] != "install":
                continue
            reqs, files, upgrade = [], [], False
            rest = args[1:]
            j = 0
            while j < len(rest):
                tok = rest[j]
                if tok in ("-U", "--upgrade"):
                    upgrade = True
                elif tok in ("-r", "--requirement"):
                    if j + 1 < len(rest):
                        files.append(rest[j + 1])
                    j += 1
                elif tok.startswith("--requirement="):
                    files.append(tok.split("=", 1)[1])
                elif tok in ("-e", "--editable"):
                    j += 1  # an editable path or URL: nothing to pin
                elif tok in _PIP_VALUE_OPTIONS:
                    j += 1
                elif not tok.startswith("-"):
                    reqs.append(tok)
                j += 1
            found.append(PipInstall(number, tuple(reqs), tuple(files), upgrade))
    return found


def _pin_problem(req_text: str) -> tuple[str, str] | None:
    """Why a requirement is not pinned, and the pinned form; None when it is pinned (or a local path)."""
    from packaging.requirements import InvalidRequirement, Requirement

    if req_text.startswith((".", "/", "~", "$")) or req_text.endswith((".whl", ".tar.gz", ".zip")):
        return None
    if "://" in req_text or req_text.startswith("git+"):
        url = req_text.split("://", 1)[-1]
        if "@" in url.split("/", 1)[-1]:
            return None
        return ("a repository URL without @TAG or @COMMIT installs whatever the branch holds that day",
                req_text + "@<tag-or-commit>")
    try:
        req = Requirement(req_text)
    except InvalidRequirement:
        return ("not a requirement pip understands", req_text)
    if req.url:
        return None
    ops = {spec.operator for spec in req.specifier}
    if ops & {"==", "===", "~=", "<", "<="}:
        return None
    name = req.name.lower()
    pin = versions.pinned(name)
    if pin == name:
        pin = f"{req.name}==VERSION"
    img = versions.BASE_IMAGE
    if name in versions.PINS or name == "pip":
        why = (f"installs whatever release is newest on the day of the build (for Python {img.python}); "
               f"two builds differ and nothing checks it against the image's torch {img.torch}")
    else:
        why = "installs whatever release is newest on the day of the build, so two builds of this file differ"
    if ops:
        why = f"only a lower bound ({req.specifier}): " + why
    return why, pin


def _suggest_sif(from_path: str, sif_dir: Path | None) -> tuple[Path | None, list[Path]]:
    if sif_dir is None or not sif_dir.is_dir():
        return None, []
    pulled = sorted(sif_dir.glob("*.sif"))
    if not pulled:
        return None, []
    names = [p.name for p in pulled]
    best = difflib.get_close_matches(Path(from_path).name, names, n=1, cutoff=0.3)
    if best:
        return sif_dir / best[0], pulled
    return (pulled[0] if len(pulled) == 1 else None), pulled


def validate(
    deffile: DefFile | str | os.PathLike[str],
    *,
    site: Site | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> ValidationReport:
    """Check a definition file before a build; every issue names the file and line.

    Errors: Windows line endings, header lines that are not ``Key: value``, a missing
    or unknown ``Bootstrap``, a missing ``From``, a ``From:`` path that does not exist
    (the ``/PATH/TO`` placeholder included: the hint names the pulled image in
    ``site.container.sif_dir`` that fits), unknown or indented ``%sections``,
    multi-stage files. Warnings: unpinned ``pip install`` lines, mixed tab/space
    indentation, unknown header keys, duplicate sections.

    Args:
        deffile: A parsed file or a path.
        site: For the pulled-image suggestion (default: ``load_site()``).
        base_dir: Where relative ``From:`` paths start (default: the file's folder, else cwd).
    """
    if not isinstance(deffile, DefFile):
        deffile = DefFile.read(deffile)
    path = deffile.path
    issues: list[Issue] = []

    def add(severity: Literal["error", "warning"], line: int | None, message: str, hint: str | None = None) -> None:
        issues.append(Issue(severity, line, message, hint, path))

    all_lines = deffile.render().splitlines(keepends=True)
    crlf = [n for n, raw in enumerate(all_lines, start=1) if raw.endswith("\r\n")]
    if crlf:
        add("error", crlf[0], f"Windows line endings (CRLF) on {len(crlf)} line(s): the shell sees "
            "`pip\\r` and every %post command fails", "convert the file: `sed -i 's/\\r$//' FILE` or dos2unix")

    # Header.
    for number, raw in enumerate(deffile.preamble, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _HEADER_RE.match(raw):
            if stripped.startswith("%"):
                add("error", number, f"indented section header {stripped!r}: a section must start at column 1",
                    f"remove the spaces before {stripped.split()[0]}")
                break  # the lines after it are that section's body, not header lines
            else:
                add("error", number, f"header line is not 'Key: value': {stripped!r}",
                    "the header holds lines like 'Bootstrap: localimage' and 'From: PATH'; "
                    "commands go in %post")
    fields = deffile.header_fields()
    seen: dict[str, HeaderField] = {}
    for f in fields:
        low = f.key.lower()
        if low not in HEADER_KEYS:
            close = difflib.get_close_matches(low, HEADER_KEYS, n=1)
            add("warning", f.line, f"unknown header key {f.key!r}",
                f"did you mean {close[0].capitalize()!r}?" if close else None)
        if low in seen:
            add("error", f.line, f"{f.key!r} given twice (first on line {seen[low].line})",
                "keep one (multi-stage files are not supported by the kit)")
        seen.setdefault(low, f)
    boot = seen.get("bootstrap")
    agent = boot.value.lower() if boot else None
    if boot is None:
        add("error", 1, "no 'Bootstrap:' line", "start the file with 'Bootstrap: localimage' (or docker)")
    elif agent not in BOOTSTRAP_AGENTS:
        close = difflib.get_close_matches(agent or "", BOOTSTRAP_AGENTS, n=1)
        add("error", boot.line, f"unknown bootstrap agent {boot.value!r}",
            f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(sorted(BOOTSTRAP_AGENTS))}")
    frm = seen.get("from")
    if agent in BOOTSTRAP_AGENTS and BOOTSTRAP_AGENTS[agent] and (frm is None or not frm.value):
        add("error", frm.line if frm else (boot.line if boot else 1), f"'Bootstrap: {boot.value if boot else ''}' "
            "needs a 'From:' line naming the base image")
    if agent == "localimage" and frm is not None and frm.value:
        _check_localimage(frm, site, base_dir, path, add)

    # Sections.
    seen_sections: dict[str, Section] = {}
    for s in deffile.sections:
        if s.name not in SECTIONS:
            close = difflib.get_close_matches(s.name, SECTIONS, n=1)
            add("error", s.line, f"unknown section %{s.name}",
                f"did you mean %{close[0]}?" if close else f"sections are: {', '.join(sorted(SECTIONS))}")
        elif not s.name.startswith("app"):
            if s.name in seen_sections:
                add("warning", s.line, f"%{s.name} appears twice (first on line {seen_sections[s.name].line}); "
                    "only one is used", "merge the two sections")
            seen_sections.setdefault(s.name, s)
        mixed_reported = False
        for number, text in s.numbered():
            indent = text[: len(text) - len(text.lstrip(" \t"))]
            stripped = text.strip()
            if indent and stripped.startswith("%") and _SECTION_RE.match(stripped):
                name = stripped[1:].split()[0].lower()
                if name in SECTIONS:
                    add("error", number, f"indented section header {stripped!r}: it is read as part of "
                        f"%{s.name}, not as a new section", f"remove the whitespace before %{name}")
            if not indent and re.match(r"^Bootstrap\s*:", text, re.IGNORECASE):
                add("error", number, "a second 'Bootstrap:' (multi-stage build) is not supported by the kit",
                    "build the stages as separate definition files")
            if " " in indent and "\t" in indent and not mixed_reported:
                add("warning", number, f"indentation mixes tabs and spaces in %{s.name}",
                    "indent with spaces only (heredocs and inline Python break on mixed indentation)")
                mixed_reported = True
        if s.name in ("post", "setup", "test", "appinstall"):
            try:
                installs = find_pip_installs(s)
            except ValueError as exc:
                add("warning", s.line, f"%{s.name}: cannot read a line like a shell would ({exc})",
                    "check the quotes")
                installs = []
            for inst in installs:
                for rfile in inst.requirement_files:
                    add("warning", inst.line, f"pip install -r {rfile}: the pins in that file are not checked",
                        "list the pinned packages in %post, or check the file by hand")
                for req in inst.requirements:
                    problem = _pin_problem(req)
                    if problem:
                        why, pin = problem
                        add("warning", inst.line, f"unpinned `pip install {req}` in %{s.name}: {why}",
                            f"pin it: {pin} (supported versions: kit/versions.py)")
    return ValidationReport(path, tuple(issues))


def _check_localimage(frm: HeaderField, site: Site | None, base_dir: str | os.PathLike[str] | None,
                      path: Path | None, add: Callable[..., None]) -> None:
    value = os.path.expanduser(frm.value)
    base = Path(base_dir) if base_dir is not None else (path.parent if path is not None else Path.cwd())
    target = Path(value) if os.path.isabs(value) else base / value
    if target.exists():
        return
    try:
        site = site or _load_site()
        sif_dir: Path | None = site.container.sif_dir
    except ConfigError:
        site, sif_dir = None, None
    best, pulled = _suggest_sif(frm.value, sif_dir)
    placeholder = bool(_PLACEHOLDER_RE.search(frm.value))
    what = ("is still the /PATH/TO placeholder: replace it with the folder holding the pulled image"
            if placeholder else "does not exist")
    if best is not None:
        hint = f"write 'From: {best}' (the pulled image in {sif_dir})"
    elif pulled:
        hint = f"point From: at one of the pulled images: {', '.join(str(p) for p in pulled)}"
    elif site is not None:
        hint = (f"pull the base image first ({shell_line(pull_command(site))}), then write "
                f"'From: {pulled_image_path(site)}'")
    else:
        hint = "pull the base image first, then write its path after From:"
    add("error", frm.line, f"From: {frm.value} {what}", hint)


# --- disk space ------------------------------------------------------------------------


def temp_dir(runtime: str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The temporary directory a build/pull unpacks into.

    Apptainer reads ``APPTAINER_TMPDIR`` (then the legacy ``SINGULARITY_TMPDIR``), Singularity
    ``SINGULARITY_TMPDIR``; both fall back to ``TMPDIR`` and ``/tmp``.
    """
    env = os.environ if env is None else env
    keys = ["SINGULARITY_TMPDIR", "TMPDIR"]
    if runtime in (None, "apptainer", "host"):
        keys.insert(0, "APPTAINER_TMPDIR")
    return next((Path(env[k]) for k in keys if env.get(k)), Path("/tmp"))


def cache_dir(runtime: str | None = None, env: Mapping[str, str] | None = None,
              home: str | os.PathLike[str] | None = None) -> Path:
    """Where the runtime caches downloaded layers (``~/.apptainer/cache``, ``~/.singularity/cache``)."""
    env = os.environ if env is None else env
    home_dir = Path(home) if home is not None else Path(os.path.expanduser("~"))
    if runtime == "singularity":
        return Path(env["SINGULARITY_CACHEDIR"]) if env.get("SINGULARITY_CACHEDIR") else home_dir / ".singularity/cache"
    for key in ("APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR"):
        if env.get(key):
            return Path(env[key])
    return home_dir / ".apptainer/cache"


def existing_ancestor(path: str | os.PathLike[str]) -> Path:
    """``path`` or its nearest existing parent (free space is a property of the filesystem)."""
    p = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def free_bytes(path: str | os.PathLike[str]) -> int:
    """Free bytes on the filesystem holding ``path`` (or its nearest existing parent)."""
    return shutil.disk_usage(existing_ancestor(path)).free


def format_size(n: float) -> str:
    """``12.3 GiB`` / ``512.0 MiB`` / ``12 B``."""
    for unit, size in (("TiB", 1024**4), ("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


@dataclass(frozen=True)
class SpaceNeed:
    """Space a step needs in one directory."""

    path: Path
    gib: float
    what: str  # "the pulled image", "the build's temporary root filesystem"


def check_free_space(needs: Sequence[SpaceNeed], *, action: str, runtime: str | None = None) -> None:
    """Raise when a filesystem lacks the space the needs on it add up to.

    Needs on the same filesystem are summed (``/tmp`` and ``~/sif`` are often one disk).

    Raises:
        DiskSpaceError: says which directory, how much is needed and free, and what to do.
    """
    groups: dict[int, list[SpaceNeed]] = {}
    for need in needs:
        groups.setdefault(existing_ancestor(need.path).stat().st_dev, []).append(need)
    for group in groups.values():
        total = sum(n.gib for n in group) * GIB
        free = free_bytes(group[0].path)
        if free >= total:
            continue
        parts = ", ".join(f"{n.what} in {n.path} (~{n.gib:.0f} GiB)" for n in group)
        tmp_var = "SINGULARITY_TMPDIR" if runtime == "singularity" else "APPTAINER_TMPDIR"
        hints = []
        if any("temporary" in n.what for n in group):
            hints.append(f"point the temporary directory at a larger disk: export {tmp_var}=/path/with/space")
        hints.append("free space (`python -m kit storage du` shows what is safe to delete)")
        hints.append("or skip this estimate with --no-space-check (check_space=False)")
        raise DiskSpaceError(
            f"not enough disk space to {action}: {format_size(free)} free on the filesystem of "
            f"{existing_ancestor(group[0].path)}, about {format_size(total)} needed",
            details=f"needs: {parts}",
            hint="; ".join(hints),
        )


# --- failures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """What a runtime's error output means."""

    kind: str  # subuid | userns | space | fakeroot
    message: str
    hint: str


_DIAGNOSES = (
    (re.compile(r"no mapping entry found in /etc/sub[ug]id|not (?:listed|found) in /etc/sub[ug]id|"
                r"/etc/sub[ug]id.*(?:no entr|missing)", re.IGNORECASE),
     "subuid",
     "--fakeroot needs an entry for your user in /etc/subuid and /etc/subgid, and there is none",
     "ask the administrators to add one (`sudo {prog} config fakeroot --add {user}`), or build on a machine "
     "where you are root and copy the .sif here"),
    (re.compile(r"user namespace|max_user_namespaces|unprivileged_userns_clone|CLONE_NEWUSER|"
                r"setgroups.*operation not permitted|uid_map.*operation not permitted", re.IGNORECASE),
     "userns",
     "--fakeroot needs unprivileged user namespaces, and this machine blocks them",
     "ask the administrators to enable them (sysctl user.max_user_namespaces > 0, "
     "kernel.unprivileged_userns_clone = 1), or build where you are root and copy the .sif here"),
    (re.compile(r"no space left on device|disk quota exceeded", re.IGNORECASE),
     "space",
     "the disk (or your quota) filled up during the step",
     "point the temporary directory at a larger disk (export {tmpvar}=/path/with/space) and free space "
     "in the image folder (`python -m kit storage du`)"),
    (re.compile(r"fakeroot.*(?:not (?:supported|permitted|allowed)|disabled|requires)|"
                r"--fakeroot.*(?:failed|unsupported)", re.IGNORECASE),
     "fakeroot",
     "--fakeroot is not available for your user on this machine",
     "ask the administrators whether fakeroot builds are allowed, or build where you are root and copy the .sif"),
)


def explain_failure(output: str, *, prog: str = "singularity") -> Diagnosis | None:
    """Recognise a known runtime failure (``--fakeroot`` without /etc/subuid entry, blocked user
    namespaces, a full disk) in its output; None when nothing is recognised."""
    tmpvar = "SINGULARITY_TMPDIR" if prog == "singularity" else "APPTAINER_TMPDIR"
    for pattern, kind, message, hint in _DIAGNOSES:
        if pattern.search(output):
            return Diagnosis(kind, message, hint.format(prog=prog, tmpvar=tmpvar, user=_user()))
    return None


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "$USER"


def _raise_runtime_failure(exc: CommandError, action: str, prog: str) -> None:
    output = exc.stderr or ""
    diagnosis = explain_failure(output, prog=prog)
    if diagnosis is not None:
        cls = DiskSpaceError if diagnosis.kind == "space" else ContainerError
        raise cls(f"{action} failed: {diagnosis.message}", hint=diagnosis.hint, details=exc.details) from None
    raise ContainerError(f"{action} failed: {shlex.join(exc.cmd)} exited with {exc.returncode}",
                         details=exc.details, hint="read the runtime's message above") from None


# --- operations ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """What a pull or build did, or why it was skipped.

    Attributes:
        action: ``pull`` or ``build``.
        command: The command that ran (or would run on the site's cluster).
        output: The image file.
        skipped: True when nothing ran (the image exists, or no container runtime here).
        message: One plain sentence for a lesson to print.
        warnings: Validator warnings (build).
        stdout: The runtime's output when it ran.
    """

    action: str
    command: list[str]
    output: Path
    skipped: bool
    message: str
    warnings: tuple[str, ...] = ()
    stdout: str = ""

    @property
    def ran(self) -> bool:
        """True when the runtime ran."""
        return not self.skipped

    def __str__(self) -> str:
        return "\n".join([self.message, *self.warnings])


_REF_RE = re.compile(r"^(docker|docker-archive|docker-daemon|library|oras|shub|oci|oci-archive|https?)://\S+$")


def _age(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


def pull(
    ref: str | None = None,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    site: Site | None = None,
    force: bool = False,
    name: str | None = None,
    runtime: str | None = None,
    check_space: bool = True,
) -> StepResult:
    """Pull an image into ``dest_dir`` (``singularity pull``).

    Skips when the .sif is already there (pulling again downloads gigabytes), unless
    ``force``; an existing file is never overwritten without ``force=True``.

    Args:
        ref: Image reference; default ``site.container.image``.
        dest_dir: Folder; default ``site.container.sif_dir``.
        site: Site profile (default ``load_site()``).
        force: Pull again and overwrite the existing .sif (``--force``).
        name: File name; default like singularity's (``transformers-pytorch-gpu_4.35.2.sif``).
        runtime: Override ``site.container.runtime``.
        check_space: Check free space in the destination, temporary and cache directories first.

    Raises:
        ConfigError: the reference has no transport (``docker://``).
        DiskSpaceError: not enough space (or the disk filled up).
        ContainerError: the runtime failed, or did not create the file.
    """
    site = site or _load_site()
    ref = ref or site.container.image
    if not _REF_RE.match(ref):
        raise ConfigError(f"image reference {ref!r} names no source",
                          hint=f"write it with a transport, e.g. {versions.BASE_IMAGE.ref}")
    dest = Path(os.path.expanduser(os.fspath(dest_dir))) if dest_dir is not None else site.container.sif_dir
    if name is not None and (os.sep in name or not name.endswith(".sif")):
        raise ConfigError(f"image name {name!r} must be a plain file name ending in .sif")
    out = dest / (name or sif_name_for(ref))
    rt = detect_runtime(site, runtime)
    cmd = pull_command(site, ref, out, force=force, runtime=None if rt.is_host else rt.name)
    if out.exists() and not force:
        return StepResult("pull", cmd, out, True,
                          f"container pull: skipped — {out} already exists (pulled {_age(out)}, "
                          f"{format_size(out.stat().st_size)}); pass force=True (--force) to pull it again")
    if rt.is_host:
        return StepResult("pull", cmd, out, True,
                          f"container pull: skipped — no apptainer/singularity here ({rt.reason}); "
                          f"on the cluster: {shell_line(cmd)}")
    dest.mkdir(parents=True, exist_ok=True)
    if check_space:
        img = versions
        check_free_space([
            SpaceNeed(dest, img.IMAGE_SIF_GIB, "the pulled image"),
            SpaceNeed(temp_dir(rt.name), img.IMAGE_ROOTFS_GIB, "the temporary root filesystem"),
            SpaceNeed(cache_dir(rt.name), img.IMAGE_LAYERS_GIB, "the layer cache"),
        ], action=f"pull {ref}", runtime=rt.name)
    try:
        cp = proc.run(cmd)
    except CommandError as exc:
        _raise_runtime_failure(exc, f"pull of {ref}", rt.name)
        raise  # unreachable: _raise_runtime_failure always raises
    if not out.exists():
        raise ContainerError(f"{rt.name} pull reported success but {out} does not exist",
                             details=cp.stdout + cp.stderr, hint="check the runtime's output above")
    return StepResult("pull", cmd, out, False, f"container pull: pulled {ref} to {out} "
                      f"({format_size(out.stat().st_size)})", stdout=cp.stdout + cp.stderr)


def build(
    def_file: str | os.PathLike[str] | None = None,
    sif: str | os.PathLike[str] | None = None,
    *,
    site: Site | None = None,
    fakeroot: bool = True,
    force: bool = False,
    runtime: str | None = None,
    check_space: bool = True,
) -> StepResult:
    """Validate a definition file and build it (``singularity build --fakeroot SIF DEF``).

    Validation runs first everywhere, the host runtime included (errors raise; warnings
    come back in ``result.warnings``). An existing .sif is kept unless ``force=True``.

    Args:
        def_file: Definition file; default ``site.container.def_file``.
        sif: Output image; default :func:`site_sif_path`.
        site: Site profile (default ``load_site()``).
        fakeroot: Build with ``--fakeroot`` (no root needed, as on the department server).
        force: Rebuild and overwrite an existing image.
        runtime: Override ``site.container.runtime``.
        check_space: Check free space in the image's folder and the temporary directory first.

    Raises:
        ConfigError: the definition file is missing.
        DefFileError: the definition file has errors (all listed, with lines).
        DiskSpaceError: not enough space.
        ContainerError: the build failed (``--fakeroot`` problems explained).
    """
    site = site or _load_site()
    def_path = Path(os.path.abspath(def_file if def_file is not None else site.container.def_file))
    out = Path(os.path.abspath(sif if sif is not None else site_sif_path(site)))
    deffile = DefFile.read(def_path)
    report = validate(deffile, site=site)
    report.raise_for_errors()
    warnings = tuple(str(w) for w in report.warnings)
    rt = detect_runtime(site, runtime)
    cmd = build_command(site, def_path, out, fakeroot=fakeroot, force=force,
                        runtime=None if rt.is_host else rt.name)
    if out.exists() and not force:
        stale = def_path.stat().st_mtime > out.stat().st_mtime
        note = f" ({def_path.name} changed since: rebuild)" if stale else ""
        return StepResult("build", cmd, out, True,
                          f"container build: skipped — {out} already exists (built {_age(out)}){note}; "
                          "pass force=True (--force) to rebuild", warnings)
    if rt.is_host:
        return StepResult("build", cmd, out, True,
                          f"container build: skipped — no apptainer/singularity here ({rt.reason}); "
                          f"{def_path.name} is valid ({len(warnings)} warning(s)); on the cluster: "
                          f"{shell_line(build_command(site, def_path.name, out.name, fakeroot=fakeroot))}",
                          warnings)
    out.parent.mkdir(parents=True, exist_ok=True)
    if check_space:
        needs = [SpaceNeed(out.parent, versions.IMAGE_SIF_GIB, "the built image"),
                 SpaceNeed(temp_dir(rt.name), versions.IMAGE_ROOTFS_GIB + versions.BUILD_EXTRA_GIB,
                           "the build's temporary root filesystem")]
        if (deffile.header.get("bootstrap") or "").lower() != "localimage":
            needs.append(SpaceNeed(cache_dir(rt.name), versions.IMAGE_LAYERS_GIB, "the layer cache"))
        check_free_space(needs, action=f"build {out.name}", runtime=rt.name)
    try:
        # Relative paths inside the file (From:, %files) are relative to the file's folder.
        cp = proc.run(cmd, cwd=def_path.parent)
    except CommandError as exc:
        _raise_runtime_failure(exc, f"build of {out.name}", rt.name)
        raise
    if not out.exists():
        raise ContainerError(f"{rt.name} build reported success but {out} does not exist",
                             details=cp.stdout + cp.stderr, hint="check the runtime's output above")
    return StepResult("build", cmd, out, False,
                      f"container build: built {out} ({format_size(out.stat().st_size)}) from {def_path.name}",
                      warnings, cp.stdout + cp.stderr)


def exec(  # noqa: A001 - the runtime's verb; shadows the builtin only inside this module
    sif: str | os.PathLike[str] | None,
    argv: Sequence[str],
    *,
    site: Site | None = None,
    gpu: bool | None = None,
    runtime: str | None = None,
    binds: Sequence[str] = (),
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    capture: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the image (``singularity exec [--nv] SIF ...``), or on the host Python.

    Args:
        sif: The image (default :func:`site_sif_path`); ignored by the host runtime.
        argv: Program and arguments.
        site: Site profile (default ``load_site()``).
        gpu: ``--nv``; default ``site.container.gpu``.
        runtime: Override ``site.container.runtime``.
        binds: ``--bind`` specifications.
        cwd, env, check, capture, timeout: As for :func:`kit.proc.run`.

    Raises:
        ContainerError: the image does not exist (build or pull it first).
        CommandError: the command failed (with ``check``).
    """
    site = site or _load_site()
    rt = detect_runtime(site, runtime)
    if rt.is_host:
        cmd = exec_command(site, sif or "", argv, runtime="host")
    else:
        image = Path(os.path.expanduser(os.fspath(sif))) if sif is not None else site_sif_path(site)
        where = image if image.is_absolute() or cwd is None else Path(cwd) / image
        if not where.exists():
            raise ContainerError(f"no image at {where}",
                                 hint="build it first (`python -m kit container build`) or pass the right path")
        cmd = exec_command(site, image, argv, runtime=rt.name, gpu=gpu, binds=binds)
    return proc.run(cmd, cwd=cwd, env=env, check=check, capture=capture, timeout=timeout)


_IMPORT_SCRIPT = """\
import importlib, json, sys
out = {"python": "%d.%d.%d" % tuple(sys.version_info[:3]), "executable": sys.executable, "modules": {}}
for name in sys.argv[1:]:
    try:
        mod = importlib.import_module(name)
        version = getattr(mod, "__version__", None)
        if version is None:
            try:
                from importlib.metadata import version as _meta
                version = _meta(name)
            except Exception:
                version = "unknown"
        out["modules"][name] = {"version": str(version)}
        if name == "torch":
            out["cuda"] = mod.version.cuda
            out["cuda_available"] = bool(mod.cuda.is_available())
            out["gpus"] = mod.cuda.device_count() if out["cuda_available"] else 0
    except Exception as exc:
        out["modules"][name] = {"error": "%s: %s" % (type(exc).__name__, exc)}
print("KIT-IMPORTS " + json.dumps(out))
"""


@dataclass(frozen=True)
class ModuleVersion:
    """One module as found inside an image."""

    name: str
    version: str | None
    error: str | None = None
    expected: str | None = None

    @property
    def ok(self) -> bool:
        """Imported, and the expected version when one is stated."""
        if self.version is None:
            return False
        return self.expected is None or self.version.split("+")[0].startswith(self.expected)


@dataclass(frozen=True)
class ImportReport:
    """What :func:`check_imports` found: Python, CUDA and each module's version."""

    where: str  # "env.sif (apptainer 1.3.4)" or "host Python (...)"
    python: str
    modules: tuple[ModuleVersion, ...]
    cuda: str | None = None
    cuda_available: bool | None = None
    gpus: int | None = None
    expected_python: str | None = None

    @property
    def ok(self) -> bool:
        """Every module imported in the expected version (and the expected Python)."""
        py_ok = self.expected_python is None or self.python.startswith(self.expected_python + ".")
        return py_ok and all(m.ok for m in self.modules)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(name, found, expected, status) rows: python, CUDA, then each module."""
        rows = [("python", self.python, self.expected_python or "", _status(
            self.expected_python is None or self.python.startswith(self.expected_python + ".")))]
        if self.cuda is not None or any(m.name == "torch" and m.version for m in self.modules):
            avail = {True: "GPU visible", False: "no GPU visible", None: ""}[self.cuda_available]
            rows.append(("CUDA (torch)", f"{self.cuda or 'none (CPU build)'}",
                         versions.BASE_IMAGE.cuda if self.expected_python else "", avail))
        for m in self.modules:
            rows.append((m.name, m.version or "missing", m.expected or "",
                         _status(m.ok) if m.version else f"✗ {m.error or 'not importable'}"))
        return rows

    def to_markdown(self) -> str:
        """A Markdown table for a slide (``IPython.display.Markdown``)."""
        lines = [f"**{self.where}**", "", "| module | found | expected | |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.rows()]
        return "\n".join(lines)

    def to_text(self) -> str:
        """The same table as aligned text."""
        return _text_table(["module", "found", "expected", ""], self.rows(), title=self.where)


def _status(ok: bool) -> str:
    return "✓" if ok else "✗ differs"


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [title] if title else []
    out.append(fmt.format(*headers).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out += [fmt.format(*map(str, r)).rstrip() for r in rows]
    return "\n".join(out)


def parse_import_output(stdout: str, *, where: str, expected: Mapping[str, str] | None = None) -> ImportReport:
    """Read the ``KIT-IMPORTS {json}`` line printed by the import-check script.

    Raises:
        ContainerError: no such line (the interpreter failed before printing it).
    """
    line = next((ln for ln in reversed(stdout.splitlines()) if ln.startswith("KIT-IMPORTS ")), None)
    if line is None:
        raise ContainerError(f"the import check printed no result in {where}", details=stdout,
                             hint="run `python -m kit container exec -- python3 -c 'import torch'` to see why")
    data = json.loads(line[len("KIT-IMPORTS "):])
    expected = dict(expected or {})
    modules = tuple(
        ModuleVersion(name, info.get("version"), info.get("error"), expected.get(name))
        for name, info in data["modules"].items()
    )
    return ImportReport(where, data["python"], modules, data.get("cuda"), data.get("cuda_available"),
                        data.get("gpus"), expected.get("python"))


def check_imports(
    sif: str | os.PathLike[str] | None = None,
    modules: Sequence[str] = versions.CHECK_MODULES,
    *,
    site: Site | None = None,
    runtime: str | None = None,
    timeout: float | None = 900,
) -> ImportReport:
    """Import each module inside the image and report the versions found.

    Python, torch's CUDA and GPU visibility come along. In a container the pinned
    versions of :mod:`kit.versions` are expected; the host runtime checks the host
    Python and expects nothing (its versions are the kit's, not the image's).

    Args:
        sif: The image (default :func:`site_sif_path`).
        modules: Modules to import.
        site: Site profile (default ``load_site()``).
        runtime: Override ``site.container.runtime``.
        timeout: Seconds (importing torch from a network filesystem can be slow).
    """
    site = site or _load_site()
    rt = detect_runtime(site, runtime)
    image = Path(sif) if sif is not None else site_sif_path(site)
    cp = exec(image, ["python3", "-c", _IMPORT_SCRIPT, *modules], site=site, runtime=runtime,
              gpu=site.container.gpu, timeout=timeout)
    if rt.is_host:
        return parse_import_output(cp.stdout, where=f"host Python {sys.executable} (no container)")
    return parse_import_output(cp.stdout, where=f"{image} ({rt.describe()})", expected=versions.expected_versions())


@dataclass(frozen=True)
class InspectResult:
    """What ``singularity inspect`` said, or why it was skipped."""

    command: list[str]
    skipped: bool
    message: str
    text: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text if not self.skipped else self.message


def parse_labels(text: str) -> dict[str, str]:
    """``key: value`` lines of ``inspect --labels`` as a dict."""
    labels = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            labels[key.strip()] = value.strip()
    return labels


def inspect(sif: str | os.PathLike[str] | None = None, what: str = "labels", *, site: Site | None = None,
            runtime: str | None = None) -> InspectResult:
    """``singularity inspect --labels SIF`` (or deffile, environment, runscript, test, helpfile).

    Raises:
        ContainerError: the image does not exist.
    """
    site = site or _load_site()
    image = Path(os.path.expanduser(os.fspath(sif))) if sif is not None else site_sif_path(site)
    rt = detect_runtime(site, runtime)
    cmd = inspect_command(site, image, what, runtime=None if rt.is_host else rt.name)
    if rt.is_host:
        return InspectResult(cmd, True, f"container inspect: skipped — no apptainer/singularity here ({rt.reason})")
    if not image.exists():
        raise ContainerError(f"no image at {image}", hint="build or pull it first")
    cp = proc.run(cmd)
    return InspectResult(cmd, False, f"inspected {image}", cp.stdout,
                         parse_labels(cp.stdout) if what == "labels" else {})


# --- the workshop's definition file ------------------------------------------------------


def render_def(site: Site | None = None, *, localimage: str | os.PathLike[str] | bool | None = None) -> str:
    """The workshop's ``env.def`` (from :mod:`kit.versions`).

    Args:
        site: For ``localimage=True``.
        localimage: None/False: ``Bootstrap: docker`` (what ``container/env.def`` holds). A path:
            ``Bootstrap: localimage`` from that .sif. True: from the site's pulled image
            (:func:`pulled_image_path`), which must exist.

    Raises:
        ContainerError: ``localimage=True`` and the base image is not pulled yet.
    """
    if localimage is None or localimage is False:
        return versions.render_env_def()
    if localimage is True:
        site = site or _load_site()
        path = pulled_image_path(site)
        if not path.exists():
            raise ContainerError(f"the base image is not pulled yet: {path} does not exist",
                                 hint=f"pull it first: {shell_line(pull_command(site))}")
        return versions.render_env_def(path)
    return versions.render_env_def(Path(os.path.expanduser(os.fspath(localimage))))


def write_def(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write a definition file; refuse to overwrite a different existing file unless ``force``.

    Raises:
        ContainerError: the file exists with other content and ``force`` is False.
    """
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") != text and not force:
        raise ContainerError(f"{path} exists and differs from the generated definition",
                             hint="pass --force (force=True) to overwrite it, or choose another --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _shown(path: Path) -> str:
    """A site file as people know it (``sites/ci.toml``), absolute when outside the project."""
    from kit.sites import PROJECT_ROOT

    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _load_site() -> Site:
    from kit.sites import load_site

    return load_site()


__all__ = [
    "DefFile", "Diagnosis", "HeaderField", "ImportReport", "InspectResult", "Issue", "ModuleVersion",
    "PipInstall", "Runtime", "Section", "SpaceNeed", "StepResult", "ValidationReport", "build",
    "build_command", "cache_dir", "check_free_space", "check_imports", "detect_runtime", "exec",
    "exec_command", "explain_failure", "find_pip_installs", "format_size", "free_bytes", "inspect",
    "inspect_command", "parse_import_output", "parse_labels", "parse_version_output", "program", "pull",
    "pull_command", "pulled_image_path", "render_def", "shell_line", "sif_name_for", "site_sif_path",
    "temp_dir", "validate", "write_def",
]
