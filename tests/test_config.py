"""kit.config: the one TOML reader and the one check of a site's keys and types; the one default site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit import sites
from kit.config import merge
from kit.errors import ConfigError
from kit.sites import PROJECT_ROOT, load_site
from litmarp.project import read_toml


def test_read_toml_and_merge_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("a = [\n")
    with pytest.raises(ConfigError, match="bad.toml: invalid TOML"):
        read_toml(bad)
    with pytest.raises(ConfigError, match="no such file"):
        read_toml(tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        read_toml(tmp_path)
    with pytest.raises(ConfigError, match=r"site.toml: unknown key 'slurm.gpu'") as err:
        merge({"slurm": {"gpus": ""}}, {"slurm": {"gpu": "x"}}, "site.toml")
    assert "gpus" in err.value.hint


def test_local_is_the_one_default_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_SITE", raising=False)
    assert load_site().name == "local" == sites.DEFAULT_SITE
    assert sites.site_source(None) == "default"
    monkeypatch.setenv("KIT_SITE", "ci")
    assert load_site().name == "ci" and sites.site_source(None) == "$KIT_SITE"
    assert "default" not in sites.available_sites()
    with pytest.raises(ConfigError, match="the base every site merges over") as err:
        load_site("default")
    assert "ie-ryukyu" in err.value.hint


def test_the_engine_and_the_kit_pick_the_same_site() -> None:
    # [tool.litmarp] tells the engine (make slides) what kit.sites tells `python -m kit`: one default, one variable.
    table = read_toml(PROJECT_ROOT / "pyproject.toml")["tool"]["litmarp"]
    assert (table["default-site"], table["site-env"]) == (sites.DEFAULT_SITE, "KIT_SITE")


def test_site_files_and_values_come_through_the_loader() -> None:
    site = load_site("ci")
    assert site.files == (PROJECT_ROOT / "sites" / "default.toml", PROJECT_ROOT / "sites" / "ci.toml")
    assert site.work_dir == PROJECT_ROOT / "build" / "work" / "ci"
    assert site.container.sif_dir == site.work_dir  # sif_dir = "" (the default): pulled into the work dir
    assert load_site("ci", overrides={"container": {"sif_dir": "~/sif"}}).container.sif_dir == Path(
        os.path.expanduser("~/sif"))
    with pytest.raises(ConfigError, match=r"<overrides>: 'slurm.nodes' must be int"):
        load_site("ci", overrides={"slurm": {"nodes": "2"}})


def test_modules_kit_doctor_imports_stay_python_38() -> None:
    """`python3 -m kit doctor` runs on a login node's bare python3, which may be 3.8: every module of ours it
    imports must be 3.8 Python (the kit itself never runs inside the image; only the program does)."""
    found = subprocess.run([sys.executable, "-c", "import sys, kit.cli, kit.doctor.checks; print('\\n'.join("
                            "m.__file__ for n, m in sys.modules.items() if n.split('.')[0] in ('kit', 'litmarp')))"],
                           capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    files = found.stdout.split()
    assert any(f.endswith("doctor/checks.py") for f in files) and any("litmarp" in f for f in files)
    vermin = Path(sys.executable).parent / "vermin"
    proc = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_cluster_site_uses_its_declared_slurm_and_runtime_or_fails_naming_the_site(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ie-ryukyu says singularity and Slurm: on a machine without them it fails, never falls back to bash."""
    from kit import container
    from kit.errors import ContainerError, SlurmError
    from kit.slurm import executor_for

    site = load_site("ie-ryukyu")
    assert (site.container.runtime, site.slurm.executor) == ("singularity", "slurm")
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch, no singularity
    with pytest.raises(SlurmError, match="site 'ie-ryukyu' declares slurm.executor") as err:
        executor_for(site)
    assert "sites/ie-ryukyu.toml" in str(err.value) and "KIT_SITE=local" in err.value.hint
    with pytest.raises(ContainerError, match="singularity is not on PATH, but site 'ie-ryukyu'"):
        container.detect_runtime(site)
    # The sites that ask for fallbacks get them.
    assert executor_for(load_site("local")).name == "local"
    assert container.detect_runtime(load_site("local")).is_host


def test_an_unknown_site_names_the_sites_and_the_closest_one() -> None:
    with pytest.raises(ConfigError, match=r"no site profile 'ie-ryuku' .*: did you mean ie-ryukyu\?") as err:
        load_site("ie-ryuku")
    assert "ci, ie-ryukyu, local, rehearsal" in err.value.hint
    with pytest.raises(ConfigError) as err:
        load_site("nosuch")
    assert "did you mean" not in err.value.message and "ie-ryukyu" in err.value.hint


def _sites_with(tmp_path: Path, slurm: str) -> Path:
    """A sites folder: the shipped default.toml and a site ``x`` whose [slurm] table is ``slurm``."""
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "default.toml").write_text((PROJECT_ROOT / "sites" / "default.toml").read_text())
    (folder / "x.toml").write_text(f'description = "x"\n[slurm]\n{slurm}\n')
    return folder


