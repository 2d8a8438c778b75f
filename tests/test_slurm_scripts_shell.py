"""scripts/slurm-up.sh: the daemons it starts do not keep its lock (fd 9), so the next call does not wait 120 s."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from kit.sites import PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "scripts"


def test_started_daemons_do_not_inherit_the_lock(tmp_path: Path) -> None:
    # slurm-up's own start() (cut out of the script), run while holding the lock on fd 9 as main() does.
    script = f"""
set -euo pipefail
export KIT_SLURM_DIR={tmp_path}
source {SCRIPTS / "slurm" / "common.sh"}
mkdir -p "$RUN_DIR" "$LOG_DIR"
eval "$(sed -n '/^start() {{/,/^}}/p' {SCRIPTS / "slurm-up.sh"})"
exec 9>>"$KIT_SLURM_DIR/lock"
flock -w 5 9
start sleep sleep 30
"""
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    pid = int((tmp_path / "run" / "sleep.pid").read_text())
    try:
        lock = str(tmp_path / "lock")
        held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        assert lock not in held
        # And so the lock is free for the next slurm-up at once.
        start = time.monotonic()
        again = subprocess.run(["bash", "-c", f"exec 9>>{lock}; flock -w 5 9"], timeout=30)
        assert again.returncode == 0 and time.monotonic() - start < 3
    finally:
        os.kill(pid, 15)
