#!/usr/bin/env bash
# Stop the single-node cluster of start_cluster.sh: slurmd, slurmctld, munged, each by
# the PID in its PID file (never by process name), and only if that PID is still the daemon
# (daemon_pid.sh). Safe to run when nothing runs.
set -uo pipefail

# shellcheck source=tests/slurm/daemon_pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon_pid.sh"

stop() { # stop NAME PIDFILE
    local name=$1 pidfile=$2 pid
    if [[ ! -s $pidfile ]]; then
        echo "stop_cluster: $name: no PID file ($pidfile)"
        return 0
    fi
    if ! pid=$(daemon_pid "$pidfile" "$name"); then
        echo "stop_cluster: $name: not running (stale $pidfile: PID $(<"$pidfile") is not $name)"
        rm -f "$pidfile"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 50); do
        daemon_pid "$pidfile" "$name" >/dev/null || { echo "stop_cluster: $name ($pid) stopped"; rm -f "$pidfile"; return 0; }
        sleep 0.2
    done
    echo "stop_cluster: $name ($pid) still running after 10 s" >&2
    return 1
}

status=0
stop slurmd /run/slurmd.pid || status=1
stop slurmctld /run/slurmctld.pid || status=1
if [[ ${1:-} != --keep-munge ]]; then
    stop munged /run/munge/munged.pid || status=1
fi
exit $status
