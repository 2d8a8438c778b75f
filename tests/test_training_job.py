"""The training job on the real one-node Slurm: the README's recipe verbatim, a time limit and resume, torchrun.

Fakes only for what cannot exist here: ``singularity`` (tests/fakes: ``exec`` runs on the host) and the
Hugging Face hub (a pre-filled offline cache, tests/fakes/hub.py). The program itself is never faked.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fakes.hub import make_fake_hub  # tests/ is on sys.path (pytest's rootdir-relative import)

from kit import container, slurm
from kit import job as training
from kit.data import load_corpus
from kit.model import TinySettings, make_tiny_bart
from kit.profiles import site_program_args
from kit.sites import PROJECT_ROOT, Site, load_site

FAKES = PROJECT_ROOT / "tests" / "fakes"
SAMPLE = PROJECT_ROOT / "kit" / "sample_data"
GOLDEN = PROJECT_ROOT / "tests" / "golden"


def readme_cluster_block() -> list[str]:
    """The lines of the console block in the README's cluster section."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## On the cluster (participants)"):]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "the README's cluster section has no console block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def submit_training(site: Site) -> slurm.Job:
    """``sbatch train.sbatch`` in the work folder, from the lessons' terminal: this Python first on PATH (the job
    inherits it, and on the host-runtime ci site its python3 must be this one)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", training.python_first_path())
        return slurm.submit(training.SCRIPT_NAME, site=site, cwd=site.work_dir)


def wait_done(job_id: str, timeout: float = 600) -> slurm.JobStatus:
    return slurm.wait(job_id, timeout=timeout, follow=False, raise_on_failure=False, poll=1.0)


@pytest.fixture(scope="module")
def time_limited_job(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A training job with a 1-minute --time, submitted when the module starts so its wait overlaps the others.

    Slurm enforces time limits about every 30 s and then waits KillWait (30 s) before SIGKILL: such a job
    ends 60-120 s after it starts.
    """
    request.getfixturevalue("slurm_cluster")
    site = ci_site(tmp_path_factory.mktemp("time-limit") / "work", time="1", gpus="")  # leaves the GPU slots free
    training.install_program(site)
    base = site_program_args(site)
    # More steps than a minute allows: Slurm ends the job at its 1-minute limit with SIGTERM.
    training.write_train_script(site, program_args=[*base, "--max_steps", "100000", "--logging_steps", "20",
                                                    "--save_strategy", "no", "--eval_strategy", "no"])
    # One thread: the job only has to be training when the limit comes, and the other tests need the CPUs
    # meanwhile (the job inherits the submitter's environment).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        job = submit_training(site)
    yield site, base, job
    if not slurm.status(job).terminal:
        slurm.cancel(job)


@pytest.mark.slurm
def test_early_submission(time_limited_job) -> None:
    """Starts the time-limited job before the other tests (its result is checked by the last test)."""
    _, _, job = time_limited_job
    assert job.id


