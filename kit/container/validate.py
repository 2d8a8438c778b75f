"""The definition-file validator: errors and warnings that name the file and the line."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kit.container.commands import from_value, pull_command, pulled_image_path, typed_in_work_dir, work_def_file
from kit.container.deffile import (
    _HEADER_RE,
    _SECTION_RE,
    BOOTSTRAP_AGENTS,
    HEADER_KEYS,
    SECTIONS,
    DefFile,
    HeaderField,
    Section,
)
from kit.container.pipcheck import _pin_problem, find_pip_installs
from kit.container.runtime import detect_runtime
from kit.errors import ContainerError, DefFileError
from kit.pathio import user_path
from kit.sites import Site, load_site


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
        return not self.errors

    def to_text(self) -> str:
        if not self.issues:
            return f"{self.path or 'definition'}: OK (no errors, no warnings)"
        return "\n".join(str(i) for i in self.issues)

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise DefFileError(
                f"{self.path or 'definition file'}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)",
                details=self.to_text(),
                hint=self.errors[0].hint or "fix the lines shown, then run `python -m kit container validate` again",
            )


_PLACEHOLDER_RE = re.compile(r"/PATH/TO\b|\bPATH/TO/|<[^>]+>", re.IGNORECASE)


def _suggest_sif(from_path: str, sif_dir: Path) -> tuple[Path | None, list[Path]]:
    """The pulled image that best fits ``From:``, and every pulled image."""
    pulled = sorted(sif_dir.glob("*.sif"))  # none when sif_dir does not exist
    best = difflib.get_close_matches(Path(from_path).name, [p.name for p in pulled], n=1, cutoff=0.3)
    if best:
        return sif_dir / best[0], pulled
    return (pulled[0] if len(pulled) == 1 else None), pulled


def validate(
    deffile: DefFile | str | os.PathLike[str],
    *,
    site: Site,
    base_dir: str | os.PathLike[str] | None = None,
    base_must_exist: bool = True,
) -> ValidationReport:
    """Check a definition file before a build; every issue names the file and line.

    ``base_dir``: where a relative ``From:`` starts: singularity reads it from the folder the build runs in,
    not from the file's folder (default: the site's work directory, where :func:`kit.container.build` runs).
    ``base_must_exist``: False where nothing is built: a missing ``From:`` file is fine, a placeholder is not.
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
        _check_localimage(frm, site, base_dir, base_must_exist, add)

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


def _check_localimage(frm: HeaderField, site: Site, base_dir: str | os.PathLike[str] | None,
                      base_must_exist: bool, add: Callable[..., None]) -> None:
    base = Path(base_dir) if base_dir is not None else site.work_dir
    placeholder = bool(_PLACEHOLDER_RE.search(frm.value))
    if frm.value.startswith("~") and not placeholder:
        full = os.path.expanduser(frm.value)
        add("error", frm.line, f"From: {frm.value}: singularity does not expand ~ in a definition file "
            "(it looks for a folder named '~' in the folder the build runs in)",
            f"write the full path: 'From: {full}'")
        return
    target = Path(frm.value) if os.path.isabs(frm.value) else base / frm.value
    if target.exists() or (not base_must_exist and not placeholder):
        return
    sif_dir = site.container.sif_dir
    best, pulled = _suggest_sif(frm.value, sif_dir)
    if placeholder:
        what = "is still the /PATH/TO placeholder: replace it with the pulled image"
    elif os.path.isabs(frm.value):
        what = "does not exist"
    else:
        what = (f"does not exist in {base} (a relative From: path starts in the folder the build runs in, "
                "not in the definition file's folder)")
    if best is not None:
        hint = f"write 'From: {from_value(site, best)}' (the pulled image in {sif_dir})"
    elif pulled:
        hint = f"point From: at one of the pulled images: {', '.join(str(p) for p in pulled)}"
    else:
        hint = (f"pull the base image first ({typed_in_work_dir(site, pull_command(site))}), then write "
                f"'From: {from_value(site, pulled_image_path(site))}'")
    add("error", frm.line, f"From: {frm.value} {what}", hint)


@dataclass(frozen=True)
class ValidationReports:
    """The reports of several definition files (``kit container validate``)."""

    reports: tuple[ValidationReport, ...]

    def to_text(self) -> str:
        return "\n".join(r.to_text() for r in self.reports)

    def raise_for_errors(self) -> None:
        """Raise :class:`DefFileError` naming the files with errors (the issues are in :meth:`to_text`)."""
        bad = [str(r.path) for r in self.reports if not r.ok]
        if bad:
            raise DefFileError(f"errors in {', '.join(bad)} (listed above)",
                               hint="fix the lines shown, then run `python -m kit container validate` again")


def validate_files(paths: Sequence[str | os.PathLike[str]], *, site: Site | None = None) -> ValidationReports:
    """:func:`validate` each file (default: the env.def the build uses where it exists, else the site's
    ``container.def_file``); a localimage ``From:`` must exist only where a runtime could build the file."""
    site = site or load_site()
    own = work_def_file(site)  # the participant's copy in the work folder, which they may have edited
    targets = list(paths) or [own if own.is_file() else site.container.def_file]
    try:
        builds_here = not detect_runtime(site).is_host
    except ContainerError:
        builds_here = False  # the runtime the site names is missing: nothing is built here either
    reports = []
    for path in targets:
        with user_path(path, "read the definition file"):
            reports.append(validate(path, site=site, base_must_exist=builds_here))
    return ValidationReports(tuple(reports))
