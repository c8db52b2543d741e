#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (Debian/Ubuntu, as root) for the
# SLURM workflow test (tests/workflow/test_slurm.py); see the README, "Testing with a local single-node SLURM".
#
#   bash tests/slurm/start_cluster.sh      # idempotent: a running cluster is only waited on
#   bash tests/slurm/stop_cluster.sh       # stops the daemons by their PID files
#
# Steps: install slurmctld/slurmd/slurm-client/munge with apt-get if missing (root only),
# start munged, write /etc/slurm/slurm.conf for this host (hostname, nproc, memory), start
# slurmctld and slurmd, wait (bounded) until `sinfo` shows the node idle.
# No accounting database: the workflow must use `--slurm-status-command squeue`, and
# MinJobAge is large so that finished jobs stay visible to squeue.
#
# Environment: SLURM_START_TIMEOUT (seconds to wait for the idle node, default 90).
# Exit status: 0 cluster idle; 1 failure (message on stderr); 2 cannot start here
# (SLURM missing and not root / no apt-get) -- the test then skips with that reason.
set -euo pipefail

TIMEOUT=${SLURM_START_TIMEOUT:-90}
CONF=/etc/slurm/slurm.conf
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
LOGDIR=/var/log/slurm
NODE=$(hostname -s)

say() { echo "start_cluster: $*"; }
die() { echo "start_cluster: ERROR: $*" >&2; exit "${2:-1}"; }

# shellcheck source=tests/slurm/daemon_pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon_pid.sh"

alive() { # alive PIDFILE: the daemon PIDFILE belongs to runs (a stale PIDFILE is removed)
    local name
    name=$(basename "$1" .pid)
    daemon_pid "$1" "$name" >/dev/null && return 0
    rm -f "$1"
    return 1
}

node_state() { # the node's state as sinfo prints it (idle, mixed, down*, ...), or nothing
    timeout 10 sinfo --noheader --nodes="$NODE" --format=%T 2>/dev/null | head -n1 || true
}

wait_idle() { # wait until the node is idle; jobs still running count as not idle
    local deadline=$((SECONDS + TIMEOUT)) state=""
    while ((SECONDS < deadline)); do
        state=$(node_state)
        case $state in
            idle) say "node $NODE idle"; sinfo; return 0 ;;
            down* | drain* | fail*)
                # e.g. left down by an earlier run; ReturnToService=2 usually clears it
                scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 1
    done
    echo "start_cluster: ERROR: node $NODE not idle after ${TIMEOUT}s (state: '${state:-no answer}')" >&2
    sinfo >&2 || true
    tail -n 20 "$LOGDIR/slurmctld.log" "$LOGDIR/slurmd.log" >&2 2>/dev/null || true
    exit 1
}

# ---- already running: only wait ------------------------------------------------
if command -v sinfo >/dev/null && alive "$CTLD_PID" && alive "$SLURMD_PID"; then
    say "slurmctld and slurmd already running"
    wait_idle
    exit 0
fi

# ---- packages --------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sinfo >/dev/null || ! command -v munged >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        die "SLURM is not installed and we are not root: cannot install it" 2
    fi
    command -v apt-get >/dev/null || die "SLURM is not installed and there is no apt-get" 2
    say "installing slurmctld slurmd slurm-client munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
[[ $(id -u) -eq 0 ]] || die "SLURM is installed but not running, and starting it needs root" 2

# ---- munge -------------------------------------------------------------------------
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if [[ ! -s /etc/munge/munge.key ]]; then
    say "creating /etc/munge/munge.key"
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 600 /etc/munge/munge.key
fi
if ! alive "$MUNGE_PID"; then
    say "starting munged"
    /usr/sbin/munged --force 2>/dev/null || die "munged did not start"
fi
for _ in $(seq 20); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.5
done
munge -n | unmunge >/dev/null || die "munge credentials do not round-trip (munge -n | unmunge)"

# ---- slurm.conf --------------------------------------------------------------------
NCPUS=$(nproc)
MEM_TOTAL_MB=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
# a little under the machine's memory (slurmd drains a node that reports less than this)
MEM_MB=$((MEM_TOTAL_MB - MEM_TOTAL_MB / 20 - 256))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOGDIR"
cat >"$CONF" <<EOF
# Written by tests/slurm/start_cluster.sh: a single-node cluster for the workflow tests.
ClusterName=local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# finished jobs stay visible to squeue (the status command without accounting)
MinJobAge=600
ReturnToService=2
MpiDefault=none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$NCPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
say "wrote $CONF (node $NODE, $NCPUS CPUs, $MEM_MB MB)"

# ---- daemons -----------------------------------------------------------------------
if ! alive "$CTLD_PID"; then
    say "starting slurmctld"
    /usr/sbin/slurmctld || die "slurmctld did not start (see $LOGDIR/slurmctld.log)"
fi
if ! alive "$SLURMD_PID"; then
    say "starting slurmd"
    /usr/sbin/slurmd || die "slurmd did not start (see $LOGDIR/slurmd.log)"
fi
wait_idle
