#!/usr/bin/env bash
# How the files in tests/data/slurm/ were captured: real output of Debian's
# slurm-wlm 22.05.8 on the one-node cluster of scripts/slurm-up.sh (as root).
# Rerunning it overwrites the captures; the parser tests assert on the values
# in the committed files (job ids, states, exit codes), so update them together.
# Run it on an idle cluster (make slurm-down; rm -rf /var/tmp/kit-slurm/spool; make slurm-up)
# so the job ids start at 1 and no other job changes which jobs wait.
set -euo pipefail
out="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$(mktemp -d /tmp/slurm-capture.XXXXXX)
cd "$work"
mkdir logs
FMT='%i|%P|%u|%T|%M|%l|%D|%R|%j'
job() {  # job NAME SCRIPT-BODY [SBATCH-LINES...]
    local name=$1 body=$2; shift 2
    { echo '#!/bin/bash'; echo "#SBATCH --job-name $name"; echo "#SBATCH --output logs/%x-%j.log"
      echo "#SBATCH --error logs/%x-%j.err"; for l in "$@"; do echo "#SBATCH $l"; done; echo "$body"; } >"$name.sbatch"
    sbatch --parsable "$name.sbatch"
}
# until JOBID STATE...: wait (at most 120 s) until the job is in one of the states.
until_state() {
    local id=$1 i; shift
    for ((i = 0; i < 600; i++)); do
        [[ " $* " == *" $(squeue -h -t all -j "$id" -o %T) "* ]] && return 0
        sleep 0.2
    done
    echo "job $id never reached $*" >&2; exit 1
}
sbatch --version >"$out/sbatch_version.txt"
T=$(job timeout 'echo sleeping; sleep 300' '--time 1')
job hello 'echo "Hello Slurm!"' >"$out/sbatch_parsable.txt"
H=$(cat "$out/sbatch_parsable.txt")
F=$(job fail3 'echo start; echo oops >&2; exit 3')
G=$(job gpu 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"' '--gpus tesla:1')
{ echo '#!/bin/bash'; echo '#SBATCH --job-name nologdir'; echo '#SBATCH --output missing/%x-%j.log'; echo 'echo hi'; } >nologdir.sbatch
N=$(sbatch --parsable nologdir.sbatch)
# A name with a space: `sacct -c` splits it (and loses the state); the jobcomp line keeps it.
{ echo '#!/bin/bash'; echo "#SBATCH --job-name 'two words'"; echo '#SBATCH --output logs/%x-%j.log'; echo 'echo hi'; } >twowords.sbatch
S=$(sbatch --parsable twowords.sbatch)
job gpu99 'echo hi' '--gpus tesla:99' 2>"$out/sbatch_gpus_unavailable.stderr" || true
job gpua100 'echo hi' '--gpus a100:1' 2>"$out/sbatch_gpus_badtype.stderr" || true
job gresbad 'echo hi' '--gres gpu:tesla:1:x' 2>"$out/sbatch_gres_invalid.stderr" || true
for id in "$H" "$F" "$G" "$N" "$S"; do until_state "$id" COMPLETED FAILED; done
for pair in "completed:$H" "failed:$F" "launch_failed:$N" "gpu:$G"; do
    scontrol show job -o "${pair#*:}" >"$out/scontrol_${pair%%:*}.txt"
done
# The timeout job holds one core: one more running job fills the node, the next waits.
R=$(job running 'sleep 300')
P=$(job pending 'sleep 300')
until_state "$R" RUNNING
sleep 1
squeue -h -t all -o "$FMT" >"$out/squeue_active.txt"
scontrol show job -o "$R" >"$out/scontrol_running.txt"
scontrol show job -o "$P" >"$out/scontrol_pending.txt"
scancel "$R" "$P"
until_state "$R" CANCELLED
scontrol show job -o "$R" >"$out/scontrol_cancelled.txt"
scontrol show job -o 999999 2>"$out/scontrol_invalid.stderr" || true
squeue -h -t all -j 999999 -o "$FMT" 2>"$out/squeue_invalid.stderr" || true
sinfo -h -o '%G' >"$out/sinfo_gres.txt"
sinfo -o '%P %G' >"$out/sinfo_partition_gres.txt"
scontrol show config >"$out/scontrol_show_config.txt"
# Wait for the time limit (checked about every 30 s).
while [[ $(squeue -h -j "$T" -o %T) == RUNNING ]]; do sleep 2; done
sleep 1
scontrol show job -o "$T" >"$out/scontrol_timeout.txt"
squeue -h -t all -o "$FMT" >"$out/squeue_all.txt"
sacct -j "$H" 2>"$out/sacct_disabled.stderr" || true
sacct -c -P -o JobID,JobName,State,ExitCode,Start,End,NodeList,WorkDir -j "$H,$F,$R,$N,$T,$G,$S" \
    >"$out/sacct_completion.txt" 2>"$out/sacct_completion.stderr"
grep -E "^JobId=($H|$F|$R|$N|$T|$G|$S) " "$(scontrol show config | sed -n 's/^JobCompLoc *= *//p')" >"$out/jobcomp.txt"
sed -i "s|$work|/tmp/capture|g" "$out"/*.txt
rm -rf "$work"
echo "captured into $out"
