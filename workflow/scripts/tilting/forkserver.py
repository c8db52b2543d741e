"""A fork server for short Python jobs: the heavy imports happen once, each job is a fork.

Why: the SVM sweep is thousands of Snakemake jobs of ~0.4 s each. A fresh interpreter that
imports numpy and this package costs ~0.1 s of CPU per job, a quarter of the sweep. Here a
job's process is a client that imports only the standard library (~20 ms): it hands its
arguments, working directory and stdin/stdout/stderr to a server that already has the job's
module imported; the server forks, the child runs the job with the client's file
descriptors and reports its exit status, and the client exits with that status.

* One server per user, host, batch job, Python, job module and version of this package's
  sources: editing the code starts a new server; the old one idles out.
* The server exits after ``IDLE_SECONDS`` (env ``BOUNDARY_TILTING_FORK_SERVER_IDLE``) without
  a request. It runs in its own session, with stdin/stdout on /dev/null and stderr in a log
  beside its socket, so it never holds a caller's pipe or terminal open.
* A client that dies (SIGTERM, SIGINT, SIGHUP, even SIGKILL) takes its job down: the client
  forwards the signal, and the child exits as soon as the client's end of the connection
  closes.
* The server only saves time: if it cannot be reached or started, the client runs the job in
  a fresh interpreter (as if ``BOUNDARY_TILTING_FORK_SERVER=0``, which also turns it off).

A job module defines ``run(argv)`` (the job; ``sys.exit`` codes are passed on) and may define
``preload(argv)``, called in the server before the fork (e.g. to keep input data in memory
across jobs; it must not raise for bad input: ``run`` reports that).

This module imports only the standard library and nothing slow: the client runs it under
``python -S``.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys

ENABLE_ENV = "BOUNDARY_TILTING_FORK_SERVER"  # "0" runs every job in a fresh interpreter
IDLE_ENV = "BOUNDARY_TILTING_FORK_SERVER_IDLE"  # seconds a server waits for the next request
DIR_ENV = "BOUNDARY_TILTING_FORK_SERVER_DIR"  # folder of the sockets (default: per-user in /tmp)
IDLE_SECONDS = 60.0
START_TIMEOUT = 30.0  # seconds a client waits for a server it started
HANDSHAKE_TIMEOUT = 30.0  # seconds a client waits for a server to take its job
_INT = struct.Struct(">i")
_FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)  # from a client to its job
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class ServerUnavailable(RuntimeError):
    """No server could be reached or started; the caller runs the job itself."""


# ----------------------------------------------------------------------------- client


def enabled() -> bool:
    return os.environ.get(ENABLE_ENV, "1") != "0"


def socket_dirs() -> list[str]:
    """Where a server's socket may live, in order: the first folder that is private to this user.

    The per-user runtime folder comes first (private by design); a world-writable /tmp, where
    another user may have created the folder first, comes next; the home folder's cache last.
    """
    if os.environ.get(DIR_ENV):
        return [os.environ[DIR_ENV]]
    folders = []
    if os.environ.get("XDG_RUNTIME_DIR"):
        folders.append(os.path.join(os.environ["XDG_RUNTIME_DIR"], "boundary-tilting"))
    folders.append(os.path.join(os.environ.get("TMPDIR") or "/tmp", f"boundary-tilting-{os.getuid()}"))
    folders.append(os.path.join(os.path.expanduser("~"), ".cache", "boundary-tilting"))
    return folders


def server_key(module: str) -> str:
    """Names the server: host, batch job, Python, job module, and this package's sources.

    The host and the SLURM job and step ids keep a job inside its own allocation (its CPUs, its
    memory limit, its lifetime); the size and mtime of each source file start a new server when
    the code changes.
    """
    import zlib

    slurm = (os.environ.get("SLURM_JOB_ID", ""), os.environ.get("SLURM_STEP_ID", ""))
    parts = [socket.gethostname(), *slurm, sys.executable, module]
    with os.scandir(_PACKAGE_DIR) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                info = entry.stat()
                parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    text = "\n".join(parts).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


def run(module: str, argv: list[str], script: str) -> None:
    """Run job ``module`` with ``argv`` through its server (started if needed); exit with its status.

    ``script`` is the calling script: the fallback runs it again in a fresh interpreter with
    the server turned off. Only a job that no server has started falls back, so a job never
    runs twice.
    """
    if enabled():
        try:
            code = _request(module, argv)
        except ServerUnavailable as err:
            print(f"fork server unavailable ({err}); running the job in a fresh interpreter", file=sys.stderr)
        else:
            sys.exit(code)
    if sys.flags.no_site:  # started as `python -S`: site-packages (numpy) are not importable here
        env = dict(os.environ, **{ENABLE_ENV: "0"})
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, script, *argv], env)
    import importlib

    job = importlib.import_module(module)
    job.run(argv)
    sys.exit(0)


def _request(module: str, argv: list[str]) -> int:
    """The job's exit status; ServerUnavailable while no server has taken the job."""
    folder = _private_folder()
    path = os.path.join(folder, server_key(module) + ".sock")
    if len(os.fsencode(path)) > 100:  # sun_path holds 108 bytes
        raise ServerUnavailable(f"socket path too long for a Unix socket: {path}")
    payload = b"\0".join(os.fsencode(part) for part in [os.getcwd(), *argv])
    for _ in range(3):
        connection = _connect_or_start(module, path)
        try:
            # a server answers with its child's pid at once; one that does not is stuck
            connection.settimeout(HANDSHAKE_TIMEOUT)
            socket.send_fds(connection, [_INT.pack(len(payload)) + payload], [0, 1, 2])
            header = _receive_exactly(connection, _INT.size)
        except OSError:
            header = None
        if header is None:  # the server went away (idle exit) or is stuck: try again
            connection.close()
            continue
        (child,) = _INT.unpack(header)
        connection.settimeout(None)  # the job itself may take as long as it needs

        def forward(signum, frame):
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os._exit(128 + signum)

        for signum in _FORWARDED_SIGNALS:
            signal.signal(signum, forward)
        try:
            status = _receive_exactly(connection, _INT.size)
        except OSError:
            status = None
        for signum in _FORWARDED_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)  # the child's pid may be reused from now on
        if status is None:
            print(f"ERROR: fork server: job process {child} ended without an exit status", file=sys.stderr)
            return 1
        return _INT.unpack(status)[0]
    raise ServerUnavailable(f"{path} did not take the job in three tries")


