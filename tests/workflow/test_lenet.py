"""The LeNet stage (method §5) on the smoke run: tables checked against the saved
networks and adversarial images, figures are real images."""

from __future__ import annotations

import json
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, SNAKEMAKE, job_counts, run_snakemake, smoke_config

from tilting import attack, lenet_files
from tilting.data import read_mnist

FIGURES = ["5_lenet_errors", "5_lenet_filters", "5_lenet_adversarial", "5_lenet_perturbation_norms"]


@pytest.fixture(scope="module")
def settings(smoke_run):
    """lenet and attack settings of the smoke run: repo defaults overridden by its config."""
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    smoke = yaml.safe_load((smoke_run / "config.yaml").read_text())
    return {section: {**defaults[section], **smoke.get(section, {})} for section in ("lenet", "attack")}


def test_history_has_one_row_per_epoch(smoke_run, settings):
    lenet_settings = settings["lenet"]
    for net in lenet_settings["networks"]:
        history = pd.read_csv(smoke_run / "results" / "lenet" / net / "history.csv")
        assert list(history.columns) == ["epoch", "train_error", "train_loss", "test_error", "test_loss"]
        assert history["epoch"].tolist() == list(range(1, lenet_settings["epochs"] + 1))
        assert (history["train_loss"] > 0).all()
        # each error is a count over the images used
        for column, key in (("train_error", "train_images"), ("test_error", "test_images")):
            errors = history[column] * lenet_settings[key]
            np.testing.assert_allclose(errors, errors.round(), atol=1e-9)
            assert errors.round().between(0, lenet_settings[key]).all()
        # one log line per epoch; the finished checkpoint stays, holding every epoch
        log = (smoke_run / "logs" / "lenet" / net / "train.log").read_text()
        assert log.count(" epoch ") == lenet_settings["epochs"]
        # trained with the config's thread count (it shapes the weights on the CPU)
        assert f"CPU threads: {lenet_settings['threads']} (lenet.threads" in log
        checkpoint = torch.load(smoke_run / "logs" / "lenet" / net / "checkpoint.pt", weights_only=False)
        assert [row["epoch"] for row in checkpoint["history"]] == history["epoch"].tolist()


def test_test_error_matches_the_saved_network(smoke_run, settings):
    """The last epoch's test error and loss, recomputed from model.npz on the test images."""
    mnist = read_mnist(smoke_run / "results" / "data" / "mnist.npz")
    n = settings["lenet"]["test_images"]
    for net in settings["lenet"]["networks"]:
        model, mean, saved = lenet_files.load_model(smoke_run / "results" / "lenet" / net / "model.npz")
        assert saved["weight_decay"] == settings["lenet"]["networks"][net]
        scores = attack.network_scores(model, mean, mnist.test_images[:n])
        history = pd.read_csv(smoke_run / "results" / "lenet" / net / "history.csv")
        assert np.mean(scores.argmax(1) != mnist.test_labels[:n]) == pytest.approx(history["test_error"].iloc[-1], abs=1e-12)
        loss = torch.nn.functional.cross_entropy(torch.tensor(scores), torch.tensor(mnist.test_labels[:n].astype(np.int64)))
        assert float(loss) == pytest.approx(history["test_loss"].iloc[-1], rel=1e-4)


def test_weights_rms_recomputed_from_the_models(smoke_run, settings):
    table = pd.read_csv(smoke_run / "results" / "lenet" / "weights_rms.csv")
    nets = settings["lenet"]["networks"]
    assert len(table) == 4 * len(nets)
    for net in nets:
        model, _, _ = lenet_files.load_model(smoke_run / "results" / "lenet" / net / "model.npz")
        rows = table[table["net"] == net]
        assert rows["layer"].tolist() == ["conv1", "conv2", "fc1", "fc2"]
        for row in rows.itertuples():
            weight = getattr(model, row.layer).weight.detach().double().numpy()
            assert row.rms == pytest.approx(np.sqrt(np.mean(weight**2)), rel=1e-9)


def test_adversarial_table_is_consistent_with_the_saved_images(smoke_run, settings):
    table = pd.read_csv(smoke_run / "results" / "lenet" / "adversarial.csv")
    nets = settings["lenet"]["networks"]
    attack_settings = settings["attack"]
    assert {"net", "digit", "target", "iterations", "p_target", "l2", "linf", "capped", "temperature"} <= set(table)
    assert len(table) == 10 * len(nets)
    assert sorted(zip(table["net"], table["digit"])) == sorted((net, d) for net in nets for d in range(10))
    assert (table["target"] == (table["digit"] + 1) % 10).all()
    mnist = read_mnist(smoke_run / "results" / "data" / "mnist.npz")
    indices = {}
    for row in table.itertuples():
        with np.load(smoke_run / "results" / "lenet" / row.net / "attack" / f"{row.digit}.npz") as saved:
            original, adversarial = saved["original"], saved["adversarial"]
            index = int(saved["test_index"])
        # the same test image of each digit for every network, with the right label
        assert indices.setdefault(row.digit, index) == index
        assert mnist.test_labels[index] == row.digit
        np.testing.assert_array_equal(original, mnist.test_images[index])
        assert adversarial.min() >= 0 and adversarial.max() <= 255
        delta = adversarial - original
        assert row.l2 == pytest.approx(np.sqrt(np.sum(delta**2)), rel=1e-9, abs=1e-9)
        assert row.linf == pytest.approx(np.abs(delta).max(), rel=1e-9, abs=1e-9)
        # each step moves x' by at most `step` grey levels in L2
        assert row.l2 <= row.iterations * attack_settings["step"] + 1e-6
        assert row.iterations <= attack_settings["max_iterations"]
        assert bool(row.capped) == (row.p_target < attack_settings["target_probability"])
        temperature = json.loads((smoke_run / "results" / "lenet" / row.net / "temperature.json").read_text())
        assert row.temperature == pytest.approx(temperature["temperature"], rel=1e-12)


