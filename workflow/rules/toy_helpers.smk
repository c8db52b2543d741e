# Toy stage: constants, input functions and params of its rules (toy.smk).


#: Figures of method §1-3 (each as .png and .pdf under results/figures/).
TOY_FIGURES = [
    "1_toy_boundaries",
    "1_toy_mirror",
    "1_toy_mirror_distance",
    "1_toy_noisy_point",
    "2_loss_scaling",
    "3_dadv_theta",
]


# The code that computes the toy figures and tables (a param of every toy rule).
TOY_CODE = package_code(
    "toy.py", "losses.py", "geometry.py", "svm.py", "plots/__init__.py", "plots/toy.py"
)


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
