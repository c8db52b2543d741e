"""A run stopped by Ctrl-C or kill -9 is finished by a plain rerun (after `--unlock` for kill -9),
with the same results as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import yaml
from conftest import REPO, SNAKEMAKE, run_snakemake


def start(workdir: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """Snakemake in ``workdir`` in the background; (process, its output file)."""
    out = workdir / "interrupted.log"
    command = [
        *SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args,
    ]  # fmt: skip
    with out.open("w") as handle:
        env = dict(os.environ, MPLBACKEND="Agg")
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    return process, out


def wait_for_text(path: Path, text: str, process: subprocess.Popen, seconds: float = 300) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if text in path.read_text():
            return True
        time.sleep(0.05)
    return text in path.read_text()


def model_bytes(workdir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(workdir)): p.read_bytes() for p in sorted((workdir / "results" / "svm").rglob("lam_*.npz"))}


def test_ctrl_c_then_a_plain_rerun_finishes_with_the_same_models(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    before = model_bytes(workdir)
    process, out = start(workdir, "--forcerun", "svm_fit")
    assert wait_for_text(out, "rule svm_fit:", process), out.read_text()[-3000:]
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    result = run_snakemake(workdir, config)
    assert result.returncode == 0, result.stderr[-3000:]
    assert model_bytes(workdir) == before


def test_kill_9_then_unlock_and_rerun_finishes_with_the_same_models(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    before = model_bytes(workdir)
    process, out = start(workdir, "--forcerun", "svm_fit")
    assert wait_for_text(out, "rule svm_fit:", process), out.read_text()[-3000:]
    process.kill()
    process.wait(timeout=60)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    locked = run_snakemake(workdir, config)  # the killed run could not remove its lock
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    assert run_snakemake(workdir, config, "--unlock").returncode == 0
    rerun = run_snakemake(workdir, config)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert model_bytes(workdir) == before
