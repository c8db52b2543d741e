# Config validation, wildcard constraints and input functions shared by every stage.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from tilting import settings as tilting_settings  # noqa: E402
from snakemake_scheduling import keep_one_reevaluation_timer  # noqa: E402

# without it, thousands of short jobs keep the main process busy scheduling (see the module)
keep_one_reevaluation_timer()

try:
    tilting_settings.validate_config(
        config,
        tilting_settings.load_schema(
            workflow.source_path("../schemas/config.schema.yaml")
        ),
    )
    PAIRS = tilting_settings.resolve_pairs(config["pairs"])
    EXPONENTS = tilting_settings.lambda_exponents(**config["svm"]["lambda_exponents"])
except tilting_settings.ConfigError as err:
    raise ValueError(f"invalid config: {err}") from None

# fills the schema's defaults for keys a config file leaves out
validate(config, schema="../schemas/config.schema.yaml")

ALPHAS = [tilting_settings.format_exponent(alpha) for alpha in EXPONENTS]
NETWORKS = sorted(config.get("lenet", {}).get("networks", {}))


wildcard_constraints:
    pair=r"[0-9]v[0-9]",
    alpha=r"[-+][0-9]+\.[0-9]{2}",
    net=r"[A-Za-z0-9_]+",
    digit=r"[0-9]",


# ---- data stage ------------------------------------------------------------


def mnist_source_files(wildcards):
    """The four IDX files of data.offline_dir (.gz or plain); none when downloading."""
    offline_dir = config["data"].get("offline_dir")
    if not offline_dir:
        return []
    raw = Path(offline_dir) / "MNIST" / "raw"
    files = []
    for name in config["data"]["checksums"]:
        plain = raw / name
        files.append(str(plain if plain.exists() else raw / f"{name}.gz"))
    return files


def mnist_download_dir():
    """Only a download depends on download_dir: an offline run ignores it."""
    return None if config["data"].get("offline_dir") else config["data"]["download_dir"]


def pair_sample_params():
    """The sample settings that change the sample (the seed only for a random one)."""
    sample = config["sample"]
    params = {
        "method": sample["method"],
        "images_per_class": int(sample["images_per_class"]),
    }
    if sample["method"] == "random":
        params["seed"] = int(sample["seed"])
    return params


def data_targets():
    return expand("results/data/pairs/{pair}.npz", pair=PAIRS)


# ---- svm stage ------------------------------------------------------------

from tilting import svm_analysis as tilting_svm_analysis  # noqa: E402

SVM_FIGURES = ["histograms", "curves", "plane", "mirrors"]
# svm_fit is a shell job, `python -S svm_fit.py ...`: a stdlib-only process that hands the fit
# to a fork server with numpy already imported (tilting.forkserver). The interpreter is the
# venv's, or the conda environment's python when rules run in their conda environments.
SVM_PYTHON = (
    "python"
    if "conda" in str(workflow.deployment_settings.deployment_method).lower()
    else sys.executable
)
SVM_FIT_SCRIPT = str(Path(workflow.basedir) / "workflow" / "scripts" / "svm_fit.py")
SVM_FIT_CODE = tilting_settings.source_digest(
    SVM_FIT_SCRIPT,
    *(
        Path(workflow.basedir) / "workflow" / "scripts" / "tilting" / name
        for name in (
            "svm_fit_job.py",
            "svm.py",
            "svm_analysis.py",
            "geometry.py",
            "data.py",
            "jobs.py",
        )
    ),
)
SVM_REPRESENTATIVES = str(
    Path(workflow.basedir) / "workflow" / "resources" / "authors_representatives.tsv"
)


def svm_exponent(wildcards):
    """The lambda exponent of an svm_fit job, from its file name."""
    return tilting_settings.parse_exponent(wildcards.alpha)


def svm_model_files(wildcards):
    """Every model of one pair, over the whole lambda grid."""
    return expand(
        "results/svm/{pair}/lam_{alpha}.npz", pair=wildcards.pair, alpha=ALPHAS
    )