def test_target_likeness_recomputed_from_the_saved_images(smoke_run, settings):
    """The cosine between each perturbation and the target's minus the source's mean training image."""
    table = pd.read_csv(smoke_run / "results" / "lenet" / "adversarial.csv")
    mnist = read_mnist(smoke_run / "results" / "data" / "mnist.npz")
    images = mnist.train_images.astype(np.float64)
    for row in table.itertuples():
        with np.load(smoke_run / "results" / "lenet" / row.net / "attack" / f"{row.digit}.npz") as saved:
            delta = (saved["adversarial"] - saved["original"]).ravel()
        template = (images[mnist.train_labels == row.target].mean(0) - images[mnist.train_labels == row.digit].mean(0)).ravel()
        expected = delta @ template / (np.linalg.norm(delta) * np.linalg.norm(template))
        assert row.target_likeness == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # the summary says on how many test images each error was measured (the claims' sampling error)
    summary = pd.read_csv(smoke_run / "results" / "lenet" / "summary.csv")
    assert (summary["test_images"] == settings["lenet"]["test_images"]).all()


def test_temperature_gives_the_median_probability(smoke_run, settings):
    mnist = read_mnist(smoke_run / "results" / "data" / "mnist.npz")
    n = settings["lenet"]["test_images"]
    for net in settings["lenet"]["networks"]:
        model, mean, _ = lenet_files.load_model(smoke_run / "results" / "lenet" / net / "model.npz", dtype=torch.float64)
        t = json.loads((smoke_run / "results" / "lenet" / net / "temperature.json").read_text())["temperature"]
        scores = attack.network_scores(model, mean, mnist.test_images[:n])
        median = attack.median_top1(scores, t)
        assert median == pytest.approx(settings["attack"]["median_probability"], abs=1e-3)


def test_figures_are_valid_images(smoke_run):
    figures = smoke_run / "results" / "figures"
    for name in FIGURES:
        png = figures / f"{name}.png"
        image = mpimg.imread(png)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
        assert image[..., :3].std() > 0.01  # not blank
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"


def test_adding_a_network_plans_only_its_jobs(smoke_run, tiny_mnist, copy_of):
    workdir = copy_of(smoke_run)
    config = smoke_config(*tiny_mnist)
    config["lenet"]["networks"] = {**config["lenet"]["networks"], "mid": 1.0e-2}
    result = run_snakemake(workdir, config, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    planned = result.stdout + result.stderr
    counts = job_counts(planned)
    assert counts["lenet_train"] == 1 and counts["lenet_calibrate"] == 1 and counts["lenet_attack"] == 10
    nets = {line.split("net=")[1].split(",")[0].strip() for line in planned.splitlines() if "net=" in line}
    assert nets == {"mid"}


def test_an_attack_setting_reruns_the_attacks_not_the_training(smoke_run, tiny_mnist, copy_of):
    workdir = copy_of(smoke_run)
    config = smoke_config(*tiny_mnist)
    config["attack"]["max_iterations"] = 150
    result = run_snakemake(workdir, config, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout + result.stderr)
    assert counts["lenet_attack"] == 20
    assert "lenet_train" not in counts and "lenet_calibrate" not in counts


def test_a_second_config_file_removes_a_network_with_null(smoke_run, tiny_mnist, copy_of):
    """Config files are merged key by key: a later file leaves a network out by setting it to null."""
    workdir = copy_of(smoke_run)
    (workdir / "config.yaml").write_text(yaml.safe_dump(smoke_config(*tiny_mnist), sort_keys=False))
    (workdir / "without_high.yaml").write_text("lenet:\n  networks: {high: null}\n")
    command = [
        *SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "1",
        "--configfile", str(workdir / "config.yaml"), str(workdir / "without_high.yaml"), "--dry-run",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned[-3000:]
    counts = job_counts(planned)
    assert "lenet_train" not in counts and "lenet_attack" not in counts, counts
    assert counts.get("lenet_summary") == 1 and counts.get("claims") == 1, counts  # now over `low` alone
    assert "net=high" not in planned and "lenet/high/" not in planned
