"""``python bart_finetuning.py ARGS`` without paying its imports on every run: a fork server for the drills.

The program's drill rows each print one line after 5 to 10 s of torch, transformers and datasets imports,
on two busy cores. :class:`WarmPython` starts one Python that runs the program's own top-level ``import``
lines (read from the file, so the list follows the program), then forks a child per run. The child takes the
run's folder, environment, argv and standard streams and executes the file as ``__main__``, as ``python FILE``
does; an uncaught exception or ``SystemExit`` ends it as it ends an interpreter (a traceback and status 1,
death by SIGINT for a ``KeyboardInterrupt``). Its pid is the program's pid (``run.lock`` names it, the Ctrl-C
rows signal it).

What a warm child cannot see is an environment variable a library reads only at import: :data:`IMPORT_TIME`
names their prefixes, and a run whose value of one differs from the server's runs cold instead
(``subprocess.run``), so a drill that sets one is never run against stale settings.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Read by torch, transformers, datasets, huggingface_hub or tokenizers when they are imported.
IMPORT_TIME = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "DATASETS_", "TOKENIZERS_", "TORCH", "PYTORCH_", "OMP_",
               "MKL_", "CUDA_", "PYTHON")

SERVER = r"""
import ast, contextlib, json, os, runpy, socket, sys

program, address = sys.argv[1], sys.argv[2]
sys.path[0] = os.path.dirname(program)  # as `python FILE` has it: its folder's modules come first
for node in ast.parse(open(program, encoding="utf-8").read()).body:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), program, "exec"), {})
        except Exception:
            pass  # the child's own import then fails as the program's would
listener = socket.socket(socket.AF_UNIX)
listener.bind(address)
listener.listen()
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    request = json.loads(message)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        listener.close()
        conn.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [program, *request["args"]]
        runpy.run_path(program, run_name="__main__")
        sys.exit(0)
    for fd in fds:
        os.close(fd)
    # A client that gave up (its time limit killed the child) has closed its end: serve the next one.
    with contextlib.suppress(OSError):
        conn.sendall(f"{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    conn.close()
"""


def _import_time(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(IMPORT_TIME)}


class WarmPython:
    """One server for ``program`` (a Python file): :meth:`run` is ``subprocess.run([python, program, *args])``."""

    def __init__(self, program: Path, env: dict[str, str]) -> None:
        self.program = program
        self.env = env
        self.folder = Path(tempfile.mkdtemp(prefix="warm-"))
        self.address = str(self.folder / "socket")
        self.server = subprocess.Popen([sys.executable, "-c", SERVER, str(program), self.address], env=env,
                                       cwd=self.folder, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert self.server.stdout is not None
        if self.server.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the warm Python for {program} did not start (exit {self.server.wait()})")

    def run(self, args: list[str], *, cwd: Path, env: dict[str, str],
            timeout: float) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(self.program), *args]
        if _import_time(env) != _import_time(self.env):
            return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                open(os.devnull, "rb") as stdin, socket.socket(socket.AF_UNIX) as conn:
            conn.connect(self.address)
            request = json.dumps({"cwd": str(cwd), "env": env, "args": args}).encode()
            socket.send_fds(conn, [request], [stdin.fileno(), out.fileno(), err.fileno()])
            replies = conn.makefile("r")
            pid = int(replies.readline())
            conn.settimeout(timeout)
            started = time.monotonic()
            try:
                code = int(replies.readline())
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(command, time.monotonic() - started) from None
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(command, code, out.read().decode(errors="replace"),
                                               err.read().decode(errors="replace"))

    def close(self) -> None:
        self.server.kill()
        self.server.wait()
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()
