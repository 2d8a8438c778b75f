"""``python bart_finetuning.py ARGS`` without paying its imports on every run: a fork server for the drills.

The program's drill rows each print one line after 5 to 10 s of torch, transformers and datasets imports,
on two busy cores. :class:`WarmPython` starts one Python that runs the program's own top-level ``import``
lines (read from the file, so the list follows the program; only those lines: anything between them runs in
the child), then forks a child per run. The child takes the run's folder, environment, argv and standard
streams and executes the file as ``__main__``, as ``python FILE`` does; an uncaught exception or
``SystemExit`` ends it as it ends an interpreter (a traceback and status 1, death by SIGINT for a
``KeyboardInterrupt``). Its pid is the program's pid (``run.lock`` names it, the Ctrl-C rows signal it).

What a warm child cannot see is an environment variable a library reads only at import. So a run whose
environment differs from the server's in anything but :data:`PER_RUN` runs cold (``subprocess.run``).
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

# What may differ between the server and a run. HOME: the program's libraries read it at import only for
# caches (sacrebleu's test sets, which the program never reads; the hub's are HF_HOME, the same for all).
PER_RUN = frozenset({"HOME", "KIT_LOCAL_JOBS", "PYTEST_CURRENT_TEST", "PWD", "OLDPWD"})

SERVER = r"""
import ast, contextlib, json, os, runpy, select, socket, sys

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
    # The client holds this process's stdin: at its end (pytest gone, even killed) the server goes too.
    if sys.stdin in select.select([listener, sys.stdin], [], [])[0]:
        sys.exit(0)
    conn, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    size = int.from_bytes(message[:8], "big")
    while len(message) < 8 + size:
        message += conn.recv(1 << 16)
    request = json.loads(message[8:])
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


def _differs(env: dict[str, str], base: dict[str, str]) -> set[str]:
    return {k for k in env.keys() | base.keys() if env.get(k) != base.get(k)} - PER_RUN


class WarmPython:
    """One server for ``program`` (a Python file): :meth:`run` is ``subprocess.run([python, program, *args])``."""

    def __init__(self, program: Path, env: dict[str, str]) -> None:
        self.program = program
        self.env = env
        self.folder = Path(tempfile.mkdtemp(prefix="warm-"))
        self.address = str(self.folder / "socket")
        self.server = subprocess.Popen([sys.executable, "-c", SERVER, str(program), self.address], env=env,
                                       cwd=self.folder, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        assert self.server.stdout is not None
        if self.server.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the warm Python for {program} did not start (exit {self.server.wait()})")

    def run(self, args: list[str], *, cwd: Path, env: dict[str, str],
            timeout: float) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(self.program), *args]
        if _differs(env, self.env):
            return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                open(os.devnull, "rb") as stdin, socket.socket(socket.AF_UNIX) as conn:

            def captured() -> tuple[str, str]:
                out.seek(0)
                err.seek(0)
                return out.read().decode(errors="replace"), err.read().decode(errors="replace")

            try:
                conn.connect(self.address)
            except OSError as exc:
                raise RuntimeError(f"the warm Python for {self.program} is gone (exit {self.server.poll()})") from exc
            request = json.dumps({"cwd": str(cwd), "env": env, "args": args}).encode()
            socket.send_fds(conn, [len(request).to_bytes(8, "big") + request],
                            [stdin.fileno(), out.fileno(), err.fileno()])
            replies = conn.makefile("r")
            started = time.monotonic()
            pid = int(replies.readline() or 0)
            if not pid:
                raise RuntimeError(f"the warm Python for {self.program} failed (exit {self.server.poll()})")
            conn.settimeout(timeout)
            try:
                code = int(replies.readline())
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(command, time.monotonic() - started, *captured()) from None
            except BaseException:  # Ctrl-C, a test's own time limit: the program never outlives its run
                os.kill(pid, signal.SIGKILL)
                raise
            return subprocess.CompletedProcess(command, code, *captured())

    def close(self) -> None:
        self.server.kill()
        self.server.wait()
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()
