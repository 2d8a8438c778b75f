#!/usr/bin/env bash
# Stop the one-node development cluster started by scripts/slurm-up.sh.
#
#   bash scripts/slurm-down.sh      (or: make slurm-down)
#
# Stops only the daemons slurm-up started, by the PIDs it recorded (a munged or
# Slurm that was already running is left alone), and removes the
# /etc/slurm/slurm.conf link slurm-up made. Config, spool and logs stay in
# $KIT_SLURM_DIR for reading; `make slurm-up` starts again from them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=slurm/common.sh
source "$HERE/slurm/common.sh"

[[ -d $KIT_SLURM_DIR ]] && { exec 9>>"$KIT_SLURM_DIR/lock"; } 2>/dev/null && flock -w 120 9
if [[ $(id -u) != 0 ]]; then
    for name in slurmd slurmctld munged; do
        recorded_pid "$name" >/dev/null && die "stopping the development cluster needs root" "run: sudo make slurm-down"
    done
fi
stopped=0
# Reverse start order: the node, then the controller, then authentication.
for name in slurmd slurmctld munged; do
    if recorded_pid "$name" >/dev/null; then
        stop_recorded "$name"
        stopped=1
    else
        rm -f "$RUN_DIR/$name.pid"
    fi
done
if our_symlink; then
    rm -f "$SYSTEM_CONF"
    say "removed the link $SYSTEM_CONF"
fi
[[ $stopped == 1 ]] || say "nothing to stop: no daemon started by slurm-up is running"