@pytest.mark.slurm
def test_readme_cluster_recipe_verbatim(slurm_cluster: None, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    tiny = make_tiny_bart(tmp_path / "tiny", load_corpus("sample"),
                          TinySettings(vocab_size=1000, d_model=64, layers=1, heads=2, ffn_dim=128))
    make_fake_hub(home / ".cache" / "huggingface", tiny, SAMPLE)
    env = {**os.environ, "HOME": str(home), "HF_HOME": str(home / ".cache" / "huggingface"), "HF_HUB_OFFLINE": "1",
           "PATH": os.pathsep.join([str(FAKES), str(Path(sys.executable).parent), os.environ["PATH"]]),
           "FAKE_CONTAINER_LOG": str(tmp_path / "runtime.jsonl"), "USER": os.environ.get("USER", "root")}
    lines = [line.replace("<this repository>", str(PROJECT_ROOT)) for line in readme_cluster_block()]
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    proc = subprocess.run(["bash", "-c", script], cwd=home, env=env, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    job_id = re.search(r"Submitted batch job (\d+)", proc.stdout).group(1)
    clone = home / "workshop2024"
    assert (clone / "env.sif").is_file() and (clone / "transformers-pytorch-gpu_4.35.2.sif").is_file()
    status = wait_done(job_id)
    log = clone / "logs" / f"bart-finetune-{job_id}.log"
    err = clone / "logs" / f"bart-finetune-{job_id}.err"
    assert status.state == "COMPLETED", err.read_text()[-3000:] if err.exists() else status
    run = clone / "runs" / f"job-{job_id}"
    for name in ("metrics.json", "samples.txt", "trainer_state.json", "test_predictions.txt"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test_sentences"] == 100 and metrics["world_size"] == 1 and "BLEU" in log.read_text()
    calls = [json.loads(line)["argv"] for line in (tmp_path / "runtime.jsonl").read_text().splitlines()]
    assert ["singularity", "exec", "--nv", "env.sif", "python3", "bart_finetuning.py"] in calls


def ci_site(work: Path, **slurm_values: object):
    return load_site("ci", overrides={"work_dir": str(work), "slurm": slurm_values})


@pytest.mark.slurm
def test_two_gpu_site_launches_torchrun_and_trains_with_world_size_2(slurm_cluster: None, tmp_path: Path) -> None:
    site = ci_site(tmp_path / "work", gpus="tesla:2", time="00:10:00")
    training.install_program(site)
    args = [*site_program_args(site), "--max_steps", "8", "--eval_strategy", "no", "--save_strategy", "no"]
    written = training.write_train_script(site, program_args=args)
    text = written.path.read_text()
    assert "#SBATCH --gpus tesla:2" in text and "torchrun --nproc_per_node 2 bart_finetuning.py" in text
    submitted = submit_training(site)
    status = wait_done(submitted.id)
    err = site.work_dir / "logs" / f"bart-finetune-{submitted.id}.err"
    assert status.state == "COMPLETED", err.read_text()[-3000:]
    metrics = json.loads((site.work_dir / "runs" / f"job-{submitted.id}" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["global_step"] == 8 and metrics["test_sentences"] == 100


# --- the script (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize("site_name", ["ie-ryukyu"])
def test_train_script_matches_the_workshop_exactly(site_name: str) -> None:
    assert slurm.render_script(training.train_spec(load_site(site_name))) == (GOLDEN / "train.sbatch").read_text()


def test_train_script_takes_the_ci_profile_values() -> None:
    assert slurm.render_script(training.train_spec(load_site("ci"))) == (GOLDEN / "train-ci.sbatch").read_text()


def test_train_spec_body_can_be_replaced() -> None:
    text = slurm.render_script(training.train_spec(load_site("ci"), body=["hostname"]))
    assert text.splitlines()[1] == "#SBATCH --job-name bart-finetune"
    assert text.endswith("#SBATCH --mem 2G\nhostname\n")


def test_train_body_is_the_one_exec_line_with_program_arguments() -> None:
    site = load_site("ie-ryukyu")
    spec = training.train_spec(site, ["--max-minutes", "30", "--data", "my corpus"])
    body = spec.body[-1]
    assert body == ("exec singularity exec --nv env.sif python3 bart_finetuning.py --max-minutes 30 "
                    "--data 'my corpus'")
    # `exec`, then the same line kit.container builds, word for word.
    assert shlex.split(body) == ["exec", *container.exec_command(site, "env.sif", [
        "python3", "bart_finetuning.py", "--max-minutes", "30", "--data", "my corpus"])]


def test_train_body_follows_the_runtime() -> None:
    site = load_site("ie-ryukyu", overrides={"container": {"runtime": "apptainer", "gpu": False}})
    assert training.train_spec(site).body[-1] == "exec apptainer exec env.sif python3 bart_finetuning.py"
    # A host-runtime site (ci) runs the program itself: the script is the job the lessons submit.
    assert training.train_spec(load_site("ci")).body[-1].startswith("exec python3 bart_finetuning.py \\\n")


def test_extra_cli_arguments_follow_the_site_profile_arguments() -> None:
    body = training.workshop_spec("train", site="ci", program_args=["--max_steps", "5"]).body[-1]
    assert body.startswith("exec python3 bart_finetuning.py \\\n    --model_name_or_path models/tiny-")
    assert body.endswith(" --max_steps 5")



def test_committed_train_sbatch_is_the_workshop_script() -> None:
    expected = slurm.render_script(training.train_spec(load_site("ie-ryukyu")))
    assert (PROJECT_ROOT / "train.sbatch").read_text(encoding="utf-8") == expected
    assert expected.rstrip().endswith("\nexec singularity exec --nv env.sif python3 bart_finetuning.py")
    assert (PROJECT_ROOT / "logs" / ".gitkeep").is_file()


def test_an_edited_train_sbatch_is_kept_and_the_difference_shown(tmp_path: Path) -> None:
    site = ci_site(tmp_path / "work")
    first = training.write_train_script(site)
    assert not first.kept
    edited = first.path.read_text().replace("--time 00:15:00", "--time 00:20:00")
    first.path.write_text(edited)
    second = training.write_train_script(site)
    assert second.kept and "-#SBATCH --time 00:15:00" in second.diff and "+#SBATCH --time 00:20:00" in second.diff
    assert first.path.read_text() == edited
    assert not training.write_train_script(site, force=True).kept and "00:15:00" in first.path.read_text()


def test_the_kits_own_older_files_are_updated_and_edited_ones_kept(tmp_path: Path) -> None:
    """After lesson 02 or the site changes, an unedited copy from an earlier run is the kit's to replace."""
    site = ci_site(tmp_path / "work")
    assert str(training.write_train_script(site)) == "wrote train.sbatch"
    longer = ci_site(tmp_path / "work", time="00:20:00")  # the site changed since
    updated = training.write_train_script(longer)
    assert updated.updated and not updated.kept and "--time 00:20:00" in updated.path.read_text()
    assert "updated train.sbatch" in str(updated)
    updated.path.write_text(updated.path.read_text() + "# my note\n")  # now the participant's
    kept = training.write_train_script(site)
    assert kept.kept and "# my note" in kept.path.read_text() and "+# my note" in kept.diff
    program = training.install_program(site)
    assert not program.kept and (site.work_dir / ".litmarp-written.json").is_file()


def test_a_folder_written_under_the_records_old_name_still_counts_as_unedited(tmp_path: Path) -> None:
    """Work folders from before the engine left kit/ hold the record as .kit-written.json."""
    site = ci_site(tmp_path / "work")
    training.write_train_script(site)
    (site.work_dir / ".litmarp-written.json").rename(site.work_dir / ".kit-written.json")
    updated = training.write_train_script(ci_site(tmp_path / "work", time="00:20:00"))
    assert updated.updated and not updated.kept


@pytest.mark.slurm
def test_following_a_job_that_outlives_the_wait_reports_instead_of_raising(slurm_cluster: None,
                                                                         tmp_path: Path) -> None:
    import io

    spec = slurm.JobSpec(job_name="long", output="logs/%x-%j.log", body=["sleep 120"])
    job = slurm.submit(spec, site=load_site("ci"), cwd=tmp_path)
    try:
        out = io.StringIO()
        status = training.follow(job, minutes=0.05, out=out)
        assert not status.terminal and "まだ実行中です" in out.getvalue() and f"squeue -j {job.id}" in out.getvalue()
    finally:
        slurm.cancel(job)


@pytest.mark.slurm
def test_following_a_queued_job_waits_for_its_start_so_the_next_slide_finds_its_logs(slurm_cluster: None,
                                                                                    tmp_path: Path) -> None:
    """Lesson 03 reads the logs right after following: a job still queued (a busy node) has none yet."""
    import io

    spec = slurm.JobSpec(job_name="queued", output="logs/%x-%j.log", error="logs/%x-%j.err",
                         extra=["--hold"], body=["sleep 120"])
    job = slurm.submit(spec, site=load_site("ci"), cwd=tmp_path)
    release = threading.Timer(3, subprocess.run, [["scontrol", "release", job.id]], {"check": True})
    release.start()
    try:
        out = io.StringIO()
        status = training.follow(job, minutes=0.01, queue_minutes=1, out=out)
        assert "PENDING (JobHeldUser)" in out.getvalue(), out.getvalue()
        assert status.state == "RUNNING" and job.stdout.exists() and job.stderr.exists(), out.getvalue()
    finally:
        release.join()
        slurm.cancel(job)


@pytest.mark.slurm
def test_a_job_that_stays_queued_is_reported_not_waited_for_forever(slurm_cluster: None, tmp_path: Path) -> None:
    import io

    spec = slurm.JobSpec(job_name="held", output="logs/%x-%j.log", extra=["--hold"], body=["sleep 120"])
    job = slurm.submit(spec, site=load_site("ci"), cwd=tmp_path)
    try:
        out = io.StringIO()
        status = training.follow(job, minutes=0.01, queue_minutes=0.02, out=out)
        assert status.state == "PENDING" and f"ジョブ {job.id} はまだ順番待ちです（PENDING (JobHeldUser)）" in \
            out.getvalue(), out.getvalue()
    finally:
        slurm.cancel(job)


@pytest.mark.slurm
def test_lesson_03_completes_while_its_job_is_still_running(slurm_cluster: None, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A real job outlives the notebook's wait: "Run All" must still reach the last slide, saying so."""
    from litmarp.execute import parameterized, run_notebook
    from litmarp.source import find_lessons

    home = tmp_path / "home"
    (home / "workshop2024").mkdir(parents=True)  # the rehearsal site's ~/workshop2024
    (home / "workshop2024" / "env.sif").write_text("built by lesson 01\n")  # the fake runtime only checks it is there
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", os.pathsep.join([str(FAKES), os.environ["PATH"]]))
    monkeypatch.setenv("FAKE_CONTAINER_PYTHON", sys.executable)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    lesson = find_lessons(["03-slurm"])[0]
    executed = run_notebook(lesson, parameterized(lesson, "rehearsal", {"follow_minutes": 0.02}), site="rehearsal",
                            out_dir=tmp_path / "out")
    text = executed.read_text(encoding="utf-8")
    still = re.search(r"ジョブ (\d+) はまだ実行中です", text)
    try:
        assert still, text[-3000:]
        assert "CANCELLED" in text  # the later slides ran: the scancel example
    finally:
        for job_id in re.findall(r"ジョブ ID (\d+)", text):
            subprocess.run(["scancel", job_id], check=False)


# Last: by now the time-limited job submitted at the start has met its limit.
@pytest.mark.slurm
def test_job_at_its_time_limit_checkpoints_and_a_resubmission_resumes(time_limited_job) -> None:
    site, base, first = time_limited_job
    status = wait_done(first.id, timeout=300)
    assert status.state == "TIMEOUT", status
    run = site.work_dir / "runs" / f"job-{first.id}"
    log = (site.work_dir / "logs" / f"bart-finetune-{first.id}.log").read_text()
    assert f"run again with --output_dir runs/job-{first.id}" in log, log[-2000:]
    checkpoint = max(run.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    step = int(checkpoint.name.split("-")[1])
    assert step > 0 and not (run / "metrics.json").exists()
    again = ci_site(site.work_dir, time="00:10:00")
    training.write_train_script(again, force=True, program_args=[
        *base, "--max_steps", str(step + 10), "--logging_steps", "5", "--save_strategy", "no",
        "--eval_strategy", "no", "--output_dir", f"runs/job-{first.id}"])
    second = submit_training(again)
    assert wait_done(second.id).state == "COMPLETED"
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["resumed_from"] == f"runs/job-{first.id}/{checkpoint.name}"
    assert metrics["global_step"] == step + 10
    # The checkpoint leaves out the tied copies of the embeddings; resuming must not call them "missing".
    err = (site.work_dir / "logs" / f"bart-finetune-{second.id}.err").read_text()
    assert "missing keys" not in err, err[-2000:]


def test_the_lesson_table_explains_only_the_options_the_script_has() -> None:
    site = load_site("ie-ryukyu", overrides={"slurm": {"job_name": "", "time": ""}})
    options = slurm.parse_directives(slurm.render_script(training.train_spec(site)))
    explained = [line.split()[0] for line, _ in training.script_rows(site) if line.startswith("--")]
    assert "--job-name" not in options and "--time" not in options
    assert explained == ["--output", "--nodes", "--gpus"]
    assert set(explained) <= set(options)
