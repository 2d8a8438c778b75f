"""The one place that states which versions the workshop's container uses.

The workshop builds on ``huggingface/transformers-pytorch-gpu:4.35.2``. That
image is built from transformers v4.35.2's ``docker/transformers-pytorch-gpu/
Dockerfile``: ``nvidia/cuda:11.8.0-cudnn8-devel-ubuntu20.04`` with the system
``python3`` (Ubuntu 20.04: Python 3.8) and ``torch==2.1.0.*`` from the cu118
wheel index (transformers PR #26735, October 2023, moved the images to torch
2.1.0; PR #23339/#23406 to CUDA 11.8).

The original ``%post`` ran ``pip install transformers`` (and accelerate,
datasets, evaluate) unpinned: each build installs whatever is newest that day.
pip skips releases whose ``Requires-Python`` excludes 3.8, but nothing checks the
result against the image's torch 2.1: a release that asks for a newer torch
makes pip replace the image's CUDA 11.8 build of torch with a PyPI wheel, and two
builds of the same file differ. The pins below are the newest releases whose
metadata accepts Python 3.8 and torch 2.1 (checked with ``pip install --dry-run
--python-version 3.8`` together with torch==2.1.0, see :func:`resolve_command`):

* transformers 4.46.3: 4.47.0 requires Python >= 3.9. It spells the argument
  ``eval_strategy`` (4.41+, formerly ``evaluation_strategy``) and takes
  ``processing_class`` (4.46+); the kit's training code handles both spellings.
* accelerate 1.0.1: 1.1.0 requires Python >= 3.9; transformers' Trainer needs
  accelerate >= 0.26.
* datasets 3.1.0: 3.2.0 requires Python >= 3.9.
* evaluate 0.4.6, sacrebleu 2.5.1 (2.6.0 requires Python >= 3.9), pip 25.0.1
  (25.1 requires Python >= 3.9).

``container/env.def`` is generated from this module (:func:`render_env_def`);
a test asserts the committed file equals the generated one and passes the
validator in :mod:`kit.container`.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from litmarp import proc


@dataclass(frozen=True)
class ImageFacts:
    """What the base image ships (from its Dockerfile; ``check_imports`` reports the real values)."""

    ref: str
    os: str
    python: str  # major.minor
    torch: str
    cuda: str


BASE_IMAGE = ImageFacts(
    ref="docker://huggingface/transformers-pytorch-gpu:4.35.2",
    os="Ubuntu 20.04",
    python="3.8",
    torch="2.1.0",
    cuda="11.8",
)

# Installed by %post, in this order of the original slides (pip first).
PIP_VERSION = "25.0.1"
PINS: dict[str, str] = {
    "accelerate": "1.0.1",
    "transformers": "4.46.3",
    "evaluate": "0.4.6",
    "datasets": "3.1.0",
    "sacrebleu": "2.5.1",
}

# The oldest transformers the kit's training code supports (keep in step with kit.train).
KIT_MIN_TRANSFORMERS = "4.35"

# Disk estimates for the base image (GiB). The SIF is squashfs-compressed; a pull keeps the
# compressed layers in the cache and unpacks the root filesystem in the temporary directory.
# Estimates, used to fail early with a clear message; `--no-space-check` skips them.
IMAGE_SIF_GIB = 8.0
IMAGE_LAYERS_GIB = 9.0
IMAGE_ROOTFS_GIB = 18.0
BUILD_EXTRA_GIB = 2.0  # what %post adds (pip downloads and the new packages)

# Modules check_imports() looks for inside an image, in display order.
CHECK_MODULES = ("torch", "transformers", "datasets", "accelerate", "evaluate", "sacrebleu")


def pinned(name: str) -> str:
    """The pinned requirement for ``name`` (``transformers==4.46.3``), or ``name`` if not pinned here."""
    if name == "pip":
        return f"pip=={PIP_VERSION}"
    version = PINS.get(name.lower())
    return f"{name}=={version}" if version else name


def expected_versions() -> dict[str, str]:
    """Versions a correctly built ``env.sif`` reports (python as major.minor, torch prefix)."""
    return {"python": BASE_IMAGE.python, "torch": BASE_IMAGE.torch, "cuda": BASE_IMAGE.cuda, **PINS}


def resolve_command(pip: Sequence[str] = ("pip",)) -> list[str]:
    """A ``pip install --dry-run`` that checks the pins resolve together for the image's Python and torch
    (needs PyPI; ``python -m kit container pins --check`` after changing a pin)."""
    return [
        *pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-",
        "--target", "/tmp/kit-pin-check", "--python-version", BASE_IMAGE.python,
        "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--only-binary=:all:",
        f"torch=={BASE_IMAGE.torch}", f"pip=={PIP_VERSION}", *(f"{n}=={v}" for n, v in PINS.items()),
    ]


def pins_text() -> str:
    """The base image and every pin, one per line (``python -m kit container pins``)."""
    img = BASE_IMAGE
    lines = [f"base image: {img.ref} ({img.os}, Python {img.python}, torch {img.torch}, CUDA {img.cuda})",
             f"pip=={PIP_VERSION}", *(f"{name}=={version}" for name, version in PINS.items())]
    return "\n".join(lines)


def check_pins() -> str:
    """Resolve the pins with pip (dry run, needs PyPI); return the line saying they resolve."""
    proc.run(resolve_command([sys.executable, "-m", "pip"]),
             hint="a pin does not resolve for the image's Python/torch: fix kit/versions.py")
    return f"OK: the pins resolve together for Python {BASE_IMAGE.python} with torch=={BASE_IMAGE.torch}"


def _image_name(ref: str) -> str:
    return ref.split("://", 1)[-1]


def sif_name(ref: str) -> str:
    """The file name ``singularity pull REF`` gives an image (``transformers-pytorch-gpu_4.35.2.sif``)."""
    body = ref.split("://", 1)[-1].split("@", 1)[0]
    last = body.rstrip("/").rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    return f"{name}_{tag or 'latest'}.sif"


def render_env_def(from_sif: str | Path | None = None, *, docker: bool = False) -> str:
    """The workshop's definition file, every install pinned: ``Bootstrap: localimage`` from ``from_sif``
    (None: the name ``singularity pull`` gives it, the committed form), or with ``docker`` from the registry."""
    img = BASE_IMAGE
    if docker:
        header = f"Bootstrap: docker\nFrom: {_image_name(img.ref)}\n"
        how = ("# Build (downloads the base image, or takes its layers from the cache of an earlier pull):\n"
               "#   singularity build --fakeroot env.sif container/env.def\n")
        generated = "# GENERATED from kit/versions.py by `python -m kit container def --docker`.\n"
    else:
        header = f"Bootstrap: localimage\nFrom: {Path(from_sif) if from_sif is not None else sif_name(img.ref)}\n"
        how = ("# Build from the pulled image. A relative From: path starts in the folder the build runs\n"
               "# in (not in this file's folder): pull and build in the same one, the repository root:\n"
               f"#   singularity pull {img.ref}\n"
               "#   singularity build --fakeroot env.sif container/env.def\n"
               "# Never pulled: `python -m kit container def --docker` writes a Bootstrap: docker version.\n"
               if from_sif is None or not Path(from_sif).is_absolute() else
               "# Build from the pulled image named below:\n"
               "#   singularity build --fakeroot env.sif container/env.def\n")
        generated = ("# GENERATED from kit/versions.py: edit that file, then run\n"
                     "#   python -m kit container def --out container/env.def --force\n"
                     "# (a test fails when this file and kit/versions.py differ).\n" if from_sif is None else
                     "# GENERATED from kit/versions.py by `python -m kit container def --localimage PATH`.\n")
    pins = [shlex.quote(pinned(name)) for name in PINS]
    install = " \\\n        ".join(pins)
    want = ", ".join(f'"{n}": "{v}"' for n, v in PINS.items())
    check_pins = (
        f"python3 -c 'import importlib.metadata as m; want = {{{want}}}; "
        "bad = {k: m.version(k) for k, v in want.items() if m.version(k) != v}; assert not bad, bad'"
    )
    labels = "\n".join(f"    kit.pin.{n} {v}" for n, v in PINS.items())
    return f"""\
