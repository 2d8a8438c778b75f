"""litmarp.proc: the one place external commands run (run captures, stream also prints as lines come)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kit.errors import CommandError, CommandNotFound
from litmarp import proc


class FlagOnWrite(io.StringIO):
    """A stream that creates ``flag`` on its first write (the child waits for it)."""

    def __init__(self, flag: Path) -> None:
        super().__init__()
        self.flag = flag

    def write(self, text: str) -> int:
        self.flag.touch()
        return super().write(text)


def test_stream_prints_each_line_before_the_command_ends(tmp_path: Path) -> None:
    # The child prints a line, then waits until that line has reached the stream: a runner that
    # printed only at the end would leave it waiting, and it would fail.
    flag = tmp_path / "seen"
    child = (
        "import os, sys, time\n"
        "print('INFO:    Converting OCI blobs to SIF format', flush=True)\n"
        f"deadline = time.time() + 30\n"
        f"while not os.path.exists({str(flag)!r}):\n"
        "    if time.time() > deadline: sys.exit('the line was not shown while the command ran')\n"
        "    time.sleep(0.01)\n"
        "print('INFO:    Creating SIF file...', file=sys.stderr, flush=True)\n"
    )
    out = FlagOnWrite(flag)
    cp = proc.stream([sys.executable, "-c", child], out=out)
    expected = "INFO:    Converting OCI blobs to SIF format\nINFO:    Creating SIF file...\n"
    assert out.getvalue() == expected  # stderr merged, in order
    assert cp.returncode == 0 and cp.stdout == expected and cp.stderr == ""


def test_stream_goes_to_sys_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    cp = proc.stream([sys.executable, "-c", "print('a'); print('b\\rc')"])
    assert capsys.readouterr().out == "a\nb\rc\n" == cp.stdout  # a progress bar's \r stays in its line


def test_stream_failure_raises_with_the_output_tail() -> None:
    child = "import sys\nfor i in range(300): print(f'line {i}')\nsys.exit('FATAL:   While performing build')"
    out = io.StringIO()
    with pytest.raises(CommandError) as err:
        proc.stream([sys.executable, "-c", child], out=out, hint="read the runtime's message above")
    assert err.value.returncode == 1 and err.value.hint == "read the runtime's message above"
    assert err.value.stderr.endswith("line 299\nFATAL:   While performing build\n")
    assert err.value.stderr.startswith("line 101\n")  # the last 200 lines
    assert "FATAL:   While performing build" in str(err.value)  # shown in the error's text
    assert out.getvalue().startswith("line 0\n")  # everything was shown as it came


def test_stream_missing_program() -> None:
    with pytest.raises(CommandNotFound, match="not installed or not on PATH"):
        proc.stream(["kit-no-such-program-xyz"], out=io.StringIO())
