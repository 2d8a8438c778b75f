"""The doctor's checks: container runtime, fakeroot, Slurm and its GPUs, torch's GPU, disk,
packages, marp-cli, Chromium and Japanese fonts; :func:`run_checks` gathers them into a report."""

from __future__ import annotations

import os
import re
from importlib import metadata

from kit import versions
from kit.container import (
    RUNTIMES,
    Runtime,
    build_command,
    check_fakeroot,
    detect_runtime,
    existing_ancestor,
    free_bytes,
)
from kit.doctor.report import Check, Report, Step
from kit.errors import CommandError, KitError, SlurmError
from kit.sites import PROJECT_ROOT, Site, load_site, site_source
from kit.slurm.client import check_controller
from kit.slurm.gpus import Partition, check_gpu_request, partitions
from kit.textutil import GIB, format_size, shell_line
from litmarp import proc
from litmarp.paths import shown_path
from litmarp.proc import chrome_path

TRAINING_PACKAGES = ("torch", "transformers", "datasets", "accelerate", "tokenizers", "sacrebleu")
LESSON_PACKAGES = ("matplotlib", "papermill", "jupytext", "nbclient", "ipykernel")


def _runtime_check(site: Site) -> tuple[Check, Runtime | None]:
    """The check, and the container runtime (None: none, or the host Python)."""
    forced = site.container.runtime in RUNTIMES
    try:
        rt = detect_runtime(site)
    except KitError as exc:
        return Check("container runtime", False, exc.message, required=forced), None
    if rt.is_host:
        if site.container.runtime == "host":
            return Check("container runtime", True, f"not used: {rt.reason} (jobs run on the host Python)"), None
        return Check("container runtime", False,
                     "none: no apptainer or singularity on PATH; container steps are skipped here"), None
    return Check("container runtime", True, rt.describe(), required=forced), rt


def _fakeroot_check(rt: Runtime) -> Check:
    if os.geteuid() == 0:
        return Check("fakeroot builds", True, "running as root: --fakeroot is not needed")
    problems = check_fakeroot(rt.name)
    if problems:
        return Check("fakeroot builds", False, "; ".join(p.message for p in problems)
                     + f": `{rt.name} build --fakeroot` will fail ({problems[0].hint})")
    return Check("fakeroot builds", True, "/etc/subuid has an entry for this user")


def _slurm_checks(site: Site) -> tuple[list[Check], list[Partition], bool]:
    """The commands, controller and GPU checks, the partitions found, and whether Slurm is reachable."""
    required = site.slurm.executor == "slurm"
    found = {name: proc.which(name) for name in ("sbatch", "squeue", "scancel", "sinfo")}
    missing = [n for n, p in found.items() if p is None]
    commands = Check("Slurm commands", not missing,
                     "sbatch, squeue, scancel, sinfo on PATH" if not missing else f"missing: {', '.join(missing)}",
                     required=required)
    found_partitions: list[Partition] = []
    if found["sinfo"] is None:
        controller = Check("Slurm controller", False, "sinfo not found", required=required)
    else:
        try:
            check_controller()  # a controller that is down is said at once, not after sinfo's retries
            found_partitions = partitions(timeout=20)
            names = ", ".join(p.name + ("*" if p.default else "") for p in found_partitions) or "none"
            controller = Check("Slurm controller", bool(found_partitions), f"reachable; partitions: {names}",
                               required=required)
        except SlurmError as exc:
            controller = Check("Slurm controller", False, exc.message, required=required)
        except CommandError as exc:
            controller = Check("Slurm controller", False, f"sinfo failed: {exc.message}", required=required)
    reachable = controller.ok and not missing
    request = site.slurm.gpus
    gres_text = "; ".join(f"{p.name}: {', '.join(p.gres) or 'none'}" for p in found_partitions) or "no partitions"
    if not request:
        gpus = Check("Slurm GPUs", True, f"the site asks for no GPU ({gres_text})")
    elif not reachable:
        gpus = Check("Slurm GPUs", False, f"--gpus {request}: Slurm not reachable", required=required)
    else:
        fits = check_gpu_request(request, found_partitions, site.slurm.partition)
        detail = f"--gpus {request}: " + (f"served by {', '.join(fits)}" if fits else "no partition has it")
        gpus = Check("Slurm GPUs", bool(fits), f"{detail} ({gres_text})", required=required)
    return [commands, controller, gpus], found_partitions, reachable


