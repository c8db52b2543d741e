"""tests/slurm/daemon_pid.sh: the test cluster's scripts (start, stop, .ci/run) take a PID file
for its daemon only while that PID is the daemon. A PID file that outlived its daemon may name
an unrelated process that reuses the number; stop_cluster.sh once sent it SIGTERM (in CI, the
shell running .ci/run, which then ended with status 143)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, proc_stat

DAEMON_PID = REPO / "tests" / "slurm" / "daemon_pid.sh"


def daemon_pid(pidfile: Path, name: str) -> subprocess.CompletedProcess:
    """Runs the function; it prints nothing on stderr, whatever the answer."""
    result = subprocess.run(
        ["bash", "-c", 'source "$1" && daemon_pid "$2" "$3"', "bash", str(DAEMON_PID), str(pidfile), name],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stderr == "", result.stderr
    return result


@pytest.fixture
def running():
    """A live process whose /proc/PID/comm is 'python3' or similar: its real name is read back."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process.pid, Path(f"/proc/{process.pid}/comm").read_text().strip()
    finally:
        process.kill()
        process.wait()


def test_the_daemon_named_in_its_pid_file_is_found(tmp_path, running):
    pid, name = running
    pidfile = tmp_path / "x.pid"
    pidfile.write_text(f"{pid}\n")
    result = daemon_pid(pidfile, name)
    assert result.returncode == 0 and result.stdout.strip() == str(pid)


def test_a_pid_reused_by_another_program_is_not_the_daemon(tmp_path, running):
    pid, _ = running
    pidfile = tmp_path / "munged.pid"
    pidfile.write_text(f"{pid}\n")
    result = daemon_pid(pidfile, "munged")
    assert result.returncode != 0 and result.stdout == ""


@pytest.mark.parametrize("content", ["", "abc\n", "-1\n", "0 1\n"])
def test_a_pid_file_without_one_pid_names_no_daemon(tmp_path, content):
    pidfile = tmp_path / "slurmd.pid"
    pidfile.write_text(content)
    result = daemon_pid(pidfile, "slurmd")
    assert result.returncode != 0 and result.stdout == ""


def test_a_missing_pid_file_or_an_ended_process_names_no_daemon(tmp_path):
    assert daemon_pid(tmp_path / "absent.pid", "slurmctld").returncode != 0
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pidfile = tmp_path / "slurmctld.pid"
    pidfile.write_text(ended.stdout)
    assert daemon_pid(pidfile, "python3").returncode != 0


def test_a_daemon_that_ended_unreaped_is_not_running(tmp_path, running):
    pid, name = running
    os.kill(pid, signal.SIGKILL)  # the fixture reaps it only at teardown, after the check
    for _ in range(200):  # the kernel makes it a zombie at once
        if proc_stat(pid)[0] == "Z":
            break
        time.sleep(0.01)
    pidfile = tmp_path / "slurmctld.pid"
    pidfile.write_text(f"{pid}\n")
    result = daemon_pid(pidfile, name)
    assert proc_stat(pid)[0] == "Z"  # still unreaped when checked
    assert result.returncode != 0 and result.stdout == ""
