"""The one fakeroot diagnosis: what blocks ``build --fakeroot``, before a build and after one fails.

:data:`PROBLEMS` says once what each problem means and what to do. :func:`explain_failure` recognises one
in a runtime's error output; :func:`fakeroot_problems` finds the same on the host before a build.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kit.container.space import tmpdir_variable
from kit.errors import CommandError, ContainerError, DiskSpaceError
from kit.textutil import shell_line


@dataclass(frozen=True)
class Diagnosis:
    """What a runtime's error output (or the host's set-up) means."""

    kind: str  # subuid | userns | space | fakeroot
    message: str
    hint: str


#: kind -> (what shows it in a runtime's output, what it means, what to do); {prog}, {user} and {tmpvar}
#: are filled in.
PROBLEMS = {
    "subuid": (r"no mapping entry found in /etc/sub[ug]id|not (?:listed|found) in /etc/sub[ug]id|"
               r"/etc/sub[ug]id.*(?:no entr|missing)",
               "--fakeroot needs an entry for your user in /etc/subuid and /etc/subgid, and there is none",
               "ask the administrators to add one (`sudo {prog} config fakeroot --add {user}`), or build on a "
               "machine where you are root and copy the .sif here"),
    "userns": (r"user namespace|max_user_namespaces|unprivileged_userns_clone|CLONE_NEWUSER|"
               r"setgroups.*operation not permitted|uid_map.*operation not permitted",
               "--fakeroot needs unprivileged user namespaces, and this machine blocks them",
               "ask the administrators to enable them (sysctl user.max_user_namespaces > 0, "
               "kernel.unprivileged_userns_clone = 1), or build where you are root and copy the .sif here"),
    "space": (r"no space left on device|disk quota exceeded",
              "the disk (or your quota) filled up during the step",
              "point the temporary directory at a larger disk (export {tmpvar}=/path/with/space) and free space "
              "in the image folder (`python -m kit storage du`)"),
    "fakeroot": (r"fakeroot.*(?:not (?:supported|permitted|allowed)|disabled|requires)|"
                 r"--fakeroot.*(?:failed|unsupported)",
                 "--fakeroot is not available for your user on this machine",
                 "ask the administrators whether fakeroot builds are allowed, or build where you are root and "
                 "copy the .sif"),
}


def diagnosis(kind: str, *, prog: str = "singularity", user: str | None = None) -> Diagnosis:
    """The :class:`Diagnosis` of one problem of :data:`PROBLEMS`."""
    _, message, hint = PROBLEMS[kind]
    return Diagnosis(kind, message, hint.format(prog=prog, tmpvar=tmpdir_variable(prog), user=user or _user()))


def explain_failure(output: str, *, prog: str = "singularity") -> Diagnosis | None:
    """The known runtime failure in its output (fakeroot, a full disk), or None."""
    for kind, (pattern, _, _) in PROBLEMS.items():
        if re.search(pattern, output, re.IGNORECASE):
            return diagnosis(kind, prog=prog)
    return None


def parse_subid(text: str, user: str, uid: int | None = None) -> bool:
    """Whether ``/etc/subuid`` text has an entry for ``user`` (by name or uid)."""
    owners = {line.split(":", 1)[0].strip() for line in text.splitlines()} - {""}
    return user in owners or (uid is not None and str(uid) in owners)


def fakeroot_problems(*, user: str, uid: int, subuid_text: str | None, max_user_namespaces: int | None,
                      prog: str = "singularity") -> list[Diagnosis]:
    """What will make ``build --fakeroot`` fail on a host with these facts (None: file missing, unknown)."""
    if uid == 0:
        return []
    found = []
    if max_user_namespaces == 0:
        found.append(diagnosis("userns", prog=prog, user=user))
    if subuid_text is None or not parse_subid(subuid_text, user, uid):
        found.append(diagnosis("subuid", prog=prog, user=user))
    return found


def check_fakeroot(prog: str = "singularity") -> list[Diagnosis]:
    """:func:`fakeroot_problems` for this host and user (reads /etc/subuid and /proc)."""
    try:
        max_ns: int | None = int(Path("/proc/sys/user/max_user_namespaces").read_text().strip())
    except (OSError, ValueError):
        max_ns = None
    try:
        subuid: str | None = Path("/etc/subuid").read_text()
    except OSError:
        subuid = None
    return fakeroot_problems(user=_user(), uid=os.geteuid(), subuid_text=subuid, max_user_namespaces=max_ns,
                             prog=prog)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "$USER"


def runtime_failure(exc: CommandError, action: str, prog: str) -> ContainerError:
    """A failed runtime command as a :class:`ContainerError` (or :class:`DiskSpaceError`) that says what it means."""
    found = explain_failure(exc.stderr or "", prog=prog)
    if found is not None:
        cls = DiskSpaceError if found.kind == "space" else ContainerError
        return cls(f"{action} failed: {found.message}", hint=found.hint, details=exc.details)
    return ContainerError(f"{action} failed: {shell_line(exc.cmd)} exited with {exc.returncode}",
                          details=exc.details, hint="read the runtime's message above")
