# Shared by scripts/slurm-up.sh and scripts/slurm-down.sh (sourced, not run).
#
# The one-node cluster keeps its config, spool, logs and PID records in one
# state folder outside the project tree, so `make clean` (rm -rf build) cannot
# pull the config from under running daemons or lose the PIDs slurm-down needs.

KIT_SLURM_DIR="${KIT_SLURM_DIR:-/var/tmp/kit-slurm}"
CONF="$KIT_SLURM_DIR/etc/slurm.conf"
RUN_DIR="$KIT_SLURM_DIR/run"
LOG_DIR="$KIT_SLURM_DIR/log"
# Clients (sbatch, squeue, ...) look for /etc/slurm/slurm.conf; we point it at
# our config with a symlink and record that we made it.
SYSTEM_CONF=/etc/slurm/slurm.conf

say() { printf 'slurm: %s\n' "$*"; }
die() { printf 'slurm: error: %s\n' "$1" >&2; [[ $# -gt 1 ]] && printf 'slurm: what to do: %s\n' "$2" >&2; exit 1; }

# recorded_pid NAME: print the PID slurm-up recorded for daemon NAME if that
# process is still alive and still that program (guards against PID reuse).
recorded_pid() {
    local name=$1 file="$RUN_DIR/$1.pid" pid comm
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name" ]] || return 1
    printf '%s\n' "$pid"
}

# stop_recorded NAME: stop the daemon slurm-up started (TERM, then KILL after 10 s).
stop_recorded() {
    local name=$1 pid i
    if pid=$(recorded_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            [[ -d /proc/$pid ]] || break
            sleep 0.1
        done
        if [[ -d /proc/$pid ]]; then
            say "$name ($pid) ignored SIGTERM for 10 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$RUN_DIR/$name.pid"
}

# our_symlink: true when /etc/slurm/slurm.conf is the link slurm-up made.
our_symlink() {
    [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") == "$CONF" ]]
}
