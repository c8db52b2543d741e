"""tilting.forkserver: jobs forked from one server behave like jobs in their own process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import alive

from tilting import forkserver

SCRIPTS = Path(__file__).resolve().parents[2] / "workflow" / "scripts"

# A job module for the server: what it does depends on argv[0].
TOY_JOB = '''
import json, os, sys, time

PRELOADS = 0


def preload(argv):
    global PRELOADS
    if argv[0] == "bad-preload":
        sys.exit(2)  # e.g. argparse on a bad command line: must not end the server
    PRELOADS += 1  # runs in the server: the count grows from job to job


def run(argv):
    action = argv[0]
    if action == "info":
        print("to stdout")
        print("to stderr", file=sys.stderr)
        with open(argv[1], "w") as handle:
            json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": argv,
                       "preloads": PRELOADS}, handle)
    elif action == "exit":
        sys.exit(int(argv[1]))
    elif action == "raise":
        raise RuntimeError("boom in the job")
    elif action == "bad-preload":
        print("job ran")
    elif action == "sleep":
        with open(argv[1], "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(60)
'''

CLIENT = f"""
import sys
sys.path.insert(0, {str(SCRIPTS)!r})
from tilting import forkserver
forkserver.run("toy_job", sys.argv[1:], script=__file__)
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """(client script, environment) with a private server folder and the toy job importable."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "toy_job.py").write_text(TOY_JOB)
    (code / "client.py").write_text(CLIENT)
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"fs-test-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir(mode=0o700)
    env = dict(
        os.environ,
        PYTHONPATH=str(code),
        **{forkserver.DIR_ENV: str(folder), forkserver.IDLE_ENV: "20", forkserver.ENABLE_ENV: "1"},
    )
    yield code / "client.py", env
    for pid in server_pids(folder):  # do not leave the test's servers running
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def server_pids(folder: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(folder) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(proc.name))
            except OSError:
                pass
    return pids


def run_client(client, env, *argv, cwd=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-S", str(client), *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(condition, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_jobs_run_in_forks_of_one_server_with_the_clients_cwd_and_output(toy, tmp_path):
    client, env = toy
    workdir = tmp_path / "work"
    workdir.mkdir()
    infos = []
    for k in range(2):
        out = tmp_path / f"info{k}.json"
        result = run_client(client, env, "info", str(out), "--flag", "a b", cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "to stdout\n" and result.stderr == "to stderr\n"  # the client's own pipes
        infos.append(json.loads(out.read_text()))
    first, second = infos
    assert first["cwd"] == second["cwd"] == str(workdir)
    assert first["argv"] == ["info", str(tmp_path / "info0.json"), "--flag", "a b"]
    assert first["ppid"] == second["ppid"]  # one server forked both jobs
    assert first["pid"] != second["pid"] and first["ppid"] not in (first["pid"], os.getpid())
    assert (first["preloads"], second["preloads"]) == (1, 2)  # the server keeps preloaded state


def test_exit_status_and_exceptions_reach_the_client(toy):
    client, env = toy
    assert run_client(client, env, "exit", "3").returncode == 3
    assert run_client(client, env, "exit", "0").returncode == 0
    failed = run_client(client, env, "raise")
    assert failed.returncode == 1
    assert "RuntimeError: boom in the job" in failed.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_client_ends_its_job(toy, tmp_path, signum):
    client, env = toy
    run_client(client, env, "exit", "0")  # start the server first: the job below starts at once
    pid_file = tmp_path / "job.pid"
    process = subprocess.Popen([sys.executable, "-S", str(client), "sleep", str(pid_file)], env=env)
    try:
        assert wait_until(lambda: pid_file.exists() and pid_file.read_text() != "")
        job = int(pid_file.read_text())
        assert job != process.pid and alive(job)
        process.send_signal(signum)
        process.wait(timeout=10)
        assert wait_until(lambda: not alive(job), 10), "the job outlived its client"
    finally:
        process.kill()
        process.wait()


def test_turned_off_the_job_runs_in_the_clients_own_process(toy, tmp_path):
    client, env = toy
    out = tmp_path / "info.json"
    process = subprocess.Popen(
        [sys.executable, "-S", str(client), "info", str(out)], env=dict(env, **{forkserver.ENABLE_ENV: "0"})
    )
    assert process.wait(timeout=60) == 0
    info = json.loads(out.read_text())
    assert info["pid"] == process.pid  # re-executed in place (exec keeps the pid), no server
    assert info["preloads"] == 0


def test_unusable_server_folder_falls_back_to_a_fresh_interpreter(toy, tmp_path):
    client, env = toy
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)  # open to others: anyone could have put a socket there
    # a listener under the exact name the client would use: it must not get the job's stdio
    env_key = dict(env, **{forkserver.DIR_ENV: str(shared)})
    key = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(SCRIPTS)!r}); "
         "from tilting import forkserver; print(forkserver.server_key('toy_job'))"],
        env=env_key, capture_output=True, text=True, check=True,
    ).stdout.strip()
    impostor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    impostor.bind(str(shared / f"{key}.sock"))
    impostor.listen(8)
    impostor.setblocking(False)
    out = tmp_path / "info.json"
    process = subprocess.Popen(
        [sys.executable, "-S", str(client), "info", str(out)],
        env=dict(env, **{forkserver.DIR_ENV: str(shared)}),
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "fork server unavailable" in stderr and "private folder" in stderr
    assert json.loads(out.read_text())["pid"] == process.pid
    with pytest.raises(BlockingIOError):
        impostor.accept()  # nobody connected
    impostor.close()


def test_a_server_that_dies_starting_is_given_up_at_once(toy, tmp_path):
    client, env = toy
    code = Path(env["PYTHONPATH"])
    (code / "toy_job.py").write_text("raise ImportError('this job module is broken')\n")
    result = run_client(client, env, "info", str(tmp_path / "info.json"))
    assert result.returncode != 0  # the fresh interpreter cannot import it either
    # given up because it exited, not after waiting START_TIMEOUT for it ("did not start within")
    assert "fork server unavailable" in result.stderr and "exited with status" in result.stderr
    assert "this job module is broken" in result.stderr


def test_a_failing_preload_leaves_the_server_running(toy, tmp_path):
    client, env = toy
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert run_client(client, env, "info", str(first)).returncode == 0
    result = run_client(client, env, "bad-preload")
    assert result.returncode == 0 and result.stdout == "job ran\n"
    assert run_client(client, env, "info", str(second)).returncode == 0
    assert json.loads(first.read_text())["ppid"] == json.loads(second.read_text())["ppid"]


def test_idle_server_exits_and_a_stale_socket_is_replaced(toy, tmp_path):
    client, env = toy
    env = dict(env, **{forkserver.IDLE_ENV: "1"})
    out = tmp_path / "info.json"
    assert run_client(client, env, "info", str(out)).returncode == 0
    server = json.loads(out.read_text())["ppid"]
    folder = Path(env[forkserver.DIR_ENV])
    sockets = list(folder.glob("*.sock"))
    assert len(sockets) == 1
    assert wait_until(lambda: not alive(server), 10), "the server did not exit when idle"
    assert not sockets[0].exists()  # it removed its socket
    # a socket file nobody listens on (a server that was killed) is replaced
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sockets[0]))
    stale.close()
    assert sockets[0].exists()
    result = run_client(client, env, "info", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["ppid"] not in (server, os.getpid())


def test_server_key_follows_the_sources_host_and_batch_job(tmp_path, monkeypatch):
    package = tmp_path / "tilting"
    package.mkdir()
    (package / "svm.py").write_text("x = 1\n")
    monkeypatch.setattr(forkserver, "_PACKAGE_DIR", str(package))
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.delenv("SLURM_STEP_ID", raising=False)
    key = forkserver.server_key("tilting.svm_fit_job")
    assert key == forkserver.server_key("tilting.svm_fit_job")
    assert key != forkserver.server_key("other_job")
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    in_job = forkserver.server_key("tilting.svm_fit_job")
    assert in_job != key  # one server per allocation...
    monkeypatch.setenv("SLURM_STEP_ID", "3")
    assert forkserver.server_key("tilting.svm_fit_job") not in (key, in_job)  # ...and job step
    monkeypatch.delenv("SLURM_JOB_ID")
    monkeypatch.delenv("SLURM_STEP_ID")
    (package / "svm.py").write_text("x = 22\n")  # an edit: new size (and mtime)
    assert forkserver.server_key("tilting.svm_fit_job") != key


def test_a_folder_at_the_socket_path_falls_back_without_a_traceback(toy, tmp_path):
    client, env = toy
    folder = Path(env[forkserver.DIR_ENV])
    key = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(SCRIPTS)!r}); "
         "from tilting import forkserver; print(forkserver.server_key('toy_job'))"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    (folder / f"{key}.sock").mkdir()
    out = tmp_path / "info.json"
    result = run_client(client, env, "info", str(out))
    assert result.returncode == 0, result.stderr
    assert "fork server unavailable" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(out.read_text())["argv"] == ["info", str(out)]


def test_a_folder_others_can_write_to_is_passed_over(tmp_path, monkeypatch):
    """Someone created the shared /tmp folder first: the next private candidate serves."""
    runtime, tmp = tmp_path / "runtime", tmp_path / "tmp"
    runtime.mkdir()
    (runtime / "boundary-tilting").mkdir(mode=0o777)
    (runtime / "boundary-tilting").chmod(0o777)
    tmp.mkdir()
    monkeypatch.delenv(forkserver.DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("TMPDIR", str(tmp))
    folder = forkserver._private_folder()
    assert folder == str(tmp / f"boundary-tilting-{os.getuid()}")
    assert (os.stat(folder).st_mode & 0o777) == 0o700


def test_a_server_that_never_answers_is_given_up(tmp_path, monkeypatch):
    """A listener that takes no job (stuck, or not a server at all): the client gives up."""
    folder = tmp_path / "servers"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(forkserver.DIR_ENV, str(folder))
    monkeypatch.setattr(forkserver, "HANDSHAKE_TIMEOUT", 0.2)
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.bind(str(folder / f"{forkserver.server_key('toy_job')}.sock"))
    stuck.listen(8)  # connections wait in the backlog; nobody ever answers
    with pytest.raises(forkserver.ServerUnavailable, match="did not take the job"):
        forkserver._request("toy_job", ["info"])
    stuck.close()