def _private_folder() -> str:
    """The first of socket_dirs() that is, or can be made, a folder only this user can use."""
    reasons = []
    for folder in socket_dirs():
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError as err:
            reasons.append(f"cannot create {folder}: {err.strerror}")
            continue
        if info.st_uid == os.getuid() and not (info.st_mode & 0o077) and os.path.isdir(folder) and not os.path.islink(folder):
            return folder
        reasons.append(f"{folder} is not a private folder of this user (mode 700)")
    raise ServerUnavailable("; ".join(reasons))


def _connect(path: str) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        # the job hands over its stdin/stdout/stderr: only to a server of this very user
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", credentials)
    except OSError:  # no such file, or a stale socket nobody listens on
        connection.close()
        return None
    if uid != os.getuid():
        connection.close()
        raise ServerUnavailable(f"{path} belongs to another user")
    return connection


def _connect_or_start(module: str, path: str) -> socket.socket:
    connection = _connect(path)
    if connection is not None:
        return connection
    import fcntl
    import time

    try:
        # one client at a time starts the server; the others wait here, then connect
        with open(path[: -len(".sock")] + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            connection = _connect(path)
            if connection is not None:
                return connection
            try:
                os.unlink(path)  # a stale socket: its server is gone
            except FileNotFoundError:
                pass
            server = _spawn_server(module, path)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                connection = _connect(path)
                if connection is not None:
                    return connection
                if server.poll() is not None:  # it died starting (e.g. an import failed): no use waiting
                    raise ServerUnavailable(
                        f"the server for {module} exited with status {server.returncode} (see {path[:-5]}.log)"
                    )
                time.sleep(0.01)
    except OSError as err:  # e.g. a folder where the socket belongs
        raise ServerUnavailable(f"cannot start a server at {path}: {err}") from None
    raise ServerUnavailable(f"the server for {module} did not start within {START_TIMEOUT:.0f} s (see {path[:-5]}.log)")


def _spawn_server(module: str, path: str):
    import subprocess

    # one BLAS thread, whatever the caller asked for: a fork keeps no BLAS worker threads, and each
    # job has one core; set before the server imports numpy, inherited by every fork
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    boot = "import sys; sys.path.insert(0, sys.argv[1]); from tilting.forkserver import serve; serve(*sys.argv[2:])"
    with open(path[: -len(".sock")] + ".log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", boot, os.path.dirname(_PACKAGE_DIR), module, path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            close_fds=True,
            start_new_session=True,  # not in the job's process group: Snakemake's kill spares it
        )


def _receive_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


# ----------------------------------------------------------------------------- server


def serve(module: str, path: str) -> None:
    """Accept job requests on the Unix socket ``path`` until idle; fork one child per job."""
    import importlib

    job = importlib.import_module(module)
    idle = float(os.environ.get(IDLE_ENV, IDLE_SECONDS))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)  # the starting client holds the lock and removed any stale socket
    identity = os.stat(path).st_ino
    listener.listen(128)
    listener.settimeout(idle)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _fork_each_connection(job, listener, until=TimeoutError)  # idle for `idle` seconds
    # idle: leave the name to a new server first, then serve whoever connected meanwhile
    try:
        if os.stat(path).st_ino == identity:
            os.unlink(path)
    except FileNotFoundError:
        pass
    listener.setblocking(False)
    _fork_each_connection(job, listener, until=BlockingIOError)  # nobody left waiting
    listener.close()