# The workshop's container: the base image plus pinned Hugging Face libraries.
{generated}# Base image: {img.os}, Python {img.python}, torch {img.torch}, CUDA {img.cuda}.
{how}{header}
%labels
    kit.base-image {img.ref}
    kit.python {img.python}
    kit.torch {img.torch}
{labels}

%help
    Fine-tuning BART on the department server: {_image_name(img.ref)}
    with pinned transformers, datasets, accelerate, evaluate and sacrebleu.
    Run a script:  singularity exec --nv env.sif python3 train.py

%environment
    # Jobs start in the work directory; keep Hugging Face downloads there rather than
    # in the small home quota. A value set before the job starts wins.
    export HF_HOME="${{HF_HOME:-${{KIT_WORK_DIR:-$PWD}}/.cache/huggingface}}"
    # The home directory is bound into the container: without this, packages in
    # ~/.local (installed for the host's Python) shadow the image's pinned ones.
    export PYTHONNOUSERSITE=1
    # Log lines reach the Slurm log as they are printed, in UTF-8 (Japanese text).
    export PYTHONUNBUFFERED=1
    export LC_ALL=C.UTF-8
    export LANG=C.UTF-8
    # The tokenizers' thread pool and the Trainer's data loader workers do not mix.
    export TOKENIZERS_PARALLELISM=false
    export MPLBACKEND=Agg

%post
    # Pins: kit/versions.py. Newer releases need Python >= 3.9 or a newer torch than the
    # image's {img.torch}; an unpinned install would break the build or replace torch.
    python3 -m pip install --no-cache-dir --upgrade {shlex.quote(pinned("pip"))}
    python3 -m pip install --no-cache-dir \\
        {install}

%test
    python3 -c 'import torch; assert torch.__version__.startswith("{img.torch}"), torch.__version__'
    {check_pins}

%runscript
    exec python3 "$@"
"""