def svm_figure_exponents():
    """svm.figure_exponents moved to the nearest grid values (plain floats)."""
    return tilting_svm_analysis.nearest_exponents(
        config["svm"]["figure_exponents"], EXPONENTS
    )


def svm_figure_models(wildcards):
    """The models drawn in one pair's histograms."""
    alphas = [
        tilting_settings.format_exponent(alpha) for alpha in svm_figure_exponents()
    ]
    return expand(
        "results/svm/{pair}/lam_{alpha}.npz", pair=wildcards.pair, alpha=alphas
    )


def svm_mirror_inputs(wildcards):
    """Pair data, models and their tilting planes; the authors' table (+ MNIST labels for a random sample)."""
    inputs = {
        "pair": f"results/data/pairs/{wildcards.pair}.npz",
        "models": svm_model_files(wildcards),
        "projections": f"results/svm/{wildcards.pair}/projections.npz",
    }
    if config["svm"]["representatives"] == "authors":
        inputs["representatives"] = SVM_REPRESENTATIVES
        if config["sample"]["method"] != "first":
            inputs["mnist"] = "results/data/mnist.npz"
    return inputs


def svm_overview_highlight():
    """Pairs drawn in bold in the overview: the claims' hard, easy and poorly adjusted pairs."""
    claims = config.get("claims", {})
    keys = ("hard_pair", "easy_pair", "poorly_adjusted_pair")
    return [str(claims[key]) for key in keys if key in claims]


def svm_figure_files(pair):
    return [
        f"results/figures/4_svm_{pair}_{name}.{ext}"
        for name in SVM_FIGURES
        for ext in ("png", "pdf")
    ]


def svm_targets():
    targets = ["results/svm/metrics.csv", "results/svm/metrics.parquet"]
    targets += expand("results/svm/{pair}/mirrors.csv", pair=PAIRS)
    for pair in PAIRS:
        targets += svm_figure_files(pair)
    targets += [
        "results/figures/4_svm_overview_curves.png",
        "results/figures/4_svm_overview_curves.pdf",
    ]
    return targets


# ---- toy stage ------------------------------------------------------------

#: Figures of SPEC sections 1-3 (each as .png and .pdf under results/figures/).
TOY_FIGURES = [
    "1_toy_boundaries",
    "1_toy_mirror",
    "1_toy_mirror_distance",
    "1_toy_noisy_point",
    "2_loss_scaling",
    "3_dadv_theta",
]


def toy_problem_params():
    """The settings that define the toy training set."""
    return {
        "points_per_class": int(config["toy"]["points_per_class"]),
        "spread": float(config["toy"]["spread"]),
    }


def toy_floats(key):
    """A list of numbers of the toy section as plain floats."""
    return [float(value) for value in config["toy"][key]]


def toy_lambdas():
    """Regularization level -> lambda of the noisy-point models."""
    return {
        "low": float(config["toy"]["lambda_low"]),
        "high": float(config["toy"]["lambda_high"]),
    }


def toy_dadv_params():
    toy = config["toy"]
    return {
        "dimension": int(toy["dadv_dimension"]),
        "points_per_class": int(toy["dadv_points_per_class"]),
        "classifiers": int(toy["random_classifiers"]),
        "seed": int(toy["seed"]),
    }


def toy_targets():
    tables = ["mirror", "noisy_point", "loss_asymptotes", "dadv_theta"]
    return [f"results/toy/{name}.csv" for name in tables] + [
        f"results/figures/{name}.{ext}"
        for name in TOY_FIGURES
        for ext in ("png", "pdf")
    ]


# ---- lenet stage ------------------------------------------------------------

#: Source digits of the adversarial examples (one test image each).
LENET_DIGITS = list(range(10))


def lenet_networks():
    """Network names, lowest weight decay first (the order of tables and figures)."""
    nets = config["lenet"]["networks"]
    return sorted(nets, key=lambda net: (float(nets[net]), net))