def _fork_each_connection(job, listener: socket.socket, until: type[OSError]) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except until:
            return
        _fork_job(job, listener, connection)


def _fork_job(job, listener: socket.socket, connection: socket.socket) -> None:
    connection.setblocking(True)
    connection.settimeout(10.0)  # a client sends its request at once
    fds: list[int] = []
    try:
        data, fds, _, _ = socket.recv_fds(connection, 65536, 3)
        if len(fds) != 3 or len(data) < _INT.size:
            raise OSError("malformed request")
        (size,) = _INT.unpack(data[: _INT.size])
        while len(data) < _INT.size + size:
            chunk = connection.recv(65536)
            if not chunk:
                raise OSError("truncated request")
            data += chunk
    except OSError as err:
        print(f"fork server: dropped a request: {err}", file=sys.stderr)
        for fd in fds:  # a client's pipes must not stay open here
            os.close(fd)
        connection.close()
        return
    connection.settimeout(None)
    cwd, *argv = (os.fsdecode(part) for part in data[_INT.size :].split(b"\0"))
    preload = getattr(job, "preload", None)
    if preload is not None:
        try:
            os.chdir(cwd)  # relative paths in argv are the client's
            preload(argv)
        except (Exception, SystemExit) as err:  # the job itself reports bad input (argparse exits)
            print(f"fork server: preload failed: {err!r}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            listener.close()
            code = _run_child(job, connection, fds, cwd, argv)
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    connection.close()


def _run_child(job, connection: socket.socket, fds: list[int], cwd: str, argv: list[str]) -> int:
    import threading
    import traceback

    for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    connection.sendall(_INT.pack(os.getpid()))
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(cwd)

    def watch_client():  # the client sends nothing more: EOF means it is gone
        try:
            connection.recv(1)
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch_client, daemon=True).start()
    sys.argv = ["job", *argv]
    code = 0
    try:
        job.run(argv)
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(_INT.pack(code))
    return code
