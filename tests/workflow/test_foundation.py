"""The workflow as a whole: the full DAG, lint and format, config errors, the data stage's
outputs on the smoke config, and incremental reruns after a config change."""

import hashlib
import shutil
import subprocess
import time

import numpy as np
import pytest
import yaml
from conftest import REPO, SHARED_MNIST, SNAKEMAKE, job_counts, run_snakemake, smoke_config

from tilting import data, mnist_idx, settings


def test_full_default_dag_matches_config(tmp_path):
    """Dry run of config.yaml: one job per pair, per (pair, lambda) fit, per network."""
    start = time.perf_counter()
    result = run_snakemake(tmp_path / "full", yaml.safe_load((REPO / "config.yaml").read_text()), "--dry-run")
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout + result.stderr)
    expected = {"mnist": 1, "pair_data": 45, "svm_fit": 45 * 81, "svm_metrics": 1, "lenet_train": 2, "lenet_attack": 2 * 10}
    expected.update({rule: 45 for rule in ("svm_pair_metrics", "svm_projections", "svm_mirrors", "svm_figures")})
    assert {rule: counts.get(rule) for rule in expected} == expected
    print(f"full default DAG (dry run) built in {seconds:.1f} s: {sum(counts.values())} jobs")


def test_lint_passes():
    result = subprocess.run(
        [*SNAKEMAKE, "--lint", "--snakefile", str(REPO / "Snakefile")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition" in result.stdout + result.stderr


def test_snakefmt_check_passes():
    snakefmt = shutil.which("snakefmt", path=str(REPO / ".venv" / "bin")) or "snakefmt"
    files = ["Snakefile", *sorted(str(p.relative_to(REPO)) for p in (REPO / "workflow" / "rules").glob("*.smk"))]
    result = subprocess.run([snakefmt, "--check", *files], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "change,message",
    [
        ({"pairs": ["0v1", "0v11"]}, "pairs[1]: '0v11' does not match"),
        ({"pairs": ["0v1", "9v7"]}, "pairs: pair '9v7': expected 'AvB' with digits 0 <= A < B <= 9"),
        ({"sample": {"images_per_class": -3}}, "sample.images_per_class: -3 is less than the minimum of 1"),
        ({"svm": {"lambda_exponents": {"start": 7, "stop": -1, "step": 0.1}}}, "svm.lambda_exponents: empty range"),
        ({"colour": "blue"}, "unknown config key(s) 'colour'"),
        ({"toy": {"lambda_low": float("nan")}}, "toy.lambda_low: nan is not a finite number"),
        ({"claims": {"hard_pair": "9v7"}}, "claims.hard_pair: pair '9v7'"),
        ({"pairs": ["7v9", "7v9"]}, "pairs: '7v9' is listed twice"),
    ],
)
def test_bad_config_stops_before_any_job(tiny_mnist, tmp_path, change, message):
    config = smoke_config(*tiny_mnist)
    for key, value in change.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    result = run_snakemake(tmp_path, config)
    assert result.returncode != 0
    assert f"invalid config: {message}" in result.stderr
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr, result.stderr  # one line
    assert not (tmp_path / "results").exists()


def test_a_key_given_twice_in_a_configfile_stops_the_run(tiny_mnist, tmp_path):
    """Snakemake's own reader keeps the last of two equal keys: the first sample section would be lost."""
    config_path = tmp_path / "mine.yaml"
    text = yaml.safe_dump(smoke_config(*tiny_mnist), sort_keys=False)
    config_path.write_text(text + "sample:\n  images_per_class: 7\n")
    result = subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
         "--configfile", str(config_path), "--dry-run"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    line = text.count("\n") + 1
    assert f"invalid config: config file {config_path}: line {line}: key 'sample' given twice" in result.stderr, (
        result.stderr[-2000:]
    )


def test_nested_config_override_with_numbers_runs(tiny_mnist, tmp_path):
    """--config 'sample={images_per_class: 2}' (Snakemake passes nested values as strings)."""
    config = smoke_config(*tiny_mnist)
    result = run_snakemake(
        tmp_path, config, "--config", "sample={images_per_class: 2, seed: 0}", "--", "results/data/pairs/0v1.npz"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pair = data.read_pair(tmp_path / "results" / "data" / "pairs" / "0v1.npz")
    assert pair.y_train.tolist() == [-1, -1, 1, 1]


def test_syntax_error_in_config_yaml_names_the_file_and_line(tmp_path):
    """The repository's config.yaml is read by the workflow itself (Snakefile, `configfile:`)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "Snakefile", clone)
    shutil.copytree(REPO / "workflow", clone / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    text = (REPO / "config.yaml").read_text()
    lines = text.count("\n")
    (clone / "config.yaml").write_text(text + "pairs: [7v9, 0v1\n")
    result = subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(clone / "Snakefile"), "--directory", str(tmp_path), "--dry-run"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr  # a dry run logs to stdout
    expected = f"invalid config: config file {clone / 'config.yaml'}, line {lines + 2}, column 1: not valid YAML"
    assert expected in output, output[-3000:]
    assert f"flow sequence started on line {lines + 1}" in output


def test_smoke_data_stage_outputs(smoke_run, tiny_mnist):
    root, checksums = tiny_mnist
    mnist = mnist_idx.load_mnist_raw(root / "MNIST" / "raw", checksums)
    archived = data.read_mnist(smoke_run / "results" / "data" / "mnist.npz")
    np.testing.assert_array_equal(archived.train_images, mnist.train_images)
    np.testing.assert_array_equal(archived.test_labels, mnist.test_labels)
    for name in ("0v1", "7v9"):
        a, b = settings.parse_pair(name)
        pair = data.read_pair(smoke_run / "results" / "data" / "pairs" / f"{name}.npz")
        first_a = np.flatnonzero(mnist.train_labels == a)[:50]
        first_b = np.flatnonzero(mnist.train_labels == b)[:50]
        np.testing.assert_array_equal(pair.index_train, np.concatenate([first_a, first_b]))
        np.testing.assert_array_equal(pair.x_train[:50], mnist.train_images[first_a].reshape(50, -1))
        assert (pair.y_test == -1).sum() == (mnist.test_labels == a).sum()
        assert (pair.y_test == 1).sum() == (mnist.test_labels == b).sum()
        log = (smoke_run / "logs" / "data" / "pairs" / f"{name}.log").read_text()
        assert f"pair {name}: 100 training images" in log


def test_adding_a_pair_plans_only_that_pairs_jobs(smoke_run, tiny_mnist, copy_of):
    workdir = copy_of(smoke_run)
    config = smoke_config(*tiny_mnist)
    unchanged = run_snakemake(workdir, config, "--dry-run")
    assert unchanged.returncode == 0, unchanged.stderr[-3000:]
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr

    config["pairs"] = ["0v1", "2v3", "7v9"]
    result = run_snakemake(workdir, config, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    planned = result.stdout + result.stderr
    counts = job_counts(planned)
    assert counts["pair_data"] == 1 and "mnist" not in counts
    # every planned per-pair job belongs to the new pair
    pairs = {line.split("pair=")[1].split(",")[0].strip() for line in planned.splitlines() if "pair=" in line}
    assert pairs == {"2v3"}


def test_corrupted_source_fails_naming_the_file_and_keeps_results(smoke_run, tiny_mnist, copy_of, tmp_path):
    workdir = copy_of(smoke_run)
    root, checksums = tiny_mnist
    bad_root = tmp_path / "bad_mnist"
    shutil.copytree(root, bad_root)
    target = bad_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) - 9])  # truncated download
    config = smoke_config(bad_root, checksums)
    pair_file = workdir / "results" / "data" / "pairs" / "7v9.npz"
    before = hashlib.md5(pair_file.read_bytes()).hexdigest()
    result = run_snakemake(workdir, config, "--forcerun", "mnist", "--", "results/data/pairs/7v9.npz")
    assert result.returncode != 0
    assert "t10k-labels-idx1-ubyte.gz: corrupted or truncated gzip file" in result.stderr
    assert hashlib.md5(pair_file.read_bytes()).hexdigest() == before


@pytest.mark.skipif(not (SHARED_MNIST / "MNIST" / "raw").exists(), reason="../shared/data/MNIST/raw not present")
def test_data_stage_on_real_mnist(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["data"]["offline_dir"] = str(SHARED_MNIST)
    start = time.perf_counter()
    result = run_snakemake(tmp_path, config, "--", "results/data/pairs/7v9.npz", "results/data/pairs/0v1.npz")
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    mnist = data.read_mnist(tmp_path / "results" / "data" / "mnist.npz")
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_images.shape == (10000, 28, 28)
    assert np.bincount(mnist.train_labels).tolist()[0] == 5923
    assert np.bincount(mnist.test_labels).tolist()[7] == 1028
    digests = {
        "train-images-idx3-ubyte": mnist_idx.idx_header(mnist.train_images) + mnist.train_images.tobytes(),
        "t10k-labels-idx1-ubyte": mnist_idx.idx_header(mnist.test_labels) + mnist.test_labels.tobytes(),
    }
    for name, payload in digests.items():
        assert hashlib.md5(payload).hexdigest() == config["data"]["checksums"][name]
    pair = data.read_pair(tmp_path / "results" / "data" / "pairs" / "7v9.npz")
    assert pair.x_train.shape == (6000, 784) and len(pair.y_test) == 1028 + 1009
    sevens = np.flatnonzero(mnist.train_labels == 7)[:3000]
    np.testing.assert_array_equal(pair.index_train[:3000], sevens)
    print(f"data stage on real MNIST (mnist + 2 pairs): {seconds:.1f} s")
