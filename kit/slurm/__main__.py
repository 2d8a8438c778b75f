"""``python -m kit.slurm --run-local ID``: the local executor's watcher for one job."""

import sys

from kit.slurm.local import run_local

if len(sys.argv) == 3 and sys.argv[1] == "--run-local":
    sys.exit(run_local(sys.argv[2]))
sys.exit("usage: python -m kit.slurm --run-local local-N")
