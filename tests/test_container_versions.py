"""container/env.def is generated from kit/versions.py, and valid."""

from __future__ import annotations

import re
from pathlib import Path

from kit import versions
from kit.container import DefFile, find_pip_installs, validate
from kit.sites import PROJECT_ROOT, load_site

ENV_DEF = PROJECT_ROOT / "container" / "env.def"


def test_committed_env_def_is_the_generated_one() -> None:
    assert ENV_DEF.read_text(encoding="utf-8") == versions.render_env_def(), (
        "container/env.def differs from kit/versions.py: run "
        "`python -m kit container def --out container/env.def --force`")


def test_committed_env_def_builds_from_the_pulled_image_in_the_work_dir(tmp_path: Path) -> None:
    site = load_site("ie-ryukyu", overrides={"work_dir": str(tmp_path)})
    d = DefFile.read(ENV_DEF)
    # The README's `singularity pull docker://...` in the clone writes this file there; the build runs there too.
    assert d.header == {"bootstrap": "localimage", "from": versions.sif_name(versions.BASE_IMAGE.ref)}
    missing = validate(ENV_DEF, site=site)
    assert [i.line for i in missing.errors] == [d.get("From").line] and "pull the base image first" in (
        missing.errors[0].hint)
    (tmp_path / "transformers-pytorch-gpu_4.35.2.sif").write_text("x")
    report = validate(ENV_DEF, site=site)
    assert report.issues == (), report.to_text()


def test_every_pin_is_installed_and_tested() -> None:
    d = DefFile.read(ENV_DEF)
    installed = [r for inst in find_pip_installs(d.section("post")) for r in inst.requirements]
    assert installed == [f"pip=={versions.PIP_VERSION}", *(f"{n}=={v}" for n, v in versions.PINS.items())]
    test_body = d.section("test").body
    for name, version in versions.PINS.items():
        assert f'"{name}": "{version}"' in test_body
    assert f'startswith("{versions.BASE_IMAGE.torch}")' in test_body
    labels = dict(line.split(None, 1) for line in d.section("labels").body.split("\n") if line.strip())
    assert labels["kit.pin.transformers"] == versions.PINS["transformers"]


def test_environment_keeps_the_hf_cache_in_the_work_dir() -> None:
    env = DefFile.read(ENV_DEF).section("environment").body
    assert 'export HF_HOME="${HF_HOME:-${KIT_WORK_DIR:-$PWD}/.cache/huggingface}"' in env
    assert "export PYTHONNOUSERSITE=1" in env


def test_localimage_variant_differs_only_in_the_header(tmp_path: Path) -> None:
    base = tmp_path / "transformers-pytorch-gpu_4.35.2.sif"
    base.write_text("x")
    local = DefFile.parse(versions.render_env_def(base))
    docker = DefFile.parse(versions.render_env_def(docker=True))
    committed = DefFile.read(ENV_DEF)
    assert local.header == {"bootstrap": "localimage", "from": str(base)}
    assert docker.header == {"bootstrap": "docker", "from": "huggingface/transformers-pytorch-gpu:4.35.2"}
    assert [s.body for s in local.sections] == [s.body for s in docker.sections] == [
        s.body for s in committed.sections]
    assert validate(local, site=load_site("ie-ryukyu")).issues == ()
    assert validate(docker, site=load_site("ie-ryukyu")).issues == ()


def test_pins_are_exact_versions_for_the_image() -> None:
    assert versions.BASE_IMAGE.ref.endswith(":4.35.2")
    for version in [versions.PIP_VERSION, *versions.PINS.values()]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert versions.pinned("transformers") == f"transformers=={versions.PINS['transformers']}"
    assert versions.pinned("numpy") == "numpy"
    # The kit's training code supports transformers >= KIT_MIN_TRANSFORMERS: the pin must be at least that.
    pin = tuple(int(x) for x in versions.PINS["transformers"].split(".")[:2])
    assert pin >= tuple(int(x) for x in versions.KIT_MIN_TRANSFORMERS.split("."))


def test_resolve_command_checks_the_pins_against_the_images_python_and_torch() -> None:
    cmd = versions.resolve_command(["python3", "-m", "pip"])
    assert cmd[:5] == ["python3", "-m", "pip", "install", "--dry-run"]
    assert cmd[cmd.index("--python-version") + 1] == "3.8"
    assert "torch==2.1.0" in cmd and f"transformers=={versions.PINS['transformers']}" in cmd
