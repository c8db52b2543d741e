"""LeNet training survives a kill -9 of Snakemake alone (the trainer runs on as an orphan):
the same snakemake command run again waits for the orphan instead of training the network a
second time at once, ends with the weights of an uninterrupted run, never retrains from
epoch 1, and its log holds every epoch once."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, SNAKEMAKE, alive, proc_stat, smoke_config

from tilting import lenet, lenet_files, lenet_training
from tilting.data import read_mnist

EPOCHS = 12
TARGET = "results/lenet/low/model.npz"
NET_DIR = "results/lenet/low"
CHECKPOINT_DIR = "logs/lenet/low"  # checkpoint.pt and checkpoint.lock: run state, not results


@pytest.fixture
def workdir(tiny_mnist, tmp_path):
    config = smoke_config(*tiny_mnist)
    config["lenet"].update(epochs=EPOCHS, train_images=None, test_images=None, batch_size=30)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return tmp_path


def command(workdir):
    # The same command before and after the kill. --nolock: a killed Snakemake leaves its
    # lock behind; --rerun-incomplete: it also leaves the job's outputs marked incomplete.
    return [
        *SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--cores",
        "2",
        "--rerun-incomplete",
        "--nolock",
        TARGET,
    ]


ENV = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")


def wait_for(predicate, timeout=240, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def epochs_logged(workdir) -> int:
    log = workdir / "logs" / "lenet" / "low" / "train.log"
    return log.read_text().count(" epoch ") if log.exists() else 0


def trainer_pid(workdir) -> int:
    """The process holding the network's lock (it writes its pid into the lock file)."""
    text = (workdir / CHECKPOINT_DIR / "checkpoint.lock").read_text().strip()
    return int(text)


@pytest.fixture
def orphans():
    """Orphaned trainers a test makes, as (pid, start time); a failed test leaves them running,
    so they are killed at teardown -- only if the pid still names the same process."""
    made: list[tuple[int, str]] = []
    yield made
    for pid, started in made:
        fields = proc_stat(pid)
        if fields is not None and fields[19] == started and alive(pid):
            os.kill(pid, signal.SIGKILL)


def kill_snakemake_during_training(workdir, orphans, after_epochs=3) -> int:
    """Start the command, SIGKILL the Snakemake process alone after a few epochs; returns the
    pid of the orphaned trainer, stopped (SIGSTOP) before Snakemake is killed, so that however
    slow this machine, it cannot finish its few remaining epochs before the test goes on."""
    snakemake = subprocess.Popen(
        command(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True
    )
    try:
        wait_for(lambda: epochs_logged(workdir) >= after_epochs, what=f"{after_epochs} epochs")
        pid = trainer_pid(workdir)
        os.kill(pid, signal.SIGSTOP)
        orphans.append((pid, proc_stat(pid)[19]))
    finally:
        snakemake.send_signal(signal.SIGKILL)
        snakemake.wait(timeout=60)
    assert alive(pid), "the trainer should run on after Snakemake is killed"
    return pid


def uninterrupted(workdir, settings: dict):
    mnist = read_mnist(workdir / "results" / "data" / "mnist.npz")
    return lenet_training.train(mnist, lenet_training.TrainSettings(**settings), threads=1)


def check_outputs_equal_uninterrupted(workdir):
    model, _, saved = lenet_files.load_model(workdir / TARGET)
    reference = uninterrupted(workdir, saved)
    for name in lenet.LAYERS:
        for kind in ("weight", "bias"):
            expected = getattr(reference.model, name).__getattr__(kind).detach()
            assert torch.equal(getattr(getattr(model, name), kind).detach(), expected), f"{name}.{kind}"
    history = pd.read_csv(workdir / NET_DIR / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))
    for column in ("train_error", "train_loss", "test_error", "test_loss"):
        np.testing.assert_array_equal(history[column], [row[column] for row in reference.history], err_msg=column)


def test_rerun_while_the_orphan_trains_waits_for_it_and_resumes(workdir, orphans):
    orphan = kill_snakemake_during_training(workdir, orphans)  # held mid-training until the rerun's job waits
    rerun = subprocess.Popen(command(workdir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    # should the rerun never say it waits, the orphan resumes anyway and the assertion below says so
    release = threading.Timer(240, os.kill, (orphan, signal.SIGCONT))
    release.start()
    try:
        output = []
        for line in rerun.stdout:
            output.append(line)
            if "waiting for it to finish" in line:
                break
        assert f"process {orphan} is training this network" in "".join(output), "".join(output)[-3000:]
    finally:
        release.cancel()
        os.kill(orphan, signal.SIGCONT)
    try:
        output.append(rerun.stdout.read())
        assert rerun.wait(timeout=300) == 0, "".join(output)[-3000:]
    finally:
        rerun.kill()  # a no-op once it has ended
    # The orphan releases the lock as its last step; its exit (torch's teardown) may end a
    # moment after the rerun does.
    wait_for(lambda: not alive(orphan), timeout=60, what="the orphan to end")

    check_outputs_equal_uninterrupted(workdir)
    log = (workdir / "logs" / "lenet" / "low" / "train.log").read_text()
    assert "waited" in log and f"after epoch {EPOCHS}" in log
    assert "0 epochs trained by this job" in log  # the orphan trained every epoch, once
    for epoch in range(1, EPOCHS + 1):
        assert log.count(f" epoch {epoch}/{EPOCHS}:") == 1, log


def test_rerun_after_the_orphan_is_killed_too_resumes_mid_training(workdir, orphans):
    orphan = kill_snakemake_during_training(workdir, orphans)
    os.kill(orphan, signal.SIGKILL)
    wait_for(lambda: not alive(orphan), what="the orphan to die")
    done_epochs = len(torch.load(workdir / CHECKPOINT_DIR / "checkpoint.pt", weights_only=False)["history"])
    assert 3 <= done_epochs < EPOCHS

    rerun = subprocess.run(command(workdir), capture_output=True, text=True, env=ENV, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    check_outputs_equal_uninterrupted(workdir)
    log = (workdir / "logs" / "lenet" / "low" / "train.log").read_text()
    assert f"after epoch {done_epochs}" in log
    assert f"{EPOCHS - done_epochs} epochs trained by this job" in log
    for epoch in range(1, EPOCHS + 1):
        assert log.count(f" epoch {epoch}/{EPOCHS}:") == 1, log
