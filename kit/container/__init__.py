"""Containers: Apptainer/Singularity through one package, with a host fallback.

What the workshop does by hand (``singularity pull``, write ``env.def``, ``singularity build --fakeroot``,
``singularity exec``) as library calls: :mod:`~kit.container.runtime` picks the runtime,
:mod:`~kit.container.commands` builds every command line, :mod:`~kit.container.ops` runs the steps,
:mod:`~kit.container.validate` checks a definition file, naming file and line.
"""

from __future__ import annotations

from kit.container.commands import (
    build_command,
    exec_command,
    program,
    pull_command,
    version_command,
    work_def_file,
)
from kit.container.deffile import DefFile
from kit.container.diagnose import check_fakeroot, explain_failure, fakeroot_problems
from kit.container.imports import check_imports, parse_import_output
from kit.container.ops import build, exec, install_def, pull, render_def, run_interactive, write_def
from kit.container.pipcheck import find_pip_installs
from kit.container.runtime import RUNTIMES, Runtime, detect_runtime, parse_version_output
from kit.container.space import SpaceNeed, cache_dir, check_free_space, existing_ancestor, free_bytes, temp_dir
from kit.container.validate import validate, validate_files

__all__ = [
    "RUNTIMES", "DefFile", "Runtime", "SpaceNeed", "build", "build_command", "cache_dir", "check_fakeroot",
    "check_free_space", "check_imports", "detect_runtime", "exec", "exec_command", "existing_ancestor",
    "explain_failure", "fakeroot_problems", "find_pip_installs", "free_bytes", "install_def", "parse_import_output",
    "parse_version_output", "program", "pull", "pull_command", "render_def", "run_interactive", "temp_dir",
    "validate", "validate_files", "version_command", "work_def_file", "write_def",
]
