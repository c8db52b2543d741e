# LeNet stage: constants, input functions and params of its rules (lenet.smk).


# The code that computes each rule's outputs (params). Training: the network and cnn_train's
# procedure; the model and history files (tilting/lenet_files.py) are left out, as the SVM fit's
# job adapter is.
LENET_TRAIN_CODE = package_code("lenet.py", "lenet_training.py")
# CPU threads of a training: its Snakemake threads and a param (the weights depend on it)
LENET_THREADS = int(config["lenet"]["threads"])
LENET_ATTACK_CODE = package_code("lenet.py", "attack.py")
LENET_ADVERSARIAL_CODE = package_code(
    "likeness.py", "plots/__init__.py", "plots/lenet.py"
)
LENET_WEIGHTS_CODE = package_code(
    "lenet.py", "lenet_files.py", "plots/__init__.py", "plots/lenet.py"
)
LENET_SUMMARY_CODE = package_code("plots/__init__.py", "plots/lenet.py")


#: Source digits of the adversarial examples (one test image each).
LENET_DIGITS = list(range(10))


#: network name -> weight decay, lowest first (the order of tables and figures). A network set to
#: null is left out: a later config file removes a network of an earlier one that way (config
#: files are merged key by key, so leaving a name out of a later file would keep it).
LENET_NETWORKS = dict(
    sorted(
        (
            (name, float(decay))
            for name, decay in config["lenet"]["networks"].items()
            if decay is not None
        ),
        key=lambda item: (item[1], item[0]),
    )
)


def lenet_networks():
    """Network names, lowest weight decay first."""
    return list(LENET_NETWORKS)


def lenet_weight_decays():
    """Network name -> weight decay, lowest first (plain floats)."""
    return dict(LENET_NETWORKS)


def lenet_optional_int(key):
    value = config["lenet"].get(key)
    return None if value is None else int(value)


def lenet_test_images():
    return lenet_optional_int("test_images")


def lenet_settings(weight_decay, **overrides):
    """Every setting that shapes one trained network (tilting.lenet_training.TrainSettings): the
    lenet section's, with this weight decay and ``overrides`` (learning_rate, seed, epochs).
    """
    lenet = config["lenet"]
    settings = {
        "weight_decay": float(weight_decay),
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
    settings.update(overrides)
    return settings


def lenet_train_settings(wildcards):
    return lenet_settings(LENET_NETWORKS[wildcards.net])


def lenet_attack_params():
    attack = config["attack"]
    return {
        "target_probability": float(attack["target_probability"]),
        "step": float(attack["step"]),
        "max_iterations": int(attack["max_iterations"]),
        "seed": int(attack["seed"]),
    }


def lenet_article_test_errors():
    """Network -> the article's final test error, for the networks of this run that have one."""
    references = config["claims"]["lenet_reference_test_error"]
    return {
        net: float(references[net]) for net in lenet_networks() if net in references
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
    if not LENET_NETWORKS:
        return []
    tables = ["adversarial", "weights_rms", "summary"]
    figures = ["errors", "filters", "adversarial", "perturbation_norms"]
    return (
        lenet_files("results/lenet/{net}/history.csv")
        + lenet_files("results/lenet/{net}/model.npz")
        + lenet_files("results/lenet/{net}/temperature.json")
        + lenet_attack_files()
        + [f"results/lenet/{name}.csv" for name in tables]
        + [
            f"results/figures/5_lenet_{name}.{ext}"
            for name in figures
            for ext in ("png", "pdf")
        ]
    )
