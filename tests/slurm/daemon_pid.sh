# Sourced by start_cluster.sh, stop_cluster.sh and .ci/run.
#
# daemon_pid PIDFILE NAME: prints the PID written in PIDFILE if that process runs and is the
# daemon NAME (its /proc/PID/comm), else fails. A PID file that outlived its daemon (a crash,
# a machine image saved while the cluster ran) may hold the number of an unrelated process
# that runs now -- even the shell that calls us -- which must never be taken for the daemon
# or sent a signal.
daemon_pid() {
    local pidfile=$1 name=$2 pid comm stat
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name" ]] || return 1
    # a daemon that ended but is not yet reaped (a zombie) no longer runs
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != [ZX] ]] || return 1
    echo "$pid"
}
