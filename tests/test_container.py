"""kit.container against the fake apptainer/singularity in tests/fakes (and the host runtime)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import pytest

from kit import container, versions
from kit.container import (
    SpaceNeed,
    build_command,
    check_free_space,
    exec_command,
    explain_failure,
    parse_version_output,
    pull_command,
)
from kit.errors import CommandError, ConfigError, ContainerError, DefFileError, DiskSpaceError
from kit.sites import load_site
from kit.textutil import GIB, shell_line

GOLDEN = Path(__file__).parent / "golden"
IMAGE = "docker://huggingface/transformers-pytorch-gpu:4.35.2"
PULLED = "transformers-pytorch-gpu_4.35.2.sif"


# --- pure functions ------------------------------------------------------------------------


def test_exec_command_for_the_department_server() -> None:
    site = load_site("ie-ryukyu")
    assert exec_command(site, "env.sif", ["python3", "bart_finetuning.py"]) == [
        "singularity", "exec", "--nv", "env.sif", "python3", "bart_finetuning.py"]
    assert exec_command(site, "env.sif", ["nvidia-smi"], gpu=False, binds=["/data:/data"]) == [
        "singularity", "exec", "--bind", "/data:/data", "env.sif", "nvidia-smi"]
    assert exec_command(site, Path("/x/env.sif"), ["python3"], runtime="apptainer")[:4] == [
        "apptainer", "exec", "--nv", "/x/env.sif"]


def test_exec_command_on_the_host_runtime_uses_this_python() -> None:
    site = load_site("ci")
    assert exec_command(site, "env.sif", ["python3", "-m", "kit", "train"]) == [sys.executable, "-m", "kit", "train"]
    assert exec_command(site, "env.sif", ["python", "x.py"]) == [sys.executable, "x.py"]
    assert exec_command(site, "env.sif", ["bash", "run.sh"]) == ["bash", "run.sh"]


def test_pull_and_build_commands_are_the_sites_lines() -> None:
    site = load_site("ie-ryukyu")
    # The pulled image goes into the work directory, where pull and build run (env.def's relative From:):
    # the lines name files there as the participant types them there.
    assert pull_command(site) == ["singularity", "pull", PULLED, IMAGE]
    # The project's env.def lies outside the work directory: the build uses the participant's copy there.
    assert build_command(site) == ["singularity", "build", "--fakeroot", "env.sif", "env.def"]
    own = load_site("ie-ryukyu", overrides={"container": {"def_file": "~/workshop2024/env.def",
                                                          "sif_dir": "/scratch/images"}})
    assert build_command(own) == ["singularity", "build", "--fakeroot", "env.sif", "env.def"]
    assert pull_command(own) == ["singularity", "pull", f"/scratch/images/{PULLED}", IMAGE]
    assert pull_command(site, "docker://ubuntu:22.04", "u.sif", force=True) == [
        "singularity", "pull", "--force", "u.sif", "docker://ubuntu:22.04"]
    assert build_command(site, "env.def", "env.sif") == ["singularity", "build", "--fakeroot", "env.sif", "env.def"]
    assert build_command(site, "env.def", "env.sif", fakeroot=False, force=True, runtime="apptainer") == [
        "apptainer", "build", "--force", "env.sif", "env.def"]
    # The host runtime has no pull: the line shown is the cluster's.
    assert pull_command(load_site("ci"), dest="x.sif")[:2] == ["singularity", "pull"]
    assert shell_line(pull_command(site)) == f"singularity pull {PULLED} {IMAGE}"


def test_shell_line_quotes_and_shortens_home() -> None:
    assert shell_line(["a", "b c", "/h/u/sif/x.sif", "/h/u/my dir/x"], home="/h/u") == (
        "a 'b c' ~/sif/x.sif '/h/u/my dir/x'")


@pytest.mark.parametrize("ref, name", [
    (IMAGE, PULLED),
    ("docker://ubuntu", "ubuntu_latest.sif"),
    ("library://alpine:3.19", "alpine_3.19.sif"),
    ("docker://nvcr.io/nvidia/pytorch:24.01-py3@sha256:abc", "pytorch_24.01-py3.sif"),
])
def test_sif_name(ref: str, name: str) -> None:
    assert versions.sif_name(ref) == name


@pytest.mark.parametrize("text, expected", [
    ("apptainer version 1.3.4\n", ("apptainer", "1.3.4")),
    ("singularity-ce version 4.1.5-jammy\n", ("singularity-ce", "4.1.5-jammy")),
    ("singularity version 3.8.7-1.el8\n", ("singularity", "3.8.7-1.el8")),
    ("3.11.4\n", (None, "3.11.4")),
    ("garbage", (None, None)),
])
def test_parse_version_output(text: str, expected: tuple) -> None:
    assert parse_version_output(text) == expected


def test_explain_failure_recognises_fakeroot_problems() -> None:
    subuid = explain_failure("FATAL:   could not use fakeroot: no mapping entry found in /etc/subuid for alice",
                             prog="apptainer")
    assert subuid.kind == "subuid" and "/etc/subuid" in subuid.message
    assert f"sudo apptainer config fakeroot --add {getpass.getuser()}" in subuid.hint
    userns = explain_failure("ERROR  : Failed to create user namespace: user namespace disabled")
    assert userns.kind == "userns" and "user namespaces" in userns.message
    assert explain_failure("write /tmp/x: no space left on device", prog="singularity").hint.startswith(
        "point the temporary directory at a larger disk (export SINGULARITY_TMPDIR=")
    assert explain_failure("FATAL: unexpected EOF") is None


def test_fakeroot_problems_before_a_build_say_what_a_failed_build_would() -> None:
    after = explain_failure("FATAL:   could not use fakeroot: no mapping entry found in /etc/subuid for bob",
                            prog="apptainer")
    before = container.fakeroot_problems(user="bob", uid=1000, subuid_text="alice:100000:65536\n",
                                         max_user_namespaces=15000, prog="apptainer")
    assert [d.kind for d in before] == ["subuid"]
    assert (before[0].message, before[0].hint.replace("--add bob", "--add U")) == (
        after.message, after.hint.replace(f"--add {getpass.getuser()}", "--add U"))  # one diagnosis, two ways in
    assert container.fakeroot_problems(user="bob", uid=1000, subuid_text="1000:100000:65536\n",
                                       max_user_namespaces=15000) == []  # an entry by uid counts
    blocked = container.fakeroot_problems(user="bob", uid=1000, subuid_text=None, max_user_namespaces=0)
    assert [d.kind for d in blocked] == ["userns", "subuid"]
    assert container.fakeroot_problems(user="root", uid=0, subuid_text=None, max_user_namespaces=0) == []


# --- runtime detection ---------------------------------------------------------------------


def test_no_runtime_means_host(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()
    rt = container.detect_runtime(fakes.site())
    assert rt.is_host and rt.reason == "no apptainer or singularity on PATH"
    assert "host Python" in rt.describe()


def test_forced_runtime_missing_is_an_error(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    with pytest.raises(ContainerError,
                       match="apptainer is not on PATH, but site '.*' sets container.runtime = 'apptainer'"):
        container.detect_runtime(fakes.site(runtime="apptainer"))


def test_auto_prefers_the_sites_command(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("apptainer", "singularity")
    rt = container.detect_runtime(fakes.site())
    assert (rt.name, rt.flavor, rt.version) == ("singularity", "singularity-ce", "4.1.5-jammy")
    rt = container.detect_runtime(fakes.site(command="apptainer"))
    assert (rt.name, rt.version) == ("apptainer", "1.3.4")
    assert fakes.calls()[-1] == ["apptainer", "--version"]


def test_auto_falls_back_to_the_other_runtime(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("apptainer")
    assert container.detect_runtime(fakes.site()).name == "apptainer"


# --- pull --------------------------------------------------------------------------------


def test_pull_runs_then_skips_then_forces(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    site = fakes.site()
    out = tmp_path / "sif" / PULLED
    first = container.pull(site=site, check_space=False)
    assert not first.skipped and first.output == out and out.read_text() == f"FAKE-SIF pull {IMAGE}\n"
    assert fakes.calls()[-1] == ["singularity", "pull", str(out), IMAGE]

    n = len(fakes.calls())
    again = container.pull(site=site, check_space=False)
    assert again.skipped and "already exists" in again.message and "force=True" in again.message
    assert [c for c in fakes.calls()[n:] if c[1] != "--version"] == []  # nothing pulled
    assert out.read_text() == f"FAKE-SIF pull {IMAGE}\n"

    forced = container.pull(site=site, force=True, check_space=False)
    assert not forced.skipped and fakes.calls()[-1] == ["singularity", "pull", "--force", str(out), IMAGE]


def test_pull_into_another_dir_with_a_name(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("apptainer")
    result = container.pull("docker://ubuntu:22.04", tmp_path / "imgs", name="u.sif",
                            site=fakes.site(runtime="apptainer"), check_space=False)
    assert result.output == tmp_path / "imgs" / "u.sif" and result.output.exists()
    assert fakes.calls()[-1] == ["apptainer", "pull", str(tmp_path / "imgs" / "u.sif"), "docker://ubuntu:22.04"]


def test_pull_on_the_host_runtime_is_skipped_plainly(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()
    result = container.pull(site=fakes.site())
    assert result.skipped and not result.output.exists()
    assert result.message.startswith("container pull: skipped — no apptainer/singularity here")
    assert f"singularity pull {tmp_path / 'sif' / PULLED} {IMAGE}" in result.message


def test_pull_bad_reference(fakes, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="names no source"):
        container.pull("huggingface/transformers-pytorch-gpu:4.35.2", site=fakes.site())


def test_pull_checks_space_before_running(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("apptainer")
    monkeypatch.setenv("APPTAINER_TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(versions, "IMAGE_SIF_GIB", 10.0**7)  # more than any disk
    with pytest.raises(DiskSpaceError) as err:
        container.pull(site=fakes.site(runtime="apptainer"))
    assert "not enough disk space to pull" in str(err.value)
    assert "export APPTAINER_TMPDIR=" in str(err.value) and "--no-space-check" in str(err.value)
    assert [c[1] for c in fakes.calls()] == ["--version"]


def test_free_space_needs_on_one_filesystem_add_up(tmp_path: Path) -> None:
    free_gib = container.free_bytes(tmp_path) / GIB
    one = SpaceNeed(tmp_path / "a", free_gib * 0.6, "the pulled image")
    check_free_space([one], action="pull")
    with pytest.raises(DiskSpaceError, match="about .* needed") as err:
        check_free_space([one, SpaceNeed(tmp_path / "b", free_gib * 0.6, "the temporary root filesystem")],
                         action="pull", runtime="singularity")
    assert "export SINGULARITY_TMPDIR=" in err.value.hint


def test_temp_and_cache_dirs_honour_the_environment(tmp_path: Path) -> None:
    env = {"APPTAINER_TMPDIR": "/a", "SINGULARITY_TMPDIR": "/s", "TMPDIR": "/t"}
    assert container.temp_dir("apptainer", env) == Path("/a")
    assert container.temp_dir("singularity", env) == Path("/s")
    assert container.temp_dir("singularity", {"TMPDIR": "/t"}) == Path("/t")
    assert container.temp_dir("apptainer", {}) == Path("/tmp")
    assert container.cache_dir("singularity", {}, home="/h") == Path("/h/.singularity/cache")
    assert container.cache_dir("apptainer", {"APPTAINER_CACHEDIR": "/c"}, home="/h") == Path("/c")


# --- build -------------------------------------------------------------------------------


def _localimage_def(tmp_path: Path) -> Path:
    base = tmp_path / "sif" / PULLED
    base.parent.mkdir(parents=True, exist_ok=True)
    base.write_text("FAKE-SIF pull\n")
    path = tmp_path / "defs" / "env.def"
    path.parent.mkdir()
    path.write_text(versions.render_env_def(base))
    return path


def test_build_runs_validates_skips_and_forces(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    site = fakes.site()
    def_file = _localimage_def(tmp_path)
    sif = tmp_path / "work" / "env.sif"
    result = container.build(def_file, site=site, check_space=False)
    assert not result.skipped and result.output == sif and result.warnings == ()
    # Run in the work directory (where singularity reads a relative From: from), naming the image there.
    assert fakes.calls()[-1] == ["singularity", "build", "--fakeroot", "env.sif", str(def_file)]
    assert fakes.call_dirs()[-1] == str(tmp_path / "work")
    assert result.message.startswith("container build: built env.sif (")
    assert sif.read_text().startswith("FAKE-SIF build\n")

    again = container.build(def_file, site=site, check_space=False)
    assert again.skipped and "already exists" in again.message and "force=True" in again.message

    forced = container.build(def_file, site=site, force=True, fakeroot=False, check_space=False)
    assert not forced.skipped and fakes.calls()[-1] == ["singularity", "build", "--force", "env.sif", str(def_file)]


def test_pull_then_build_in_the_work_dir_as_in_lesson_01(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The default model: the image is pulled into the work directory, and the committed env.def
    (Bootstrap: localimage, a relative From:) is built there; the runtime's lines show as they come."""
    fakes.use("singularity")
    site = fakes.site(sif_dir="")  # "" = the work directory, as in sites/default.toml
    work = tmp_path / "work"
    assert site.container.sif_dir == work
    pulled = container.pull(site=site, check_space=False)
    assert pulled.output == work / PULLED and fakes.calls()[-1] == ["singularity", "pull", PULLED, IMAGE]
    assert fakes.call_dirs()[-1] == str(work) and f" to {PULLED} (" in pulled.message
    shown = capsys.readouterr().out
    assert "INFO:    Converting OCI blobs to SIF format\n" in shown and "INFO:    Creating SIF file...\n" in shown
    assert "Converting OCI blobs" in pulled.stdout
    built = container.build(site=site, check_space=False)
    assert not built.skipped and built.warnings == () and (work / "env.sif").read_text().startswith("FAKE-SIF build\n")
    assert fakes.call_dirs()[-1] == str(work)
    shown = capsys.readouterr().out
    assert "INFO:    Extracting local image...\n" in shown and "INFO:    Build complete: env.sif\n" in shown


