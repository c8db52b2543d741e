# Data stage: constants, input functions and params of its rules (data.smk).

# The code that computes the data files: reading MNIST's IDX files, drawing the pair samples
# (the files' readers and writers, tilting/data.py, are not: they compute nothing).
MNIST_CODE = package_code("mnist_idx.py")
PAIR_DATA_CODE = package_code("pairs.py")


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
    return ["results/data/mnist.npz"] + expand(
        "results/data/pairs/{pair}.npz", pair=PAIRS
    )
