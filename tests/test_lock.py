"""requirements.lock: the exact versions `make setup` installs, and that they cover pyproject's dependencies."""

from __future__ import annotations

import re

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kit.sites import PROJECT_ROOT
from litmarp.project import read_toml

LOCK = PROJECT_ROOT / "requirements.lock"
LEFT_OUT = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")  # installed alone first, or CUDA-only


def locked() -> dict[str, str]:
    """Name -> version of every lock line whose marker holds on this Python."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        req, _, marker = body.partition(";")
        name, _, version = req.strip().partition("==")
        assert version, f"not an exact pin: {line!r}"
        if not marker.strip() or Marker(marker.strip()).evaluate():
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_of_pyproject_is_pinned_within_its_range() -> None:
    project = read_toml(PROJECT_ROOT / "pyproject.toml")["project"]
    pins = locked()
    for text in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if LEFT_OUT.match(name):
            continue
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {req.specifier}: run `make lock`"


def test_torch_and_its_cuda_packages_are_left_out() -> None:
    names = [canonicalize_name(re.split(r"[=;\s]", line, maxsplit=1)[0]) for line in LOCK.read_text().splitlines()
             if line and not line.startswith("#")]
    assert names and not [n for n in names if LEFT_OUT.match(n)]
    torch_pin = (PROJECT_ROOT / "requirements-torch.txt").read_text()
    assert re.search(r"^torch==\d+\.\d+\.\d+$", torch_pin, re.M)


def test_setup_installs_torch_then_the_lock_then_the_kit_without_dependencies() -> None:
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text()
    steps = [setup.index("-r requirements-torch.txt"), setup.index("-r requirements.lock"),
             setup.index("--no-deps -e '.[dev]'")]
    assert steps == sorted(steps)