def test_build_without_the_pulled_image_stops_before_running(fakes, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    fakes.use("singularity")
    with pytest.raises(DefFileError) as err:
        container.build(site=fakes.site(sif_dir=""), check_space=False)
    assert f"From: {PULLED} does not exist in {tmp_path / 'work'}" in str(err.value)
    assert err.value.hint.startswith(f"pull the base image first (cd {tmp_path / 'work'} && singularity pull {PULLED} ")
    assert [c for c in fakes.calls() if c[1] != "--version"] == []


def test_build_refuses_an_invalid_file_before_running(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    def_file = tmp_path / "env.def"
    def_file.write_text((GOLDEN / "workshop-original.def").read_text())
    with pytest.raises(DefFileError, match=r"1 error\(s\), 5 warning\(s\)") as err:
        container.build(def_file, site=fakes.site(), check_space=False)
    assert f"{def_file}:2: error: From: /PATH/TO/" in str(err.value)
    assert [c for c in fakes.calls() if c[1] != "--version"] == []  # nothing built


@pytest.mark.parametrize("failure, error, words", [
    ("subuid", ContainerError, "needs an entry for your user in /etc/subuid"),
    ("userns", ContainerError, "unprivileged user namespaces"),
    ("nospace", DiskSpaceError, "filled up"),
    ("generic", ContainerError, "exited with 255"),
])
def test_build_failures_are_explained(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, failure: str,
                                      error: type, words: str) -> None:
    fakes.use("apptainer")
    monkeypatch.setenv("FAKE_CONTAINER_FAIL", failure)
    with pytest.raises(error) as err:
        container.build(_localimage_def(tmp_path), site=fakes.site(runtime="apptainer"), check_space=False)
    assert words in str(err.value)
    assert "FATAL:" in str(err.value)  # the runtime's own words come along
    assert not (tmp_path / "work" / "env.sif").exists()


def test_the_definition_file_is_the_participants_copy_in_the_work_directory(tmp_path: Path) -> None:
    project_def = tmp_path / "project" / "env.def"
    project_def.parent.mkdir()
    project_def.write_text("Bootstrap: localimage\nFrom: base.sif\n")
    site = load_site("ci", overrides={"work_dir": str(tmp_path / "work"), "container": {"def_file": str(project_def)}})
    assert container.work_def_file(site) == tmp_path / "work" / "env.def"
    copy = container.install_def(site)
    assert str(copy) == "wrote env.def" and copy.path.read_text() == project_def.read_text()
    project_def.write_text("Bootstrap: localimage\nFrom: base2.sif\n")  # the project's changed; the copy was not edited
    assert container.install_def(site).updated and "base2.sif" in copy.path.read_text()
    copy.path.write_text(copy.path.read_text() + "%post\n    pip install sacrebleu==2.5.1\n")  # now the participant's
    kept = container.install_def(site)
    assert kept.kept and "sacrebleu" in copy.path.read_text() and "+%post" in kept.diff
    # The build names the participant's own file; validate checks it by default.
    built = container.build(site=site)
    assert "env.def (your own env.def: it differs from" in built.message, built.message
    assert [str(r.path) for r in container.validate_files([], site=site).reports] == [str(copy.path)]
    # A def_file inside the work directory (the clone, on the department server) is used where it is.
    inside = load_site("ci", overrides={"work_dir": str(tmp_path / "project"),
                                        "container": {"def_file": str(project_def)}})
    assert container.work_def_file(inside) == project_def and container.install_def(inside).path == project_def
    # The site's file gone: the copy in the work folder is still the participant's to build.
    gone = load_site("ci", overrides={"work_dir": str(tmp_path / "work"),
                                      "container": {"def_file": str(tmp_path / "nope.def")}})
    assert container.install_def(gone).path == copy.path and "sacrebleu" in copy.path.read_text()
    missing = load_site("ci", overrides={"work_dir": str(tmp_path / "fresh"),
                                         "container": {"def_file": str(tmp_path / "nope.def")}})
    with pytest.raises(ConfigError, match="nope.def does not exist: it is the site's container.def_file"):
        container.install_def(missing)


def test_build_on_the_host_runtime_validates_and_skips(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()
    site = fakes.site()
    result = container.build(site=site)  # the committed container/env.def
    assert result.skipped and not result.output.exists()
    assert result.message.startswith("container build: skipped (no apptainer/singularity here)")
    assert "env.def is valid (0 warning(s)); on the cluster: singularity build --fakeroot env.sif env.def" in (
        result.message)
    bad = tmp_path / "bad.def"
    bad.write_text("Bootstrap: localimage\nFrom: /PATH/TO/x.sif\n")
    with pytest.raises(DefFileError):
        container.build(bad, site=site)


# --- exec, check_imports --------------------------------------------------------------------


def test_exec_in_the_container(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    monkeypatch.setenv("FAKE_CONTAINER_PYTHON", sys.executable)
    site = fakes.site()
    sif = tmp_path / "env.sif"
    with pytest.raises(ContainerError, match="no image at"):
        container.exec(sif, ["python3", "-c", "print(1)"], site=site)
    sif.write_text("FAKE-SIF build\n")
    cp = container.exec(sif, ["python3", "-c", "print('inside')"], site=site)
    assert cp.stdout == "inside\n"
    assert fakes.calls()[-1] == ["singularity", "exec", "--nv", str(sif), "python3", "-c", "print('inside')"]
    with pytest.raises(CommandError):
        container.exec(sif, ["python3", "-c", "raise SystemExit(3)"], site=site, gpu=False)
    assert "--nv" not in fakes.calls()[-1]


def test_exec_on_the_host_runtime(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()
    cp = container.exec(None, ["python3", "-c", "import sys; print(sys.executable)"], site=fakes.site())
    assert cp.stdout.strip() == sys.executable


def test_check_imports_on_the_host(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()
    report = container.check_imports(modules=("json", "kit_no_such_module"), site=fakes.site())
    assert report.python == ".".join(map(str, sys.version_info[:3]))
    assert report.where.startswith("host Python")
    json_row, missing = report.modules
    assert json_row.version and json_row.ok
    assert missing.version is None and "ModuleNotFoundError" in missing.error
    assert not report.ok
    assert any(line.split()[:2] == ["kit_no_such_module", "missing"] for line in report.to_text().splitlines())


def test_check_imports_in_the_container_compares_with_the_pins(fakes, monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    fakes.use("apptainer")
    monkeypatch.setenv("FAKE_CONTAINER_PYTHON", sys.executable)
    sif = tmp_path / "work" / "env.sif"
    sif.parent.mkdir()
    sif.write_text("FAKE-SIF build\n")
    report = container.check_imports(modules=("json",), site=fakes.site(runtime="apptainer"))
    assert fakes.calls()[-1][:6] == ["apptainer", "exec", "--nv", str(sif), "python3", "-c"]
    assert fakes.calls()[-1][-1] == "json"
    assert report.expected_python == versions.BASE_IMAGE.python
    assert not report.ok  # this Python is not the image's 3.8
    assert report.rows()[0] == ("python", report.python, "3.8", "✗ differs")
    assert "apptainer 1.3.4" in report.where and report.to_text().splitlines()[1].startswith("module")


def test_check_imports_without_result_line_is_explained() -> None:
    with pytest.raises(ContainerError, match="printed no result"):
        container.parse_import_output("Traceback ...\nSyntaxError", where="env.sif")


# --- the workshop's definition file --------------------------------------------------------


def test_render_def_from_the_pulled_image(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("singularity")
    site = fakes.site()
    with pytest.raises(ContainerError, match="not pulled yet") as err:
        container.render_def(site, localimage=True)
    assert "singularity pull" in err.value.hint
    container.pull(site=site, check_space=False)
    text = container.render_def(site, localimage=True)
    assert f"Bootstrap: localimage\nFrom: {tmp_path / 'sif' / PULLED}\n" in text
    path = container.write_def(tmp_path / "env.def", text)
    assert container.validate(path, site=site).issues == ()


def test_render_def_variants(capsys: pytest.CaptureFixture[str]) -> None:
    from kit.cli import main

    committed = container.render_def()
    assert f"Bootstrap: localimage\nFrom: {PULLED}\n" in committed
    docker = container.render_def(docker=True)
    assert "Bootstrap: docker\nFrom: huggingface/transformers-pytorch-gpu:4.35.2\n" in docker
    assert main(["container", "def", "--docker", "--site", "ci"]) == 0
    assert capsys.readouterr().out == docker
    assert main(["container", "def", "--site", "ci"]) == 0
    assert capsys.readouterr().out == committed


def test_write_def_never_overwrites_silently(tmp_path: Path) -> None:
    path = tmp_path / "env.def"
    path.write_text("# my own edits\n")
    with pytest.raises(ContainerError, match="exists and differs") as err:
        container.write_def(path, versions.render_env_def())
    assert "--force" in err.value.hint and path.read_text() == "# my own edits\n"
    container.write_def(path, versions.render_env_def(), force=True)
    container.write_def(path, versions.render_env_def())  # same text: nothing to refuse
    assert path.read_text() == versions.render_env_def()
