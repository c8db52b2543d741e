"""What a rerun redoes: a fit reruns exactly when its model would change.

Dry runs over a copy of the finished smoke run: the repository moved elsewhere, the venv reached
through another path, an edit of the analysis code (reruns the per-pair jobs, never a fit),
an edit of the solver (reruns every fit), a training's thread count (retrains), and edits of
the other stages' package modules (each reruns the jobs whose outputs that code computes, and
only those; the data files' readers and writers rerun nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, job_counts

#: what a clone holds that the workflow reads
REPO_ENTRIES = ["Snakefile", "config.yaml", "config", "workflow", "envs", "profiles"]


def clone_to(target: Path) -> Path:
    """A copy of the repository's workflow at another path (file times kept, as mv or rsync -a)."""
    target.mkdir(parents=True)
    for entry in REPO_ENTRIES:
        source = REPO / entry
        if source.is_dir():
            shutil.copytree(source, target / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / entry)
    return target


def dry_run(
    workdir: Path, repo: Path, python: str = sys.executable, config: Path | None = None, extra=("--cores", "1")
) -> tuple[dict[str, int], str]:
    config = config or workdir / "config.yaml"
    command = [
        python, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(config), "--dry-run", *extra,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="0"))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return job_counts(output), output


@pytest.fixture(scope="module")
def finished(smoke_run, tmp_path_factory):
    """A copy of the finished smoke run, with nothing left to do (dry runs leave it as it is,
    so this module's tests share it)."""
    workdir = tmp_path_factory.mktemp("finished") / "copy"
    shutil.copytree(smoke_run, workdir, symlinks=True)
    counts, output = dry_run(workdir, REPO)
    assert counts == {} and "Nothing to be done" in output, counts
    return workdir


def smoke_fits(workdir: Path) -> int:
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    grid = config["svm"]["lambda_exponents"]
    return len(config["pairs"]) * int(round((grid["stop"] - grid["start"]) / grid["step"]) + 1)


def test_a_moved_clone_reruns_nothing(finished, tmp_path):
    counts, output = dry_run(finished, clone_to(tmp_path / "elsewhere"))
    assert counts == {} and "Nothing to be done" in output, counts


def test_the_venv_through_another_path_reruns_nothing(finished, tmp_path):
    link = tmp_path / "venv-link"
    link.symlink_to(Path(sys.prefix), target_is_directory=True)
    python = link / "bin" / Path(sys.executable).name
    counts, output = dry_run(finished, REPO, python=str(python))
    assert counts == {} and "Nothing to be done" in output, counts


def test_an_analysis_edit_reruns_the_per_pair_jobs_never_a_fit(finished, tmp_path):
    repo = clone_to(tmp_path / "edited")
    module = repo / "workflow" / "scripts" / "tilting" / "svm_analysis.py"
    module.write_text(module.read_text() + "\n# an edit of the analysis code\n")
    counts, _ = dry_run(finished, repo)
    pairs = len(yaml.safe_load((finished / "config.yaml").read_text())["pairs"])
    assert "svm_fit" not in counts, counts
    assert counts.get("svm_pair_metrics") == pairs and counts.get("svm_mirrors") == pairs, counts


def test_a_solver_edit_reruns_every_fit(finished, tmp_path):
    repo = clone_to(tmp_path / "edited")
    module = repo / "workflow" / "scripts" / "tilting" / "svm_ipm.py"
    module.write_text(module.read_text() + "\n# an edit of the solver\n")
    counts, _ = dry_run(finished, repo)
    assert counts.get("svm_fit") == smoke_fits(finished), counts


#: smoke run: 2 networks, 10 digits each attacked
NETS, DIGITS = 2, 10
TOY_RULES = ["toy_boundaries", "toy_mirror", "toy_noisy_point", "toy_loss_scaling", "toy_dadv_theta"]

#: module edited -> (jobs planned, rules not planned)
PACKAGE_EDITS = {
    "lenet_training.py": (
        {"lenet_train": NETS, "lenet_calibrate": NETS, "lenet_attack": NETS * DIGITS},
        ["svm_fit", *TOY_RULES],
    ),
    "attack.py": ({"lenet_calibrate": NETS, "lenet_attack": NETS * DIGITS}, ["lenet_train", "svm_fit", *TOY_RULES]),
    # the model file's reader and the weights' RMS: the weights figure, no training
    "lenet_files.py": (
        {"lenet_weights": 1},
        ["lenet_train", "lenet_calibrate", "lenet_attack", "lenet_adversarial", "lenet_summary", "svm_fit"],
    ),
    "toy.py": ({rule: 1 for rule in TOY_RULES}, ["svm_fit", "lenet_train"]),
    "claims/svm.py": ({"claims": 1}, ["svm_fit", "svm_pair_metrics", "lenet_train", *TOY_RULES]),
    # a stage's figures: that stage's figure jobs only
    "plots/toy.py": (
        {rule: 1 for rule in TOY_RULES},
        ["svm_figures", "svm_overview", "lenet_summary", "lenet_weights", "lenet_adversarial", "svm_fit"],
    ),
    "plots/svm.py": ({"svm_overview": 1}, ["lenet_summary", "lenet_weights", "lenet_adversarial", *TOY_RULES]),
}


