#!/usr/bin/env bash
# Start a one-node Slurm cluster on localhost for development and CI.
#
#   bash scripts/slurm-up.sh        (or: make slurm-up)
#
# Installs Debian's munge/slurmctld/slurmd/slurm-client when missing, writes the
# config into $KIT_SLURM_DIR (default /var/tmp/kit-slurm), links
# /etc/slurm/slurm.conf to it so plain `sbatch`/`squeue` work, starts munged,
# slurmctld and slurmd by hand (there is no systemd here), records their PIDs
# for scripts/slurm-down.sh and waits until the node is idle.
#
# Idempotent: a second run with the same config returns at once; a changed
# config (e.g. GRES, which `scontrol reconfigure` does not apply) restarts the
# daemons this script started. A Slurm that already answers and that this
# script did not start (a real cluster) is left alone.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=slurm/common.sh
source "$HERE/slurm/common.sh"

PARTITION="${KIT_SLURM_PARTITION:-debug}"
PACKAGES=(munge slurmctld slurmd slurm-client)
WAIT_S="${KIT_SLURM_WAIT_S:-60}"

log_tail() {
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n 15 "$f" >&2
    done
}

install_packages() {
    local missing=0 prog
    for prog in munged slurmctld slurmd sbatch; do
        command -v "$prog" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$prog" >/dev/null 2>&1 || missing=1
    done
    [[ $missing == 0 ]] && return 0
    [[ $(id -u) == 0 ]] || die "Slurm is not installed and installing it needs root" \
        "run: sudo apt-get install --no-install-recommends ${PACKAGES[*]}  (then make slurm-up again)"
    say "installing ${PACKAGES[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # Without systemd, the packages' postinst scripts would try to start the
    # daemons through /etc/init.d (and fail the install: there is no config
    # yet). Deny service starts during the install, as container images do.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, from scripts/slurm-up.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    if ! apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; then
        # A fresh image often has no package lists yet; fetch them only then.
        say "apt-get install failed; running apt-get update and trying again"
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    fi
}

ensure_munge_key() {
    [[ -s /etc/munge/munge.key ]] && return 0
    say "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0600 /etc/munge/munge.key
}

# render TEMPLATE: print the template with @...@ filled in from `slurmd -C`.
render() {
    local facts node cpus boards sockets cores threads memory defmem
    facts=$(slurmd -C | head -n 1)
    field() { sed -n "s/.*[[:space:]]$1=\\([^[:space:]]*\\).*/\\1/p" <<<" $facts"; }
    node=$(field NodeName); cpus=$(field CPUs); boards=$(field Boards)
    sockets=$(field SocketsPerBoard); cores=$(field CoresPerSocket)
    threads=$(field ThreadsPerCore); memory=$(field RealMemory)
    [[ -n $node && -n $cpus && -n $memory ]] || die "could not read the node's CPUs and memory from 'slurmd -C': $facts"
    # 1 GiB per CPU by default (less on a small machine), so jobs share the node.
    defmem=$((memory / cpus < 1024 ? memory / cpus : 1024))
    sed -e "s|@NODE@|$node|g" -e "s|@CPUS@|$cpus|g" -e "s|@BOARDS@|${boards:-1}|g" \
        -e "s|@SOCKETS@|${sockets:-1}|g" -e "s|@CORES@|${cores:-$cpus}|g" -e "s|@THREADS@|${threads:-1}|g" \
        -e "s|@MEMORY@|$memory|g" -e "s|@DEF_MEM_PER_CPU@|$defmem|g" -e "s|@PARTITION@|$PARTITION|g" \
        -e "s|@STATE@|$KIT_SLURM_DIR|g" "$1"
}

node_state() {
    sinfo -h -N -o '%T' 2>/dev/null | head -n 1
}

wait_idle() {
    local state="" i
    for ((i = 0; i < WAIT_S * 10; i++)); do
        state=$(node_state || true)
        case $state in
            idle | mixed | allocated | completing) say "node is $state: Slurm is up (config $CONF)"; return 0 ;;
            drain* | down | fail*)
                # A node drained by an earlier unclean stop (e.g. "Kill task failed")
                # stays out of service across restarts; take it back once.
                if ((i == 20)) && [[ $(id -u) == 0 ]]; then
                    say "node is $state; returning it to service (scontrol update state=resume)"
                    scontrol update NodeName="$(sinfo -h -N -o %N | head -n 1)" State=RESUME || true
                fi ;;
        esac
        for d in slurmctld slurmd; do
            recorded_pid "$d" >/dev/null || {
                log_tail "$LOG_DIR/$d.log" "$LOG_DIR/$d.out"
                die "$d exited during start-up (see the log above)" "fix the cause, then run make slurm-up again"
            }
        done
        sleep 0.1
    done
    log_tail "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"
    die "the node did not become idle within ${WAIT_S} s (state: ${state:-no answer})" \
        "read the logs above; make slurm-down && make slurm-up restarts the cluster"
}

