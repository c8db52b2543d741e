"""The svm stage on the smoke run: the metrics table, recomputed values, figures, and
incremental reruns when the lambda grid grows."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, SHARED_MNIST, run_snakemake, with_defaults

from tilting.data import read_mnist

AUTHORS_TABLE = REPO.parent / "shared" / "authors" / "representatives.csv"

COLUMNS = (
    "pair, alpha, lam, w_norm, b, b_prime, b_prime_mu, theta_rad, theta_deg, d_adv, d_err, err_train, "
    "err_test, identity_residual, identity_residual_rel, objective, dual_objective, gap, bias_unique, solver, iterations"
).split(", ")


def smoke_settings(workdir):
    config = with_defaults(yaml.safe_load((workdir / "config.yaml").read_text()))
    svm = config["svm"]
    grid = svm["lambda_exponents"]
    alphas = np.arange(grid["start"], grid["stop"] + grid["step"] / 2, grid["step"])
    return config, list(config["pairs"]), [round(float(a), 2) for a in alphas]


@pytest.fixture(scope="module")
def table(smoke_run):
    return pd.read_csv(smoke_run / "results" / "svm" / "metrics.csv", dtype={"pair": str})


def test_metrics_table_rows_columns_and_certificates(smoke_run, table):
    config, pairs, alphas = smoke_settings(smoke_run)
    assert list(table.columns) == COLUMNS
    assert len(table) == len(pairs) * len(alphas)
    assert sorted(set(table["pair"])) == sorted(pairs)
    for pair in pairs:
        rows = table[table["pair"] == pair]
        np.testing.assert_allclose(sorted(rows["alpha"]), alphas)
        np.testing.assert_allclose(rows["lam"], 10.0 ** rows["alpha"], rtol=1e-12)
    tolerance = config["svm"]["gap_tolerance"]
    assert (table["gap"] <= tolerance).all()
    assert (table["gap"] >= -1e-12).all()
    assert (table["dual_objective"] <= table["objective"] * (1 + 1e-12)).all()
    assert (table["identity_residual_rel"] <= 1e-9).all()
    assert (table["identity_residual"] <= 1e-9 * 255 * 28).all()  # grey levels: half-gaps are below 255 x 28
    assert ((table["theta_deg"] >= 0) & (table["theta_deg"] <= 180)).all()
    np.testing.assert_allclose(np.degrees(table["theta_rad"]), table["theta_deg"], rtol=1e-12)
    parquet = pd.read_parquet(smoke_run / "results" / "svm" / "metrics.parquet")
    assert list(parquet.columns) == COLUMNS
    pd.testing.assert_frame_equal(parquet.reset_index(drop=True), table, check_dtype=False, rtol=1e-12)


def test_one_model_recomputed_from_saved_weights(smoke_run, table):
    config, pairs, alphas = smoke_settings(smoke_run)
    pair, alpha = "7v9", alphas[len(alphas) // 2]
    model = np.load(smoke_run / "results" / "svm" / pair / f"lam_{alpha:+.2f}.npz")
    data = np.load(smoke_run / "results" / "data" / "pairs" / f"{pair}.npz")
    row = table[(table["pair"] == pair) & np.isclose(table["alpha"], alpha)].iloc[0]

    scale = float(model["pixel_scale"]) / 255.0
    w, b = model["w"] * scale, float(model["b"])  # weights on the 0-255 scale
    x, y = data["x_train"].astype(float), data["y_train"].astype(float)
    xt, yt = data["x_test"].astype(float), data["y_test"].astype(float)
    norm = np.sqrt(np.sum(w * w))
    i, j = x[y < 0].mean(axis=0), x[y > 0].mean(axis=0)
    cos = np.dot(w, j - i) / (norm * np.sqrt(np.sum((j - i) ** 2)))
    d = (x @ w + b) / norm
    assert row["w_norm"] == pytest.approx(norm, rel=1e-10)
    assert row["b"] == pytest.approx(b, rel=1e-12, abs=1e-15)
    assert row["b_prime"] == pytest.approx(b / norm, rel=1e-10)
    assert row["b_prime_mu"] == pytest.approx(b / norm + np.dot(w, x.mean(axis=0)) / norm, rel=1e-9, abs=1e-9)
    assert row["theta_rad"] == pytest.approx(np.arccos(np.clip(cos, -1, 1)), rel=1e-7, abs=1e-7)
    assert row["d_adv"] == pytest.approx(np.mean(y * d), rel=1e-10)
    assert row["d_adv"] == pytest.approx(0.5 * np.sqrt(np.sum((j - i) ** 2)) * cos, rel=1e-9)
    assert row["err_train"] == pytest.approx(np.mean(y * d <= 0))
    assert row["err_test"] == pytest.approx(np.mean(yt * (xt @ w + b) <= 0))
    assert row["d_err"] == pytest.approx(np.sum(np.maximum(-y * d, 0)) / len(y), abs=1e-12)
    # the certificate: the article's objective on the fitting scale at the saved (w, b)
    lam = 10.0**alpha
    w_fit = model["w"]
    primal = np.mean(np.maximum(0, 1 - y * ((x * scale) @ w_fit + b))) + lam * np.sum(w_fit**2)
    assert row["objective"] == pytest.approx(primal, rel=1e-9)
    assert row["lam"] == pytest.approx(lam, rel=1e-12)


def test_mirror_images_follow_the_formula(smoke_run):
    _, pairs, _ = smoke_settings(smoke_run)
    pair = pairs[0]
    mirrors = np.load(smoke_run / "results" / "svm" / pair / "mirrors.npz")
    data = np.load(smoke_run / "results" / "data" / "pairs" / f"{pair}.npz")
    k = len(mirrors["alpha"]) - 1
    model = np.load(smoke_run / "results" / "svm" / pair / f"lam_{mirrors['alpha'][k]:+.2f}.npz")
    w, b = model["w"] * float(model["pixel_scale"]) / 255.0, float(model["b"])
    # representatives: first image of each class (smoke config)
    x = data["x_train"][[0, int(np.argmax(data["y_train"] > 0))]].astype(float)
    np.testing.assert_array_equal(mirrors["images"], x)
    expected = x - 2 * ((x @ w + b) / np.dot(w, w))[:, None] * w
    np.testing.assert_allclose(mirrors["mirrors"][k], expected, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(mirrors["distances"][k], 2 * np.abs(x @ w + b) / np.sqrt(np.dot(w, w)), rtol=1e-10)
    # in the tilting plane the mirror of a point is its reflection through the boundary line
    projections = np.load(smoke_run / "results" / "svm" / pair / "projections.npz")
    c1, c2, offset = projections["line"][k]

    def line_value(points):
        return c1 * points[..., 0] + c2 * points[..., 1] + offset

    np.testing.assert_allclose(line_value(mirrors["mirror_points"][k]), -line_value(mirrors["points"][k]), rtol=1e-8)
    assert np.all(np.abs(line_value(mirrors["points"][k])) > 0)


def png_pixels(path):
    from matplotlib import image

    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return image.imread(path)


def test_figures_are_valid_and_not_blank(smoke_run):
    _, pairs, _ = smoke_settings(smoke_run)
    figures = smoke_run / "results" / "figures"
    names = [f"4_svm_{pair}_{kind}" for pair in pairs for kind in ("histograms", "curves", "plane", "mirrors")]
    names.append("4_svm_overview_curves")
    for name in names:
        pixels = png_pixels(figures / f"{name}.png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300, name
        assert pixels[..., :3].std() > 0.05, f"{name}.png looks blank"
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", name


def dry_run_jobs(output: str) -> dict[str, int]:
    """Job counts of a dry run's 'Job stats' table."""
    counts = {}
    lines = output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("Job stats"))
    for line in lines[start + 3 :]:
        match = re.match(r"^(\S+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def job_reasons(output: str) -> dict[str, list[str]]:
    """rule -> the 'reason:' lines of its planned jobs."""
    reasons: dict[str, list[str]] = {}
    rule = None
    for line in output.splitlines():
        match = re.match(r"^(?:local)?rule (\S+):$", line.strip())
        if match:
            rule = match.group(1)
        elif line.strip().startswith("reason:") and rule:
            reasons.setdefault(rule, []).append(line.strip())
    return reasons


def test_extending_lambda_grid_plans_only_new_fits(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    config, pairs, alphas = smoke_settings(workdir)
    unchanged = run_snakemake(workdir, config, "--dry-run")
    assert unchanged.returncode == 0, unchanged.stderr[-3000:]
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr

    grid = config["svm"]["lambda_exponents"]
    config["svm"]["lambda_exponents"] = dict(grid, stop=grid["stop"] + grid["step"])
    result = run_snakemake(workdir, config, "--dry-run")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    counts = dry_run_jobs(output)
    assert counts.get("svm_fit") == len(pairs), counts
    new_alpha = f"{grid['stop'] + grid['step']:+.2f}"
    fits = re.findall(r"output: (results/svm/\S+/lam_\S+\.npz)", output)
    assert sorted(fits) == sorted(f"results/svm/{pair}/lam_{new_alpha}.npz" for pair in pairs)
    for rule in ("svm_pair_metrics", "svm_projections", "svm_mirrors", "svm_figures"):
        assert counts.get(rule) == len(pairs), (rule, counts)
    assert counts.get("svm_metrics") == 1 and counts.get("svm_overview") == 1, counts
    # nothing upstream or unrelated reruns: every other job waits on a changed svm output
    assert "mnist" not in counts and "pair_data" not in counts, counts
    for rule, reasons in job_reasons(output).items():
        if rule == "svm_fit":
            assert all("Missing output files" in reason for reason in reasons), reasons
        else:
            assert all(
                "updated by another job" in reason or "Set of input files has changed" in reason for reason in reasons
            ), (rule, reasons)


def test_authors_configuration_from_config_alone(tmp_path, tiny_mnist):
    """config/authors.yaml over config.yaml: pixel scale 1, lambda = 10^(2 - 0.1 j), j = 0..80."""
    from tilting.settings import format_exponent, lambda_exponents

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    authors = yaml.safe_load((REPO / "config" / "authors.yaml").read_text())
    for key, value in authors.items():
        config[key] = dict(config[key], **value) if isinstance(value, dict) else value
    assert config["svm"]["pixel_scale"] == 1
    exponents = lambda_exponents(**config["svm"]["lambda_exponents"])
    np.testing.assert_allclose(exponents, [round(2 - 0.1 * j, 2) for j in range(81)])
    assert config["sample"] == dict(config["sample"], method="first", images_per_class=3000)
    # the workflow accepts it: a dry run plans one fit per pair and lambda, at pixel scale 1
    config["pairs"] = ["7v9"]
    config["data"]["offline_dir"] = str(tiny_mnist[0])  # a dry run reads no image
    result = run_snakemake(tmp_path / "work", config, "--dry-run", "results/svm/7v9/metrics.csv")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert dry_run_jobs(output).get("svm_fit") == 81
    for alpha in ("+2.00", "-6.00", "-1.90"):
        assert f"results/svm/7v9/lam_{alpha}.npz" in output
    assert format_exponent(exponents[-1]) == "-6.00"


def test_uncertified_fit_fails_naming_pair_and_lambda(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    config, pairs, alphas = smoke_settings(workdir)
    config["svm"]["gap_tolerance"] = 1e-30  # unreachable in floating point
    target = f"results/svm/{pairs[-1]}/lam_{alphas[0]:+.2f}.npz"
    result = run_snakemake(workdir, config, target)
    assert result.returncode != 0
    message = f"pair {pairs[-1]}, lambda 10^{alphas[0]:+.2f}"
    assert message in result.stderr + result.stdout
    log = (workdir / "logs" / "svm" / pairs[-1] / f"lam_{alphas[0]:+.2f}.log").read_text()
    assert message in log and "not certified" in log
    assert not (workdir / target).exists()  # no uncertified model is left behind


def test_fork_server_fit_equals_a_fresh_interpreter_fit(smoke_run, tmp_path):
    """The smoke run's fits went through the fork server; rerun one with the server turned off."""
    config, pairs, alphas = smoke_settings(smoke_run)
    pair, alpha = pairs[0], alphas[len(alphas) // 3]
    log = (smoke_run / "logs" / "svm" / pair / f"lam_{alpha:+.2f}.log").read_text()
    assert "fork server unavailable" not in log and "timing: load" in log
    output = tmp_path / "fresh.npz"
    command = [
        sys.executable,
        "-S",
        str(REPO / "workflow" / "scripts" / "svm_fit.py"),
        "--pair-data",
        str(smoke_run / "results" / "data" / "pairs" / f"{pair}.npz"),
        "--output",
        str(output),
        "--pair",
        pair,
        f"--alpha={alpha:+.2f}",
        "--pixel-scale",
        str(config["svm"]["pixel_scale"]),
        "--objective",
        config["svm"]["objective"],
        "--gap-tolerance",
        str(config["svm"]["gap_tolerance"]),
    ]
    result = subprocess.run(
        command, env=dict(os.environ, BOUNDARY_TILTING_FORK_SERVER="0"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # no timings in a model file and no date in the archive: the same model, the same bytes
    forked = smoke_run / "results" / "svm" / pair / f"lam_{alpha:+.2f}.npz"
    assert output.read_bytes() == forked.read_bytes()


@pytest.mark.skipif(not (SHARED_MNIST / "MNIST" / "raw").exists(), reason="../shared/data/MNIST/raw not present")
def test_mirrors_of_the_authors_representatives_on_real_mnist(tmp_path):
    """svm.representatives: authors (the default) on the authors' sample: the mirror figures
    reflect the images of workflow/resources/authors_representatives.tsv."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    assert config["svm"]["representatives"] == "authors" and config["sample"]["method"] == "first"
    config["data"]["offline_dir"] = str(SHARED_MNIST)
    config["pairs"] = ["7v9"]
    config["svm"]["lambda_exponents"] = {"start": 6.0, "stop": 7.0, "step": 1.0}  # two quick fits
    result = run_snakemake(tmp_path, config, "--", "results/svm/7v9/mirrors.npz")
    assert result.returncode == 0, result.stderr[-3000:]

    table = pd.read_csv(REPO / "workflow" / "resources" / "authors_representatives.tsv", sep="\t", comment="#")
    row = table.set_index("pair").loc["7v9"]
    mnist = read_mnist(tmp_path / "results" / "data" / "mnist.npz")
    # the index_a-th seven and the index_b-th nine of the MNIST training file
    expected = [
        np.flatnonzero(mnist.train_labels == 7)[row["index_a"]],
        np.flatnonzero(mnist.train_labels == 9)[row["index_b"]],
    ]
    mirrors = np.load(tmp_path / "results" / "svm" / "7v9" / "mirrors.npz")
    assert mirrors["positions"].tolist() == [row["index_a"], row["index_b"]]
    assert mirrors["index_train"].tolist() == expected
    np.testing.assert_array_equal(mirrors["images"], mnist.train_images[expected].reshape(2, -1))
    pair = np.load(tmp_path / "results" / "data" / "pairs" / "7v9.npz")
    np.testing.assert_array_equal(pair["x_train"][mirrors["rows"]], mnist.train_images[expected].reshape(2, -1))
    assert mirrors["alpha"].tolist() == [6.0, 7.0] and mirrors["mirrors"].shape == (2, 2, 784)


@pytest.mark.skipif(not AUTHORS_TABLE.exists(), reason="../shared/authors/representatives.csv not present")
def test_representatives_table_is_the_authors():
    ours = pd.read_csv(REPO / "workflow" / "resources" / "authors_representatives.tsv", sep="\t", comment="#")
    theirs = pd.read_csv(AUTHORS_TABLE)
    theirs.insert(0, "pair", [f"{a}v{b}" for a, b in zip(theirs["a"], theirs["b"])])
    assert len(ours) == 45
    pd.testing.assert_frame_equal(ours, theirs[["pair", "index_a", "index_b"]])