def test_a_training_thread_count_reruns_the_training_and_what_follows(finished, tmp_path):
    """On the CPU the thread count shapes the weights (parallel sums round differently): the
    config's lenet.threads retrains; Snakemake's --set-threads or --cores only schedule."""
    config = yaml.safe_load((finished / "config.yaml").read_text())
    changed = tmp_path / "threads.yaml"
    changed.write_text(yaml.safe_dump({**config, "lenet": {**config.get("lenet", {}), "threads": 2}}))
    counts, output = dry_run(finished, REPO, config=changed)
    planned = {"lenet_train": NETS, "lenet_calibrate": NETS, "lenet_attack": NETS * DIGITS}
    assert {rule: counts.get(rule) for rule in planned} == planned, counts
    assert not {"svm_fit", "pair_data", *TOY_RULES} & set(counts), counts
    assert "Params have changed since last execution" in output, output[-3000:]
    for scheduling in (("--cores", "2", "--set-threads", "lenet_train=2"), ("--cores", "4")):
        counts, output = dry_run(finished, REPO, extra=scheduling)
        assert counts == {} and "Nothing to be done" in output, (scheduling, counts)


def dry_run_after_editing(finished: Path, tmp_path: Path, module: str) -> dict[str, int]:
    """Job counts of a dry run by a clone whose package module ``module`` has one more line."""
    repo = clone_to(tmp_path / "edited")
    path = repo / "workflow" / "scripts" / "tilting" / module
    path.write_text(path.read_text() + "\n# an edit\n")
    counts, _ = dry_run(finished, repo)
    return counts


@pytest.mark.parametrize("module", list(PACKAGE_EDITS))
def test_a_package_edit_reruns_the_jobs_its_code_computes(finished, tmp_path, module):
    counts = dry_run_after_editing(finished, tmp_path, module)
    planned, untouched = PACKAGE_EDITS[module]
    assert {rule: counts.get(rule) for rule in planned} == planned, counts
    assert not set(untouched) & set(counts), counts


def test_a_data_stage_edit_reruns_what_follows_from_its_files(finished, tmp_path):
    pairs = len(yaml.safe_load((finished / "config.yaml").read_text())["pairs"])
    # the sampling: every sample and fit, not the MNIST archive nor a training
    counts = dry_run_after_editing(finished, tmp_path / "pairs", "pairs.py")
    assert counts.get("pair_data") == pairs and counts.get("svm_fit") == smoke_fits(finished), counts
    assert not {"mnist", "lenet_train", *TOY_RULES} & set(counts), counts
    # the IDX reader: the archive and all that reads it, the networks included
    counts = dry_run_after_editing(finished, tmp_path / "mnist", "mnist_idx.py")
    assert counts.get("mnist") == 1 and counts.get("pair_data") == pairs, counts
    assert counts.get("svm_fit") == smoke_fits(finished) and counts.get("lenet_train") == NETS, counts
    # the data files' readers and writers compute nothing
    counts = dry_run_after_editing(finished, tmp_path / "files", "data.py")
    assert counts == {}, counts


def test_where_mnist_lies_reruns_nothing(finished, tmp_path):
    """The archive is md5-checked: a moved MNIST folder, a download instead of local files, or a
    source file touched (or damaged) after the run reruns no job, so none deletes the archive."""
    config = yaml.safe_load((finished / "config.yaml").read_text())
    source = Path(config["data"]["offline_dir"])
    moved = tmp_path / "moved"
    shutil.copytree(source, moved)
    for change in ({"offline_dir": str(moved)}, {"offline_dir": None, "download_dir": str(tmp_path / "dl")}):
        changed = tmp_path / "changed.yaml"
        changed.write_text(yaml.safe_dump({**config, "data": {**config["data"], **change}}))
        counts, output = dry_run(finished, REPO, config=changed)
        assert counts == {} and "Nothing to be done" in output, (change, counts)
    damaged = moved / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-9])  # newer than the archive, and truncated
    changed.write_text(yaml.safe_dump({**config, "data": {**config["data"], "offline_dir": str(moved)}}))
    counts, _ = dry_run(finished, REPO, config=changed)
    assert counts == {}, counts
