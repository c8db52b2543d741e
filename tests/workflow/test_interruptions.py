"""A run stopped by Ctrl-C or kill -9 is finished by a plain rerun (after `--unlock` for kill -9),
with the same results as an uninterrupted run, and no file of it left missing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import yaml
from conftest import REPO, SNAKEMAKE, job_counts, run_snakemake, smoke_config


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


def test_every_file_a_job_writes_is_a_target_of_all(tiny_mnist, tmp_path):
    """A run killed after Snakemake removed an output to redo its job (as under --forcerun) leaves
    that file missing while its consumers are up to date. Snakemake remakes such a file only when
    a target asks for it, so every file a job writes is an input of `all` (the study's too)."""
    config = smoke_config(*tiny_mnist)
    config["lenet_study"] = {"weight_decays": [1.0e-4, 1.0e-1], "seeds": [0], "epochs": 1}
    summary = run_snakemake(tmp_path, config, "--summary")
    assert summary.returncode == 0, summary.stderr[-3000:]
    written = {line.split("\t")[0] for line in summary.stdout.splitlines()[1:]}
    expected = ["results/svm/0v1/lam_+1.00.npz", "results/lenet/low/attack/3.npz", "results/data/mnist.npz"]
    assert set(expected) <= written and any(name.startswith("results/lenet_study/wd") for name in written)
    everything = run_snakemake(tmp_path, config, "--dry-run", "--forceall")
    assert everything.returncode == 0, everything.stderr[-3000:]
    block = everything.stdout[everything.stdout.index("rule all:") :]
    targets = set(block.splitlines()[1].strip().removeprefix("input: ").split(", "))
    assert sorted(written - targets) == []


def test_a_missing_model_is_fitted_again_though_its_consumers_are_up_to_date(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    (workdir / "results/svm/0v1/lam_+1.00.npz").unlink()
    planned = run_snakemake(workdir, yaml.safe_load((workdir / "config.yaml").read_text()), "--dry-run")
    assert planned.returncode == 0, planned.stderr[-3000:]
    assert job_counts(planned.stdout)["svm_fit"] == 1
