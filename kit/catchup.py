"""``python -m kit catchup NN``: bring a participant's work folder to the start of lesson NN.

Each lesson declares in its front matter what it leaves (``jupyter: kit: leaves: [bart_finetuning.py]``);
catch-up places it from a known-good source and says what it placed. An edited copy is kept, as always
(:mod:`litmarp.workfiles`); a finished run is the tiny model's on the sample data (profile ``smoke``, or
the site's own tiny one), trained once and copied after.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from kit import container
from kit.errors import ConfigError, LessonError
from kit.job import install_program, write_train_script
from kit.profiles import program_args, tiny_profile
from kit.runs import finished_runs, new_run_dir
from kit.sites import PROJECT_ROOT, Site, load_site
from kit.train import program_path, run_program
from litmarp.source import find_lessons

STORE = PROJECT_ROOT / "build" / "catchup"  # the known-good runs, one per program and arguments


def _image(cfg: Site, image: Path | None) -> str:
    if container.program(cfg) is None:
        ignored = f"; --image {image} not used" if image is not None else ""
        return f"image: none needed (site {cfg.name} runs on the host Python{ignored})"
    target = cfg.work_dir / cfg.container.sif
    if target.exists():
        return f"image: kept your {cfg.container.sif}"
    if target.is_symlink():  # a link to a shared image that is gone
        target.unlink()
    if image is not None:
        if not image.is_file():
            raise ConfigError(f"--image {image} does not exist", hint="name the env.sif your presenter shared")
        target.symlink_to(image.resolve())
        return f"image: {cfg.container.sif} → {image} (linked, not copied)"
    container.install_def(cfg)
    container.pull(site=cfg)  # skipped when the base image is there; else gigabytes, the first time
    container.build(site=cfg)
    return f"image: built {cfg.container.sif} from env.def (as lesson 01 does)"


def _program(cfg: Site, image: Path | None) -> str:
    return f"program: {install_program(cfg)}"


def _script(cfg: Site, image: Path | None) -> str:
    return f"job script: {write_train_script(cfg)} (and logs/)"


def _finished_run(cfg: Site, image: Path | None) -> str:
    done = finished_runs(cfg.work_dir)
    if done:
        return f"finished run: kept {done[-1].relative_to(cfg.work_dir)}"
    out = new_run_dir(cfg, "catchup").absolute()
    profile = tiny_profile(cfg)
    args = [*program_args(profile, cfg.work_dir, relative_to=cfg.work_dir),
            "--output_dir", os.path.relpath(out, cfg.work_dir), "--disable_tqdm", "true"]
    # Trained once for this program and these arguments, then copied: the known-good run.
    stored = STORE / hashlib.sha256("\0".join([program_path().read_text(encoding="utf-8"), *args[:-4]])
                                    .encode()).hexdigest()[:16]
    what = f"the tiny model on the sample data, profile {profile}"
    if (stored / "metrics.json").is_file():
        shutil.copytree(stored, out, dirs_exist_ok=True)
        return f"finished run: {out.relative_to(cfg.work_dir)} ({what}; a copy of the one trained before)"
    run_program(args, cwd=cfg.work_dir)
    shutil.copytree(out, stored, dirs_exist_ok=True)
    return f"finished run: {out.relative_to(cfg.work_dir)} ({what})"


# What a lesson can leave, and how catch-up places it (each returns one line saying what it did).
PLACERS: dict[str, Callable[[Site, Path | None], str]] = {
    "env.sif": _image, "bart_finetuning.py": _program, "train.sbatch": _script, "logs/": _script,
    "runs/": _finished_run,
}


def leaves(lesson_source: Path) -> list[str]:
    """What a lesson declares it leaves (its front matter's ``kit: leaves:``)."""
    import jupytext  # a second to import: only when catching up

    declared = jupytext.read(lesson_source).metadata.get("kit", {}).get("leaves", [])
    unknown = [item for item in declared if item not in PLACERS]
    if unknown:
        raise ConfigError(f"{lesson_source.name}: kit: leaves: names {', '.join(unknown)}, which catch-up cannot "
                          "place", hint=f"use {', '.join(PLACERS)}")
    return list(declared)


def catch_up(number: str, site: str | Site | None = None, *, image: Path | None = None,
             say: Callable[[str], None] = print) -> list[str]:
    """Place what the lessons before ``number`` (``03`` or ``03-slurm``) leave; return the lines said.

    Raises:
        LessonError: no lesson has that number.
    """
    cfg = load_site(site) if not isinstance(site, Site) else site
    lessons = find_lessons()
    prefix = number.split("-")[0].zfill(2)
    if not any(lesson.name.startswith(prefix) for lesson in lessons):
        raise LessonError(f"no lesson {number}", hint=f"the lessons: {', '.join(x.name for x in lessons)}")
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    said: list[str] = []
    done: set[Callable[..., str]] = set()
    for lesson in lessons:
        if lesson.name.split("-")[0] >= prefix:
            break
        for item in leaves(lesson.source):
            placer = PLACERS[item]
            if placer in done:
                continue
            done.add(placer)
            line = f"{lesson.name}: {placer(cfg, image)}"
            say(line)
            said.append(line)
    say(f"the work folder {cfg.work_dir} is ready for lesson {prefix}" if said else
        f"nothing to place: lesson {prefix} starts from an empty work folder")
    return said
