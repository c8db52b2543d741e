# Weight-decay study: constants, input functions and params of its rules (lenet_study.smk).

from tilting import lenet_study as tilting_lenet_study  # noqa: E402

try:
    #: name -> {weight_decay, learning_rate, seed}; empty when the study is off
    LENET_STUDY_NETWORKS = tilting_lenet_study.study_networks(config["lenet_study"])
except tilting_settings.ConfigError as err:
    sys.exit(f"invalid config: {err}")

# The code of the study's own rules (params; training and calibration use the LeNet stage's).
LENET_STUDY_ATTACK_CODE = package_code("lenet.py", "attack.py", "minimal_attack.py")
LENET_STUDY_SUMMARY_CODE = package_code(
    "lenet.py",
    "lenet_files.py",
    "lenet_study.py",
    "plots/__init__.py",
    "plots/lenet_study.py",
)

#: Study network names: the grid's values, written with '.' and '-' (e.g. wd1e-05_lr0.0005_seed0).
LENET_STUDY_NET = r"wd[0-9.e+-]+_lr[0-9.e+-]+_seed[0-9]+"


def lenet_study_train_settings(wildcards):
    spec = LENET_STUDY_NETWORKS[wildcards.net]
    epochs = config["lenet_study"].get("epochs")
    return lenet_settings(
        spec["weight_decay"],
        learning_rate=spec["learning_rate"],
        seed=spec["seed"],
        epochs=int(config["lenet"]["epochs"] if epochs is None else epochs),
    )


def lenet_study_attack_params():
    """What the attacks of one network depend on (the article's attack and DDN)."""
    study = config["lenet_study"]
    return {
        **lenet_attack_params(),
        "article_images_per_digit": int(study["article_images_per_digit"]),
        "minimal_images_per_digit": int(study["minimal_images_per_digit"]),
        "ddn_steps": int(study["ddn_steps"]),
        "device": str(config["lenet"]["device"]),
    }


def lenet_study_files(pattern):
    return expand(pattern, net=list(LENET_STUDY_NETWORKS))


def lenet_study_targets():
    if not LENET_STUDY_NETWORKS:
        return []
    tables = ["networks", "weight_decays", "verdict"]
    per_network = ["model.npz", "history.csv", "temperature.json", "attacks.csv"]
    files = [f"results/lenet_study/{{net}}/{name}" for name in per_network]
    return (
        lenet_study_files(files)
        + [f"results/lenet_study/{name}.csv" for name in tables]
        + [
            "results/lenet_study/verdict.md",
            "results/figures/6_lenet_study.png",
            "results/figures/6_lenet_study.pdf",
        ]
    )
