"""The ``pip install`` lines of a definition file, and whether each requirement is pinned."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass

from kit import versions
from kit.container.deffile import Section

_PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src",
    "--trusted-host", "--cache-dir", "--upgrade-strategy", "--platform", "--python-version",
    "--implementation", "--abi", "--only-binary", "--no-binary", "--progress-bar", "--log", "--proxy",
    "--retries", "--timeout", "--exists-action", "--global-option", "--config-settings", "-C", "--report",
    "--python", "--root-user-action", "--keyring-provider",
})
_SHELL_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;"})


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
    joined = False
    for number, text in section.numbered():
        more = text.rstrip().endswith("\\")
        piece = text.rstrip()[:-1] if more else text
        if joined:
            out[-1] = (out[-1][0], f"{out[-1][1]} {piece}")
        else:
            out.append((number, piece))
        joined = more
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
    """Every ``pip install`` in a section (``pip``, ``pip3``, ``python3 -m pip``); a ``ValueError`` when a line
    cannot be split like a shell would (unbalanced quotes)."""
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
                    files.extend(rest[j + 1:j + 2])
                    j += 1
                elif tok.startswith("--requirement="):
                    files.append(tok.split("=", 1)[1])
                elif tok in _PIP_VALUE_OPTIONS:
                    j += 1  # its value (an editable path or URL included: nothing to pin)
                elif not tok.startswith("-"):
                    reqs.append(tok)
                j += 1
            found.append(PipInstall(number, tuple(reqs), tuple(files), upgrade))
    return found


def _pin_problem(req_text: str) -> tuple[str, str] | None:
    """Why a requirement is not pinned, and the pinned form; None when it is pinned (or a local path)."""
    # A third-party package: `kit doctor` imports kit.container on a login node's bare python3.
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
    img = versions.BASE_IMAGE
    pin = f"{req.name}==VERSION"
    if name in versions.PINS or name == "pip":
        pin = versions.pinned(name)
        why = (f"installs whatever release is newest on the day of the build (for Python {img.python}); "
               f"two builds differ and nothing checks it against the image's torch {img.torch}")
    else:
        why = "installs whatever release is newest on the day of the build, so two builds of this file differ"
    if ops:
        why = f"only a lower bound ({req.specifier}): " + why
    return why, pin