def lenet_weight_decays():
    """Network name -> weight decay, lowest first (plain floats)."""
    nets = config["lenet"]["networks"]
    return {net: float(nets[net]) for net in lenet_networks()}


def lenet_optional_int(key):
    value = config["lenet"].get(key)
    return None if value is None else int(value)


def lenet_test_images():
    return lenet_optional_int("test_images")


def lenet_train_settings(wildcards):
    """Every setting that shapes one trained network (tilting.lenet.TrainSettings)."""
    lenet = config["lenet"]
    return {
        "weight_decay": float(lenet["networks"][wildcards.net]),
        "epochs": int(lenet["epochs"]),
        "batch_size": int(lenet["batch_size"]),
        "learning_rate": float(lenet["learning_rate"]),
        "momentum": float(lenet["momentum"]),
        "init_scale": float(lenet["init_scale"]),
        "seed": int(lenet["seed"]),
        "device": str(lenet["device"]),
        "train_images": lenet_optional_int("train_images"),
        "test_images": lenet_optional_int("test_images"),
    }


def lenet_attack_params():
    attack = config["attack"]
    return {
        "target_probability": float(attack["target_probability"]),
        "step": float(attack["step"]),
        "max_iterations": int(attack["max_iterations"]),
        "seed": int(attack["seed"]),
    }


def lenet_files(pattern):
    return expand(pattern, net=lenet_networks())


def lenet_attack_files():
    return expand(
        "results/lenet/{net}/attack/{digit}.npz",
        net=lenet_networks(),
        digit=LENET_DIGITS,
    )


def lenet_targets():
    if not config["lenet"].get("networks"):
        return []
    tables = ["adversarial", "weights_rms", "summary"]
    figures = ["errors", "filters", "adversarial", "perturbation_norms"]
    return (
        lenet_files("results/lenet/{net}/history.csv")
        + [f"results/lenet/{name}.csv" for name in tables]
        + [
            f"results/figures/5_lenet_{name}.{ext}"
            for name in figures
            for ext in ("png", "pdf")
        ]
    )


# ---- report stage ------------------------------------------------------------

#: The final tables copied into results/tables/ (the claims read these).
REPORT_TABLES = [
    "svm_metrics",
    "toy_noisy_point",
    "toy_loss_asymptotes",
    "toy_dadv_theta",
    "lenet_history",
    "lenet_weights_rms",
    "lenet_adversarial",
]


def report_table_sources():
    """Table name -> the stage output(s) it collects, for the stages of this run.

    A stage is part of the run when its <stage>_targets() is not empty; its tables are
    then required (a missing one fails the workflow), the other stages' claims are "not run".
    """
    tables = {}
    if svm_targets():
        tables["svm_metrics"] = ["results/svm/metrics.csv"]
    if toy_targets():
        for name in ("noisy_point", "loss_asymptotes", "dadv_theta"):
            tables[f"toy_{name}"] = [f"results/toy/{name}.csv"]
    if lenet_targets():
        tables["lenet_history"] = expand(
            "results/lenet/{net}/history.csv", net=NETWORKS
        )
        tables["lenet_weights_rms"] = ["results/lenet/weights_rms.csv"]
        tables["lenet_adversarial"] = ["results/lenet/adversarial.csv"]
    return tables


def report_table_inputs(wildcards):
    return report_table_sources()[wildcards.table]


def report_table_nets(wildcards):
    """The network of each input of the lenet_history table (a 'net' column is added)."""
    return list(NETWORKS) if wildcards.table == "lenet_history" else []


def claims_inputs(wildcards):
    return {name: f"results/tables/{name}.csv" for name in report_table_sources()}


def report_targets():
    tables = expand("results/tables/{table}.csv", table=list(report_table_sources()))
    return tables + [
        "results/tables/claims.csv",
        "results/tables/claims.html",
        "results/tables/claims.md",
    ]