def _torch_gpu_check() -> Check:
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - any import failure means "no torch here"
        return Check("GPU (torch)", False, f"torch not importable: {exc}")
    if torch.cuda.is_available():
        names = sorted({torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())})
        return Check("GPU (torch)", True, f"torch {torch.__version__}: {torch.cuda.device_count()} CUDA device(s) "
                     f"({', '.join(names)})")
    return Check("GPU (torch)", False, f"torch {torch.__version__}: no CUDA GPU visible (training runs on the CPU)")


def _disk_checks(site: Site, uses_container: bool) -> list[Check]:
    checks = []
    sif_need = 2 * versions.IMAGE_SIF_GIB if uses_container else 0.0
    work_need = 5.0 if site.train.profile == "workshop" else 0.5  # checkpoints of bart-base vs the tiny model
    rows = [("disk: sif dir", site.container.sif_dir, sif_need, "base image + env.sif"),
            ("disk: work dir", site.work_dir, work_need, "checkpoints and logs")]
    if os.path.abspath(site.container.sif_dir) == os.path.abspath(site.work_dir):  # the default: one folder
        rows = [("disk: work dir", site.work_dir, sif_need + work_need,
                 "base image + env.sif, checkpoints and logs" if sif_need else "checkpoints and logs")]
    for name, path, need, what in rows:
        free = free_bytes(path)
        where = shown_path(path)
        if not path.exists():
            where += f" (not created yet; on {shown_path(existing_ancestor(path))})"
        detail = f"{format_size(free)} free in {where}"
        if need:
            detail += f"; needs about {need:g} GiB ({what})"
        checks.append(Check(name, free >= need * GIB, detail))
    return checks


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def _package_check(what: str, names: tuple[str, ...], *, required: bool = False) -> Check:
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    missing = [name for name in names if name not in found]
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    tf = found.get("transformers")
    if tf and _version_tuple(tf) < _version_tuple(versions.KIT_MIN_TRANSFORMERS):
        problems.append(f"transformers {tf} is older than the supported {versions.KIT_MIN_TRANSFORMERS}")
    detail = ", ".join(f"{k} {v}" for k, v in found.items())
    return Check(f"Python packages ({what})", not problems, "; ".join([detail, *problems]).strip("; "),
                 required=required)


def _version_check(name: str, program: str | None, missing: str, *, show_path: bool = False) -> Check:
    """The first line ``program --version`` prints, or ``missing`` when there is no program."""
    if not program:
        return Check(name, False, missing)
    try:
        cp = proc.run([program, "--version"], check=False, timeout=60)
        out = (cp.stdout or cp.stderr or "").strip().splitlines() if cp.returncode == 0 else []
    except CommandError:
        out = []
    if not out:
        return Check(name, False, f"{program} --version failed")
    return Check(name, True, f"{out[0]} ({program})" if show_path else out[0])


def _font_check() -> Check:
    try:
        listed = proc.run(["fc-list", ":lang=ja", "family"], check=False, timeout=30).stdout
    except CommandError:  # no fontconfig
        listed = ""
    fonts = sorted({line.split(",")[0].strip() for line in listed.splitlines() if line.strip()})
    if not fonts:
        return Check("Japanese fonts", False, "none (fc-list :lang=ja): install fonts-noto-cjk; plots show boxes")
    preferred = [f for f in fonts if "JP" in f] or fonts
    return Check("Japanese fonts", True, f"{len(fonts)} families, e.g. {', '.join(preferred[:2])}")


# --- the report ------------------------------------------------------------------------


