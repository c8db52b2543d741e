# Config validation, wildcard constraints and input functions shared by every stage.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from tilting import settings as tilting_settings  # noqa: E402

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


def svm_targets():
    return []


# ---- toy stage ------------------------------------------------------------


def toy_targets():
    return []


# ---- lenet stage ------------------------------------------------------------


def lenet_targets():
    return []


# ---- report stage ------------------------------------------------------------


def report_targets():
    return []
