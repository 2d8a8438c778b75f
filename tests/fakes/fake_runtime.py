"""A stand-in for ``apptainer``/``singularity`` (neither can be installed on our machines).

Run through the ``apptainer`` and ``singularity`` shims next to this file. It
appends its argv as one JSON line to ``$FAKE_CONTAINER_LOG`` and behaves like the
real runtime where the kit depends on it: ``pull``/``build`` print ``INFO:`` progress
lines on stderr, create the output file and refuse to overwrite without ``--force``;
``build`` of a ``Bootstrap: localimage`` file fails unless its ``From:`` image exists
(a relative path from the current folder, as singularity reads it); ``exec`` runs the command on
the host (``python3`` becomes ``$FAKE_CONTAINER_PYTHON`` when set).

``$FAKE_CONTAINER_FAIL`` makes build/pull fail the way real runtimes do:
``subuid``, ``userns``, ``nospace`` or ``generic``. ``$FAKE_CONTAINER_VERSION``
replaces the ``--version`` line.
"""

from __future__ import annotations

import json
import os
import sys

VERSIONS = {"apptainer": "apptainer version 1.3.4", "singularity": "singularity-ce version 4.1.5-jammy"}
FAILURES = {
    "subuid": "FATAL:   could not use fakeroot: no mapping entry found in /etc/subuid for {user}",
    "userns": "FATAL:   container creation failed: failed to create user namespace: "
              "user namespace requires to set /proc/sys/user/max_user_namespaces to a non-zero value",
    "nospace": "FATAL:   While performing build: packer failed to pack: write /tmp/build-temp-1/rootfs/x: "
               "no space left on device",
    "generic": "FATAL:   While performing build: conveyor failed to get: unexpected EOF",
}
VALUE_FLAGS = {"--bind", "-B", "--home", "--env", "--pwd", "--section", "--arch", "--library", "--build-arg"}


def fatal(msg: str) -> None:
    print(msg, file=sys.stderr)
    sys.exit(255)


def info(*lines: str) -> None:
    """Progress lines, on stderr as the real runtimes print them."""
    for line in lines:
        print(f"INFO:    {line}", file=sys.stderr, flush=True)


def def_header(text: str) -> dict[str, str]:
    """The ``Key: value`` lines before the first section (keys lower-cased, ``#`` comments cut)."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("%"):
            break
        key, sep, value = line.partition(":")
        if sep:
            header[key.strip().lower()] = value.strip()
    return header


def split(args: list[str]) -> tuple[set[str], list[str]]:
    """Flags and positional arguments (flags end at the first positional)."""
    flags: set[str] = set()
    i = 0
    while i < len(args) and args[i].startswith("-"):
        flags.add(args[i])
        i += 2 if args[i] in VALUE_FLAGS else 1
    return flags, args[i:]


def main(prog: str, args: list[str]) -> None:
    log = os.environ.get("FAKE_CONTAINER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"argv": [prog, *args], "cwd": os.getcwd()}) + "\n")
    if args[:1] == ["--version"]:
        print(os.environ.get("FAKE_CONTAINER_VERSION") or VERSIONS[prog])
        return
    verb, rest = args[0], args[1:]
    failure = os.environ.get("FAKE_CONTAINER_FAIL")
    if verb in ("pull", "build") and failure:
        print("INFO:    Starting build...")
        fatal(FAILURES[failure].format(user=os.environ.get("USER", "user")))
    flags, pos = split(rest)
    if verb == "pull":
        # `pull URI` names the image after the URI as the real runtimes do: docker://org/name:tag -> name_tag.sif
        dest, ref = pos if len(pos) == 2 else (pos[0].rsplit("/", 1)[-1].replace(":", "_") + ".sif", pos[0])
        if os.path.exists(dest) and "--force" not in flags:
            fatal(f'FATAL:   Image file already exists: "{dest}" - will not overwrite')
        info("Converting OCI blobs to SIF format", "Starting build...", "Creating SIF file...")
        with open(dest, "w", encoding="utf-8") as fh:
            fh.write(f"FAKE-SIF pull {ref}\n")
    elif verb == "build":
        sif, deffile = pos
        if not os.path.exists(deffile):
            fatal(f"FATAL:   Unable to build from {deffile}: no such file or directory")
        if os.path.exists(sif) and "--force" not in flags:
            fatal(f"FATAL:   While performing build: build target '{sif}' already exists")
        with open(deffile, encoding="utf-8") as src:
            text = src.read()
        info("Starting build...")
        header = def_header(text)
        if header.get("bootstrap", "").lower() == "localimage":
            # Like the real ones: From: is taken as written (no ~), relative to the current folder.
            base = os.path.normpath(header.get("from", ""))
            if not os.path.exists(base):
                fatal(f"FATAL:   While performing build: conveyor failed to get: failed to retrieve path for "
                      f"{base}: lstat {os.path.abspath(base)}: no such file or directory")
            info("Verifying bootstrap image " + base, "Extracting local image...")
        info("Running post scriptlet", "Creating SIF file...")
        with open(sif, "w", encoding="utf-8") as fh:
            fh.write("FAKE-SIF build\n" + text)
        info(f"Build complete: {sif}")
    elif verb == "exec":
        sif, argv = pos[0], pos[1:]
        if not os.path.exists(sif):
            fatal(f"FATAL:   could not open image {sif}: no such file or directory")
        if argv and argv[0] == "python3" and os.environ.get("FAKE_CONTAINER_PYTHON"):
            argv[0] = os.environ["FAKE_CONTAINER_PYTHON"]
        os.execvp(argv[0], argv)
    else:
        fatal(f"FATAL:   unknown command {verb!r} (fake runtime)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
