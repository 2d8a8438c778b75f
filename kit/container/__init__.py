"""Containers: Apptainer/Singularity through one package, with a host fallback.

What the workshop does by hand (``singularity pull``, write ``env.def``,
``singularity build --fakeroot``, ``singularity exec``) as library calls, along
its seams:

* :mod:`~kit.container.runtime`: which runtime (``apptainer``/``singularity`` on PATH,
  the one the site forces, or ``host``: the host Python, on a laptop or in CI).
* :mod:`~kit.container.commands`: every command as a pure function; ``exec_command``
  is the one ``singularity exec`` line (a job script's body uses it too).
* :mod:`~kit.container.deffile` and :mod:`~kit.container.validate`: the definition
  file, kept byte for byte, and a validator naming file and line.
* :mod:`~kit.container.space`: free-space checks before pull and build.
* :mod:`~kit.container.diagnose`: the one fakeroot diagnosis (before and after a build).
* :mod:`~kit.container.ops`: pull, build, exec, inspect, the workshop's env.def.
* :mod:`~kit.container.imports`: the import check inside the image.

Every command runs through :func:`kit.proc.run`; pull and build through :func:`kit.proc.stream`,
which prints the runtime's progress while it runs.
"""

from __future__ import annotations

from kit import versions
from kit.container.commands import (
    INSPECT_FLAGS,
    build_command,
    exec_command,
    from_value,
    in_work_dir,
    inspect_command,
    program,
    pull_command,
    pulled_image_path,
    site_commands,
    site_commands_text,
    site_sif_path,
    version_command,
    work_def_file,
)
from kit.container.deffile import BOOTSTRAP_AGENTS, HEADER_KEYS, SECTIONS, DefFile, HeaderField, Section
from kit.container.diagnose import (
    Diagnosis,
    check_fakeroot,
    explain_failure,
    fakeroot_problems,
    parse_subid,
)
from kit.container.envdef import render_def, write_def
from kit.container.imports import ImportReport, ModuleVersion, check_imports, parse_import_output
from kit.container.ops import (
    InspectResult,
    StepResult,
    build,
    exec,
    inspect,
    install_def,
    parse_labels,
    pull,
    run_interactive,
)
from kit.container.pipcheck import PipInstall, find_pip_installs
from kit.container.runtime import RUNTIMES, Runtime, detect_runtime, parse_version_output
from kit.container.space import (
    SpaceNeed,
    cache_dir,
    check_free_space,
    existing_ancestor,
    free_bytes,
    temp_dir,
    tmpdir_variable,
)
from kit.container.validate import (
    Issue,
    ValidationReport,
    ValidationReports,
    validate,
    validate_files,
)
from kit.textutil import GIB, format_size, shell_line

__all__ = [
    "BOOTSTRAP_AGENTS", "GIB", "HEADER_KEYS", "INSPECT_FLAGS", "RUNTIMES", "SECTIONS", "DefFile", "Diagnosis",
    "HeaderField", "ImportReport", "InspectResult", "Issue", "ModuleVersion", "PipInstall", "Runtime", "Section",
    "SpaceNeed", "StepResult", "ValidationReport", "build", "build_command", "cache_dir", "check_fakeroot",
    "check_free_space", "check_imports", "detect_runtime", "exec", "exec_command", "existing_ancestor",
    "explain_failure", "fakeroot_problems", "find_pip_installs", "format_size", "free_bytes", "from_value",
    "in_work_dir", "inspect", "install_def", "work_def_file",
    "inspect_command", "parse_import_output", "parse_labels", "parse_subid", "parse_version_output", "program",
    "pull", "pull_command", "pulled_image_path", "render_def", "run_interactive", "shell_line",
    "site_commands", "site_commands_text", "site_sif_path", "temp_dir", "tmpdir_variable", "validate",
    "validate_files",
    "ValidationReports", "version_command", "versions", "write_def",
]