@pytest.mark.parametrize(("slurm", "message"), [
    ('gpus = "tesla:0"', "slurm.gpus = 'tesla:0' asks for no GPU: the job would train on the CPU"),
    ('gpus = "0"', "slurm.gpus = '0' asks for no GPU"),
    ('gpus = "tesla:one"', "slurm.gpus = 'tesla:one' is not a GPU request"),
    ('time = "forever"', "slurm.time = 'forever' is not a Slurm time"),
    ('time = "24:00:00:00"', "slurm.time = '24:00:00:00' is not a Slurm time"),
    ('mem = "-4G"', "slurm.mem = '-4G' is not a memory size"),
    ('mem = "0G"', "slurm.mem = '0G' is not a memory size"),
    ('mem = "1.5G"', "slurm.mem = '1.5G' is not a memory size"),
    ('mem = "4000"', "slurm.mem = '4000' has no unit"),
])
def test_slurm_values_are_checked_by_their_slurm_meaning_naming_the_file_and_key(
        tmp_path: Path, slurm: str, message: str) -> None:
    folder = _sites_with(tmp_path, slurm)
    with pytest.raises(ConfigError) as err:
        load_site("x", sites_dir=folder)
    assert err.value.message.startswith(f"{folder / 'x.toml'}: {message}"), err.value.message
    assert err.value.hint


@pytest.mark.parametrize(("text", "message"), [
    ('[slurm]\ncolour = 1', "unknown key 'slurm.colour'"),
    ('colour = 1', "unknown key 'colour'"),
    ('[slurm]\nnodes = "2"', "'slurm.nodes' must be int, got '2'"),
    ('[slurm]\nnodes = true', "'slurm.nodes' must be int, got True"),
    ('[slurm]\ngpus = 1', "'slurm.gpus' must be str, got 1"),
    ('[container]\ngpu = "yes"', "'container.gpu' must be bool, got 'yes'"),
    ('[slurm]\nextra = ["--exclusive", 2]', "'slurm.extra[1]' must be str, got 2"),
    ('slurm = 5', "'slurm' must be a table ([slurm])"),
])
def test_a_site_key_or_type_error_names_the_file_the_key_and_the_type(tmp_path: Path, text: str,
                                                                       message: str) -> None:
    folder = _sites_with(tmp_path, "")
    (folder / "x.toml").write_text(f'description = "x"\n{text}\n')
    with pytest.raises(ConfigError) as err:
        load_site("x", sites_dir=folder)
    assert err.value.message == f"{folder / 'x.toml'}: {message}"


@pytest.mark.parametrize("slurm", ['gpus = ""', 'gpus = "tesla"', 'gpus = "tesla:2"', 'gpus = "4"',
                                   'time = ""', 'time = "30"', 'time = "1-00:00:00"', 'time = "UNLIMITED"',
                                   'mem = ""', 'mem = "8G"', 'mem = "500M"', 'mem = "8GB"', 'mem = "2g"'])
def test_slurm_values_slurm_takes_load(tmp_path: Path, slurm: str) -> None:
    load_site("x", sites_dir=_sites_with(tmp_path, slurm))


def test_a_wrong_slurm_value_names_where_it_was_set(tmp_path: Path) -> None:
    """The base file when a site inherits it, the overrides (a papermill parameter) when they set it."""
    folder = _sites_with(tmp_path, 'time = "00:10:00"')
    (folder / "default.toml").write_text((folder / "default.toml").read_text().replace(
        'mem = ""', 'mem = "lots"'))
    with pytest.raises(ConfigError, match=r"default\.toml: slurm\.mem = 'lots'"):
        load_site("x", sites_dir=folder)
    with pytest.raises(ConfigError, match=r"^<overrides>: slurm\.time = 'soon' is not a Slurm time"):
        load_site("ci", overrides={"slurm": {"time": "soon"}})


def test_lessons_check_the_site_before_any_kernel_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """litmarp slides / make slides: an unknown site or a wrong value fails the build at once, never inside a cell
    (whose hint would say "fix the cell"), and no lesson is executed or cached under it."""
    from litmarp import decks, execute, project

    def no_kernel(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(execute, "run_notebook", no_kernel)
    monkeypatch.setenv("LITMARP_CACHE_DIR", str(tmp_path / "cache"))
    assert project.current().site("ci") == "ci"
    monkeypatch.setenv("KIT_SITE", "ie-ryukyu")
    assert project.current().site(None) == "ie-ryukyu"
    with pytest.raises(ConfigError, match="did you mean ie-ryukyu"):
        decks.build_decks(["00-intro"], site="ie-ryuku", out_dir=tmp_path / "out",
                            cache_path=tmp_path / "cache")
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
