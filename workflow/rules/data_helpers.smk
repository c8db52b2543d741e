# Data stage: constants, input functions and params of its rules (data.smk).

# The code that computes the data files: reading MNIST's IDX files, drawing the pair samples
# (the files' readers and writers, tilting/data.py, are not: they compute nothing).
MNIST_CODE = package_code("mnist_idx.py")
PAIR_DATA_CODE = package_code("pairs.py")


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