# start NAME CMD...: start a daemon in the foreground of its own session,
# detached from this script, and record its PID. The daemon must not inherit fd 9,
# the lock main() holds: a daemon holding it would make every later slurm-up and
# slurm-down wait out `flock -w 120` (the lock is never free while the cluster runs).
start() {
    local name=$1 pid
    shift
    # From /: the daemons outlive this checkout, which may be deleted (jobs would then fail to find their cwd).
    (cd / && exec setsid "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 9>&-) &
    pid=$!
    echo "$pid" >"$RUN_DIR/$name.pid"
    sleep 0.05
    recorded_pid "$name" >/dev/null || {
        sleep 0.5
        log_tail "$LOG_DIR/$name.out" "$LOG_DIR/$name.log"
        die "$name did not start" "read the log above"
    }
    say "started $name (pid $pid)"
}

main() {
    local fresh
    # One slurm-up/slurm-down at a time (make check and a developer may race).
    mkdir -p "$KIT_SLURM_DIR" 2>/dev/null && { exec 9>>"$KIT_SLURM_DIR/lock"; } 2>/dev/null && flock -w 120 9 || true
    # Fast path: our daemons run with the current config.
    if recorded_pid slurmctld >/dev/null && recorded_pid slurmd >/dev/null && our_symlink \
        && command -v slurmd >/dev/null && cmp -s <(render "$HERE/slurm/slurm.conf.in") "$CONF" \
        && cmp -s <(render "$HERE/slurm/gres.conf.in") "${CONF%/*}/gres.conf"; then
        wait_idle
        return 0
    fi
    # Someone else's Slurm (a real cluster, a system service) already answers.
    if ! recorded_pid slurmctld >/dev/null && ! our_symlink && command -v sinfo >/dev/null \
        && [[ -e $SYSTEM_CONF ]] && timeout 15 sinfo -h >/dev/null 2>&1; then
        say "a Slurm cluster not started by this script already answers (sinfo); leaving it alone"
        return 0
    fi
    [[ $(id -u) == 0 ]] || die "starting the development cluster needs root (it runs slurmd)" \
        "run it as root (sudo make slurm-up), or use the local executor (site profile slurm.executor = \"local\")"
    if [[ -e $SYSTEM_CONF ]] && ! our_symlink; then
        die "$SYSTEM_CONF exists and was not written by this script, but no Slurm answers" \
            "this machine has its own Slurm config: start its daemons, or move $SYSTEM_CONF away to use the development cluster"
    fi

    install_packages
    ensure_munge_key
    mkdir -p "$KIT_SLURM_DIR/etc" "$KIT_SLURM_DIR/spool/slurmctld" "$KIT_SLURM_DIR/spool/slurmd" "$RUN_DIR" "$LOG_DIR"

    fresh=$(mktemp)
    render "$HERE/slurm/slurm.conf.in" >"$fresh.slurm"
    render "$HERE/slurm/gres.conf.in" >"$fresh.gres"
    if ! cmp -s "$fresh.slurm" "$CONF" || ! cmp -s "$fresh.gres" "${CONF%/*}/gres.conf"; then
        # GRES and node changes need a daemon restart, not `scontrol reconfigure`.
        stop_recorded slurmd
        stop_recorded slurmctld
        mv "$fresh.slurm" "$CONF"
        mv "$fresh.gres" "${CONF%/*}/gres.conf"
        say "wrote $CONF and gres.conf"
    fi
    rm -f "$fresh" "$fresh.slurm" "$fresh.gres"
    mkdir -p /etc/slurm
    if ! our_symlink; then
        ln -sfn "$CONF" "$SYSTEM_CONF"
        say "linked $SYSTEM_CONF -> $CONF"
    fi

    if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        install -d -o munge -g munge -m 0755 /run/munge
        start munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground
        local i
        for ((i = 0; i < 50; i++)); do
            munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.1
        done
    fi
    recorded_pid slurmctld >/dev/null || start slurmctld /usr/sbin/slurmctld -D -i -f "$CONF"
    recorded_pid slurmd >/dev/null || start slurmd /usr/sbin/slurmd -D -f "$CONF"
    wait_idle
}

main "$@"
