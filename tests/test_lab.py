"""`make lab`: JupyterLab on notebooks/ with the kit's kernel, and the participant's site reaching the kernels."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

from kit.sites import PROJECT_ROOT
from litmarp import project
from litmarp.deckimport import jupyter_header

MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()
KERNEL = re.search(r"^KERNEL\s*:=\s*(\S+)$", MAKEFILE, re.M).group(1)  # type: ignore[union-attr]
KERNEL_DESC = re.search(r"^KERNEL_DESC\s*:=\s*(.+)$", MAKEFILE, re.M).group(1).strip()  # type: ignore[union-attr]
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"


def test_every_notebook_and_imported_lesson_names_the_kernel_make_lab_registers() -> None:
    """JupyterLab then opens each lesson with the kit's kernel, and saving it keeps the pair in sync."""
    want = {"name": KERNEL, "display_name": KERNEL_DESC, "language": "python"}
    notebooks = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        assert json.loads(nb.read_text())["metadata"]["kernelspec"] == want, nb.name
    header = jupyter_header(project.current())
    assert f"name: {KERNEL}" in header and f"display_name: {KERNEL_DESC}" in header


def _dry_run(*args: str, kit_site: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KIT_SITE", "SITE", "PORT", "MAKEFLAGS")}
    if kit_site:
        env["KIT_SITE"] = kit_site
    return subprocess.run(["make", "-n", "-o", "setup", "--no-print-directory", "lab", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(("args", "kit_site", "site", "port"), [
    ((), None, "local", "8888"),
    ((), "ie-ryukyu", "ie-ryukyu", "8888"),                     # KIT_SITE from the shell
    (("SITE=ci", "PORT=9123"), "ie-ryukyu", "ci", "9123"),      # SITE given to make wins
])
def test_make_lab_site_and_port(args: tuple[str, ...], kit_site: str | None, site: str, port: str) -> None:
    out = _dry_run(*args, kit_site=kit_site)
    assert out.returncode == 0, out.stderr
    assert f"KIT_SITE={site} exec .venv/bin/python -m jupyterlab --ServerApp.root_dir=lab" in out.stdout
    assert f"--ServerApp.port={port} " in out.stdout
    assert f"ssh -N -L {port}:localhost:{port} " in out.stdout
    assert f"--sys-prefix --name {KERNEL} " in out.stdout


def test_make_lab_refuses_a_site_without_a_profile() -> None:
    # Without -n: the check is the recipe's first line, so nothing starts.
    env = {k: v for k, v in os.environ.items() if k != "KIT_SITE"}
    out = subprocess.run(["make", "-o", "setup", "--no-print-directory", "lab", "SITE=no-such-site"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "no site profile sites/no-such-site.toml" in out.stderr


def _make(*args: str, dry: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KIT_SITE", "SITE", "PORT", "MAKEFLAGS", "OUT", "LESSONS")}
    return subprocess.run(["make", *(["-n"] if dry else []), "-o", "setup", "--no-print-directory", *args],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(("args", "message"), [
    (("slides", "SITE=x; touch /tmp/kit-pwned"), "SITE='x; touch /tmp/kit-pwned' is not a name"),
    (("slides", "SITE=ie ryukyu"), "SITE='ie ryukyu' is not a name"),
    (("slides", "SITE="), "SITE='' is not a name"),
    (("slides", "LESSONS=01-container;id"), "LESSONS='01-container;id' is not a list of names"),
    (("slides", "REFRESH=03-slurm|id"), "REFRESH='03-slurm|id' is not a list of names"),
    (("slides", "OUT="), "OUT is empty"),
    (("watch", "PORT=80;id"), "PORT='80;id' is not a name"),
    (("doctor", "SITE=ci&&id"), "SITE='ci&&id' is not a name"),
    (("slides-fast", "LESSONS=`id`"), "LESSONS='`id`' is not a list of names"),
    (("lab", "SITE=a b"), "SITE='a b' is not a name"),
])
def test_make_stops_on_a_user_value_that_is_not_a_name(args: tuple[str, ...], message: str) -> None:
    """Even `make -n` prints no recipe line: the value never reaches bash."""
    out = _make(*args)
    assert out.returncode == 2 and message in out.stderr, out.stdout + out.stderr
    assert "kit" not in out.stdout


def test_make_lab_checks_kit_site_from_the_shell() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE", "MAKEFLAGS")}
    out = subprocess.run(["make", "-n", "-o", "setup", "--no-print-directory", "lab"], cwd=PROJECT_ROOT,
                         env={**env, "KIT_SITE": "ci; id"}, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "KIT_SITE='ci; id' is not a name" in out.stderr


@pytest.mark.parametrize(("args", "want"), [
    (("slides", "OUT=my decks"), ["--out", "my decks"]),
    (("slides", "OUT=it's; here"), ["--out", "it's; here"]),
    (("slides", "LESSONS=01-container slides/03-slurm.md", "SITE=ie-ryukyu"),
     ["slides", "01-container", "slides/03-slurm.md", "--site", "ie-ryukyu"]),
    (("slides", "REFRESH=03-slurm"), ["--refresh", "03-slurm"]),
    (("watch", "OUT=/tmp/my decks", "PORT=9000"), ["--out", "/tmp/my decks", "--port", "9000"]),
    (("slides-fast", "OUT=a b"), ["--no-exec", "--out", "a b"]),
])
def test_make_passes_names_and_quotes_folders(args: tuple[str, ...], want: list[str]) -> None:
    out = _make(*args)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if " -m litmarp " in line)
    words = shlex.split(line)
    assert any(words[i:i + len(want)] == want for i in range(len(words))), (want, words)


def test_a_value_with_a_command_runs_nothing(tmp_path: Path) -> None:
    """For real, not -n: before the fix bash ran `kit slides --site local --help` and then the touch."""
    marker = tmp_path / "pwned"
    out = _make("slides", f"SITE=local --help; touch {marker} #", dry=False)
    assert out.returncode == 2 and "is not a name" in out.stderr, out.stdout + out.stderr
    assert not marker.exists()


def _processes_with(marker: str) -> dict[int, list[str]]:
    """pid -> argv of every process whose environment holds ``marker`` (the server, its kernels)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found[int(proc.name)] = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads processes' environments from /proc")
def test_make_lab_serves_the_kit_kernel_and_the_site_reaches_it(tmp_path: Path) -> None:
    port, token, marker = free_port(), secrets.token_hex(16), f"KIT_LAB_TEST={secrets.token_hex(8)}"
    env = {k: v for k, v in os.environ.items() if k not in ("KIT_SITE", "SITE", "PORT", "MAKEFLAGS")}
    # Jupyter's config, runtime and user data in tmp_path: the user's own settings and kernels stay out.
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), KIT_LAB_TEST=marker.split("=", 1)[1])
    lab_args = f"--IdentityProvider.token={token} --ServerApp.port_retries=0"
    if os.geteuid() == 0:  # Jupyter refuses root without it (CI containers)
        lab_args += " --allow-root"
    log = (tmp_path / "lab.log").open("w+")
    server = subprocess.Popen(
        ["make", "-o", "setup", "--no-print-directory", "lab", f"PORT={port}", "SITE=ie-ryukyu", "NO_BROWSER=1",
         f"LAB_ARGS={lab_args}"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def api(method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/{path}", method=method, headers={"Authorization": f"token {token}"},
            data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def server_log() -> str:
        log.seek(0)
        return log.read()[-3000:]

    try:
        deadline = time.monotonic() + 40
        while True:
            assert server.poll() is None, f"make lab exited ({server.returncode}):\n{server_log()}"
            assert time.monotonic() < deadline, f"no answer on port {port} within 40 s:\n{server_log()}"
            try:
                specs = api("GET", "kernelspecs")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)

        assert specs["default"] == KERNEL
        spec = specs["kernelspecs"][KERNEL]["spec"]
        assert spec["display_name"] == KERNEL_DESC
        assert Path(spec["argv"][0]) == PYTHON, "the kit's kernel must run this project's .venv/bin/python"
        assert "--ext=litmarp.shell" in spec["argv"], "```bash cells must be the lessons' command cells in Jupyter too"
        assert "KIT_SITE" not in spec.get("env", {}), "the site comes from make lab, not from the kernelspec"

        kernel = api("POST", "kernels", {"name": KERNEL})
        deadline = time.monotonic() + 15
        while not (found := {pid: argv for pid, argv in _processes_with(marker).items()
                             if "ipykernel_launcher" in argv and any(kernel["id"] in a for a in argv)}):
            assert time.monotonic() < deadline, f"kernel {kernel['id']} not found among the processes"
            time.sleep(0.2)
        (pid, argv), = found.items()
        assert Path(argv[0]) == PYTHON
        assert _environ(pid).get("KIT_SITE") == "ie-ryukyu"
        api("DELETE", f"kernels/{kernel['id']}")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # Jupyter shuts its kernels down on SIGTERM
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        deadline = time.monotonic() + 10
        while (left := _processes_with(marker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        log.close()
    assert not left, f"left running after make lab stopped: {left}"
