"""The weight-decay study (config lenet_study): a second config file defines exactly its
networks, the default run has none, and a smoke run on the tiny MNIST (1 epoch) writes
tables consistent with its networks and attacks."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, SNAKEMAKE, job_counts, run_snakemake, smoke_config

from tilting import lenet_files, lenet_study
from tilting.attack import choose_images_per_digit
from tilting.data import read_mnist

STUDY = {
    "weight_decays": [1.0e-4, 1.0e-1],
    "seeds": [0, 1],
    "epochs": 1,
    "article_images_per_digit": 1,
    "minimal_images_per_digit": 2,
    "ddn_steps": 30,
}


def planned_networks(output: str) -> set[str]:
    return {line.split("net=")[1].split(",")[0].strip() for line in output.splitlines() if "net=wd" in line}


def dry_run(tmp_path, *configfiles, extra=()):
    import subprocess

    # the target first: --configfile and --config take every word that follows them
    command = [*SNAKEMAKE, "lenet_study", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    command += ["--cores", "2", "--dry-run", "--configfile", *map(str, configfiles), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_later_config_file_defines_exactly_the_study_networks(tiny_mnist, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(smoke_config(*tiny_mnist)))
    full = dry_run(tmp_path, base, REPO / "config" / "lenet_study.yaml")
    assert full.returncode == 0, full.stderr[-3000:]
    assert job_counts(full.stdout)["lenet_study_train"] == 18
    assert planned_networks(full.stdout) == set(
        lenet_study.study_networks(yaml.safe_load((REPO / "config" / "lenet_study.yaml").read_text())["lenet_study"])
    )
    # the CPU file's lists replace the full study's: 3 of its 6 weight decays x 3 seeds
    reduced = dry_run(tmp_path, base, REPO / "config" / "lenet_study.yaml", REPO / "config" / "lenet_study_cpu.yaml")
    assert reduced.returncode == 0, reduced.stderr[-3000:]
    decays = {name.split("_")[0] for name in planned_networks(reduced.stdout)}
    assert decays == {"wd0.0001", "wd0.01", "wd0.1"}
    assert len(planned_networks(reduced.stdout)) == 9


def test_the_default_config_plans_no_study(tiny_mnist, tmp_path):
    result = run_snakemake(tmp_path, smoke_config(*tiny_mnist), "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not any(rule.startswith("lenet_study") for rule in job_counts(result.stdout))


def test_a_study_grid_without_its_reference_is_a_one_line_error(tiny_mnist, tmp_path):
    config = smoke_config(*tiny_mnist)
    config["lenet_study"] = {"weight_decays": [1e-3, 1e-1]}
    result = run_snakemake(tmp_path, config, "--dry-run")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "invalid config: lenet_study.reference_weight_decay: 0.0001 is not one of weight_decays" in output
    assert "Traceback" not in output


def test_a_config_override_replaces_the_study_grid(tiny_mnist, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(smoke_config(*tiny_mnist)))
    result = dry_run(
        tmp_path,
        base,
        REPO / "config" / "lenet_study.yaml",
        extra=("--config", "lenet_study={weight_decays: [0.0001, 0.1], seeds: [0]}"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_networks(result.stdout) == {"wd0.0001_lr0.0005_seed0", "wd0.1_lr0.0005_seed0"}


@pytest.fixture(scope="module")
def study_run(tiny_mnist, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    config = smoke_config(*tiny_mnist)
    config["lenet_study"] = STUDY
    config["attack"]["max_iterations"] = 50
    # the article's LeNet_low beside the study: the same settings as the study's (1e-4, seed 0)
    result = run_snakemake(workdir, config, "lenet_study", "results/lenet/low/model.npz")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return workdir, config


def test_study_networks_are_trained_like_the_articles(study_run):
    workdir, config = study_run
    study = lenet_files.load_model(workdir / "results" / "lenet_study" / "wd0.0001_lr0.0005_seed0" / "model.npz")
    low = lenet_files.load_model(workdir / "results" / "lenet" / "low" / "model.npz")
    assert config["lenet"]["epochs"] != STUDY["epochs"] and low[2]["epochs"] == config["lenet"]["epochs"]
    # same weight decay, learning rate and seed; only the epochs differ: the first epoch is shared
    first_low = torch.load(workdir / "logs" / "lenet" / "low" / "checkpoint.pt", weights_only=False)["history"][0]
    history = pd.read_csv(workdir / "results" / "lenet_study" / "wd0.0001_lr0.0005_seed0" / "history.csv")
    assert history["train_loss"].iloc[0] == first_low["train_loss"]
    assert study[2]["seed"] == 0 and study[2]["epochs"] == 1
    seed1 = lenet_files.load_model(workdir / "results" / "lenet_study" / "wd0.0001_lr0.0005_seed1" / "model.npz")
    assert seed1[2]["seed"] == 1 and not torch.equal(seed1[0].conv1.weight, study[0].conv1.weight)


def test_attacks_table_holds_both_attacks_on_the_chosen_images(study_run):
    workdir, config = study_run
    mnist = read_mnist(workdir / "results" / "data" / "mnist.npz")
    chosen = choose_images_per_digit(mnist.test_labels, config["attack"].get("seed", 0), 2)
    for net in lenet_study.study_networks({**STUDY, "learning_rates": [5e-4], "reference_weight_decay": 1e-4}):
        attacks = pd.read_csv(workdir / "results" / "lenet_study" / net / "attacks.csv")
        article = attacks[attacks["attack"] == "article"]
        assert sorted(article["test_index"]) == sorted(chosen[d][0] for d in range(10))
        assert (article["target"] == (article["digit"] + 1) % 10).all()
        for name in ("ddn_targeted", "ddn_untargeted"):
            rows = attacks[attacks["attack"] == name]
            assert sorted(rows["test_index"]) == sorted(i for d in range(10) for i in chosen[d])
            assert (mnist.test_labels[rows["test_index"]] == rows["digit"]).all()
            reached = rows[rows["reached"]]
            assert np.isfinite(reached["l2"]).all() and (reached["l2"] >= 0).all()
        targeted = attacks[(attacks["attack"] == "ddn_targeted") & attacks["reached"]]
        assert (targeted["target"] == (targeted["digit"] + 1) % 10).all()
        untargeted = attacks[(attacks["attack"] == "ddn_untargeted") & attacks["reached"]]
        assert (untargeted["target"] != untargeted["digit"]).all()


def test_summary_tables_agree_with_the_networks_and_attacks(study_run):
    workdir, _ = study_run
    results = workdir / "results" / "lenet_study"
    table = pd.read_csv(results / "networks.csv")
    assert len(table) == 4 and set(table["seed"]) == {0, 1}
    for row in table.itertuples():
        history = pd.read_csv(results / row.net / "history.csv")
        assert row.test_error == history["test_error"].iloc[-1]
        model, _, _ = lenet_files.load_model(results / row.net / "model.npz")
        assert row.rms_fc1 == pytest.approx(lenet_files.weight_rms(model)["fc1"], rel=1e-12)
        attacks = pd.read_csv(results / row.net / "attacks.csv")
        article = attacks[attacks["attack"] == "article"]
        expected = np.median(np.where(article["reached"], article["l2"], np.inf))
        assert row.l2_article == pytest.approx(expected, rel=1e-12)
    spread = pd.read_csv(results / "weight_decays.csv")
    assert spread["seeds"].tolist() == [2, 2]
    assert spread["l2_article_max"].tolist() == table.groupby("weight_decay")["l2_article"].max().tolist()
    verdict = pd.read_csv(results / "verdict.csv")
    assert verdict["attack"].tolist() == list(lenet_study.ATTACKS)
    assert len((results / "verdict.md").read_text().splitlines()) == 3
    image = mpimg.imread(workdir / "results" / "figures" / "6_lenet_study.png")
    assert image.shape[0] > 400 and image[..., :3].std() > 0.01


def slurm_dry_run(tmp_path, configfiles, gpus: str | None) -> str:
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("TILTING_SLURM_")}
    if gpus:
        env["TILTING_SLURM_GPUS"] = gpus
    command = [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    command += ["--workflow-profile", str(REPO / "profiles" / "slurm"), "--configfile", *map(str, configfiles)]
    command += ["--dry-run", "--forceall", "lenet_study"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_slurm_profile_gives_the_study_gpus_from_its_environment(tiny_mnist, tmp_path):
    base = tmp_path / "base.yaml"
    config = smoke_config(*tiny_mnist)
    config["lenet_study"] = {"weight_decays": [1e-4, 1e-1], "seeds": [0]}
    base.write_text(yaml.safe_dump(config))

    def resources(output: str) -> dict[str, list[str]]:
        found, rule = {}, None
        for line in output.splitlines():
            if line.strip().startswith("rule "):
                rule = line.strip()[5:-1]
            elif line.strip().startswith("resources:") and rule:
                found.setdefault(rule, []).append(line)
        return found

    with_gpus = resources(slurm_dry_run(tmp_path, [base], "1"))
    without = resources(slurm_dry_run(tmp_path, [base], None))
    for rule in ("lenet_study_train", "lenet_study_attack"):
        assert len(with_gpus[rule]) == 2 and all("gpu=1" in line for line in with_gpus[rule]), with_gpus[rule]
        assert not any("gpu=1" in line for line in without[rule])
    assert not any("gpu=1" in line for line in with_gpus["lenet_study_calibrate"] + with_gpus["lenet_study_summary"])


def test_slurm_profile_runs_each_networks_attacks_as_one_job(tiny_mnist, tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "tests" / "slurm"))
    import count_jobs

    base = tmp_path / "base.yaml"
    config = smoke_config(*tiny_mnist)
    config["lenet_study"] = {"weight_decays": [1e-4, 1e-2, 1e-1], "seeds": [0, 1]}
    base.write_text(yaml.safe_dump(config))
    # (--forceall ends the list of config files before the target)
    counts = count_jobs.main(["--configfile", str(base), "--", "--forceall", "lenet_study"])
    assert counts["group_jobs"] == {"lenet_study_attacks": 6}, counts
    assert counts["jobs_in_groups"] == {"lenet_study_calibrate": 6, "lenet_study_attack": 6}
    assert counts["single_jobs"]["lenet_study_train"] == 6
