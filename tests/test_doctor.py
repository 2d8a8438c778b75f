"""kit doctor: parsers on captured sinfo output, and run on this machine (real Slurm, fake runtimes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import doctor
from kit.cli import main
from kit.container.diagnose import parse_subid
from kit.doctor.report import Check, Report, Step
from kit.slurm.gpus import Partition, gpu_request_matches, parse_sinfo_gres

DATA = Path(__file__).parent / "data" / "doctor"


def test_parse_sinfo_of_the_one_node_cluster() -> None:
    # Captured with `sinfo -o '%P %G'` on the CI cluster (make slurm-up).
    assert parse_sinfo_gres((DATA / "sinfo-P-G.txt").read_text()) == [Partition("debug", True, ("gpu:tesla:1",))]


def test_parse_sinfo_with_several_partitions_and_socket_annotations() -> None:
    parts = parse_sinfo_gres((DATA / "sinfo-P-G-multi.txt").read_text())
    assert parts == [
        Partition("cpu", True, ()),
        Partition("gpu", False, ("gpu:tesla:4", "gpu:a100:2", "gpu:tesla:1")),
        Partition("long", False, ("gpu:2",)),
    ]


@pytest.mark.parametrize("request_, gres, ok", [
    ("tesla:1", "gpu:tesla:1", True),
    ("tesla:2", "gpu:tesla:1", False),
    ("tesla:1", "gpu:a100:4", False),
    ("1", "gpu:a100:4", True),
    ("2", "gpu:2", True),
    ("tesla:1", "gpu:2", False),
    ("tesla:1", "mps:100", False),
])
def test_gpu_request_matches(request_: str, gres: str, ok: bool) -> None:
    assert gpu_request_matches(request_, gres) is ok


def test_parse_subid() -> None:
    text = "alice:100000:65536\n1001:165536:65536\n"
    assert parse_subid(text, "alice") and parse_subid(text, "bob", 1001) and not parse_subid(text, "bob", 1002)


def _report(checks: list[Check]) -> Report:
    return Report("x", "a site", "--site", ("/p/sites/default.toml", "/p/sites/x.toml"), tuple(checks),
                  (Step("container build", False, "skipped — no apptainer/singularity"),))


def test_render_markdown_and_text_are_pure() -> None:
    report = _report([Check("container runtime", False, "none | really", required=True),
                      Check("marp-cli", True, "v4")])
    md = doctor.render_markdown(report)
    assert md.splitlines()[0] == "**site: x** (--site; `default.toml`, `x.toml`) — a site"
    assert "| container runtime | ✗ | none \\| really | yes |" in md
    assert "| container build | no | skipped — no apptainer/singularity |" in md
    assert md.endswith("**missing (required): container runtime**")
    text = doctor.render_text(report)
    assert "✗ container runtime  none | really  [required]" in text
    assert text.endswith("MISSING (required): container runtime")
    assert not report.ok and _report([Check("a", False, "", required=False)]).ok


@pytest.mark.slurm
def test_ci_site_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_SITE", raising=False)
    report = doctor.run_checks("ci")
    assert report.site == "ci" and report.site_source == "--site"
    assert report.check("container runtime").ok
    for name in ("Slurm commands", "Slurm controller", "Slurm GPUs"):
        assert report.check(name).ok and report.check(name).required, report.check(name)
    assert "debug" in report.check("Slurm controller").detail
    assert report.check("Python packages (training)").required
    assert not report.step("container build").runs
    assert report.step("container build").why.startswith("skipped — the site uses the host Python")
    assert report.step("Slurm jobs").runs
    assert report.ok, doctor.render_text(report)


def test_forced_runtime_missing_fails_the_doctor(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use()  # no runtime, no Slurm on PATH
    report = doctor.run_checks(fakes.site(runtime="apptainer"))
    runtime = report.check("container runtime")
    assert not runtime.ok and runtime.required and "apptainer is not on PATH" in runtime.detail
    assert report.missing[0].name == "container runtime"
    assert not report.ok
    assert [report.step(name).why for name in ("container pull", "container build", "import check")] == [
        "fails — container.runtime = 'apptainer' but apptainer is not on PATH"] * 3
    # ie-ryukyu declares Slurm: without it the doctor says so as a failure, not a note.
    assert not report.check("Slurm commands").ok and report.check("Slurm commands").required
    assert "Slurm commands" in [c.name for c in report.missing]


def test_fake_runtime_is_reported_with_its_version(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fakes.use("apptainer")
    report = doctor.run_checks(fakes.site(runtime="apptainer"))
    assert report.check("container runtime").ok
    assert report.check("container runtime").detail.startswith("apptainer 1.3.4 (")
    assert report.step("container pull").runs
    assert report.step("import check").why == "inside env.sif"
    assert report.check("disk: sif dir").detail.endswith("needs about 16 GiB (base image + env.sif)")
    # The default: images are pulled into the work directory, one disk row for both.
    report = doctor.run_checks(fakes.site(runtime="apptainer", sif_dir=""))
    assert report.check("disk: work dir").detail.endswith(
        "needs about 21 GiB (base image + env.sif, checkpoints and logs)")
    with pytest.raises(KeyError):
        report.check("disk: sif dir")


def test_auto_site_without_runtime_skips_container_steps(fakes, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    fakes.use()
    report = doctor.run_checks(fakes.site())
    assert not report.check("container runtime").ok and not report.check("container runtime").required
    assert report.step("container build").why.startswith("skipped — no apptainer/singularity")
    assert report.step("import check").why == "on the host Python (no container)"


def test_cli_doctor_prints_and_returns_the_exit_code(fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fakes.use()
    monkeypatch.setenv("HOME", str(tmp_path))
    # ie-ryukyu declares singularity and Slurm, and this machine (PATH) has neither: exit code 1.
    assert main(["doctor", "--site", "ie-ryukyu", "--markdown"]) == 1
    out = capsys.readouterr().out
    assert "**missing (required): container runtime, Slurm commands" in out
    assert out.startswith("**site: ie-ryukyu** (--site; `default.toml`, `ie-ryukyu.toml`)")
    # The lessons would fail without singularity, so the steps say so (not "skipped").
    assert "| container pull | no | fails — container.runtime = 'singularity' but singularity is not on PATH |" in out