def run_checks(site: Site | str | None = None) -> Report:
    """Check this machine for a site (a name, or None: ``$KIT_SITE``, else ``local``) and decide which lesson
    steps run for real. It never raises for a missing piece: the piece shows as a failed check."""
    if site is None or isinstance(site, str):
        source = site_source(site)
        site_obj = load_site(site)
    else:
        source, site_obj = "given", site
    runtime_check, container_rt = _runtime_check(site_obj)
    fakeroot = _fakeroot_check(container_rt) if container_rt else None
    (commands, controller, slurm_gpus), found_partitions, reachable = _slurm_checks(site_obj)
    gpu_check = _torch_gpu_check()
    marp_cli = PROJECT_ROOT / "node_modules" / ".bin" / "marp"
    marp = _version_check("marp-cli", str(marp_cli) if marp_cli.exists() else None,
                          f"not installed ({marp_cli} missing): run `npm ci` in {PROJECT_ROOT}")
    chromium = _version_check("Chromium", chrome_path(),  # the Chromium the slide renderer would use
                              "not found (set CHROME_PATH or install chromium): PDF slides are skipped", show_path=True)
    fonts = _font_check()
    # Training runs on this Python only with the host runtime; otherwise inside the image.
    checks = [runtime_check, *([fakeroot] if fakeroot else []), commands, controller, slurm_gpus, gpu_check,
              *_disk_checks(site_obj, container_rt is not None),
              _package_check("training", TRAINING_PACKAGES, required=site_obj.container.runtime == "host"),
              _package_check("lessons", LESSON_PACKAGES), marp, chromium, fonts]

    steps: list[Step] = []
    if container_rt:
        steps.append(Step("container pull", True, f"with {container_rt.describe()}"))
        if fakeroot is not None and not fakeroot.ok:
            steps.append(Step("container build", False, f"would fail — {fakeroot.detail}"))
        else:
            steps.append(Step("container build", True, f"{container_rt.name} build --fakeroot"))
        steps.append(Step("import check", True, f"inside {site_obj.container.sif}"))
    else:
        declared = site_obj.container.runtime
        line = shell_line(build_command(site_obj, "env.def", "env.sif"))
        if declared in ("host", "auto"):
            why = ("skipped — the site uses the host Python (container.runtime = 'host')"
                   if declared == "host" else "skipped — no apptainer/singularity")
            steps.append(Step("container pull", False, why))
            steps.append(Step("container build", False, f"{why}; the .def is still validated; on the cluster: {line}"))
            steps.append(Step("import check", True, "on the host Python (no container)"))
        else:  # the site declares its runtime: the lessons fail without it, never fall back to the host
            why = f"fails — container.runtime = '{declared}' but {declared} is not on PATH"
            steps += [Step("container pull", False, why), Step("container build", False, why),
                      Step("import check", False, why)]
    executor = site_obj.slurm.executor
    if executor == "local":
        steps.append(Step("Slurm jobs", False, "skipped — slurm.executor = 'local': job scripts run with bash"))
    elif reachable:
        default = next((p.name for p in found_partitions if p.default), None)
        part = site_obj.slurm.partition or default or "the default partition"
        steps.append(Step("Slurm jobs", True, f"sbatch to {part}"))
    elif executor == "slurm":
        steps.append(Step("Slurm jobs", False, "fails — slurm.executor = 'slurm' but Slurm is not reachable"))
    else:
        steps.append(Step("Slurm jobs", False, "skipped — no Slurm here: job scripts run with bash in the background"))
    if gpu_check.ok:
        steps.append(Step("GPU training", True, gpu_check.detail))
    elif slurm_gpus.ok and site_obj.slurm.gpus and reachable:
        steps.append(Step("GPU training", False, f"jobs get --gpus {site_obj.slurm.gpus} from Slurm, but torch sees "
                          "no CUDA GPU here: training runs on the CPU"))
    else:
        steps.append(Step("GPU training", False, "skipped — no CUDA GPU: training runs on the CPU"))
    steps.append(Step("slides (HTML)", marp.ok, "marp-cli" if marp.ok else f"skipped — {marp.detail}"))
    steps.append(Step("slides (PDF)", marp.ok and chromium.ok, "marp-cli + Chromium" if marp.ok and chromium.ok
                      else f"skipped — {(chromium if marp.ok else marp).detail}"))
    steps.append(Step("Japanese text in plots", fonts.ok, fonts.detail))
    return Report(site_obj.name, site_obj.description, source, tuple(str(f) for f in site_obj.files),
                  tuple(checks), tuple(steps))
