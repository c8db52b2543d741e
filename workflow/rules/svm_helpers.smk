# SVM stage: constants, input functions and params of its rules (svm.smk).


import csv

from tilting import svm_analysis as tilting_svm_analysis  # noqa: E402

SVM_FIGURES = ["histograms", "curves", "plane", "mirrors"]
# svm_fit is a shell job, `python -S svm_fit.py ...`: a stdlib-only process that hands the fit
# to a fork server with numpy already imported (tilting.forkserver). The interpreter is the
# one running Snakemake, or the conda environment's python when rules run in their conda
# environments. Where the interpreter and the script lie changes no model, so they reach the
# shell command as environment variables, neither params nor command text that Snakemake
# would compare: a moved clone or a venv reached through another path reruns no fit.
os.environ["BOUNDARY_TILTING_PYTHON"] = (
    "python"
    if "conda" in str(workflow.deployment_settings.deployment_method).lower()
    else sys.executable
)
os.environ["BOUNDARY_TILTING_SCRIPTS"] = str(
    Path(workflow.basedir) / "workflow" / "scripts"
)


envvars:
    "BOUNDARY_TILTING_PYTHON",
    "BOUNDARY_TILTING_SCRIPTS",


# The solver's code: editing it reruns every fit (a param). The job adapter around it
# (svm_fit_job.py: arguments, loading, the log) changes no model and is left out; after a
# change of what a model file holds, rerun the fits with --forcerun svm_fit. The analysis code
# reruns the per-pair jobs that use it, never the fits.
SVM_FIT_CODE = package_code("svm.py", "svm_ipm.py")
SVM_ANALYSIS_CODE = package_code("svm_analysis.py", "geometry.py")
SVM_FIGURES_CODE = package_code(
    "svm_analysis.py", "geometry.py", "plots/__init__.py", "plots/svm.py"
)


def svm_fit_params():
    """Everything besides the pair's data and lambda that determines a model."""
    return {
        "pixel_scale": float(config["svm"]["pixel_scale"]),
        "objective": str(config["svm"]["objective"]),
        "gap_tolerance": float(config["svm"]["gap_tolerance"]),
        "code": SVM_FIT_CODE,
    }


def svm_representatives(wildcards):
    """The positions of the pair's representative images among the training images of each
    digit (the authors' table, workflow/resources/authors_representatives.tsv), or "first".

    A param, not an input: the rows of the table that matter, not where the repository lies.
    """
    if config["svm"]["representatives"] != "authors":
        return "first"
    table = workflow.source_path("../resources/authors_representatives.tsv")
    with open(table) as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        if row["pair"] == wildcards.pair:
            return {"index_a": int(row["index_a"]), "index_b": int(row["index_b"])}
    raise ValueError(
        f"invalid config: svm.representatives: pair {wildcards.pair} is not in the authors' table; "
        "use svm.representatives: first"
    )


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
    """Pair data, models and their tilting planes (+ MNIST labels for the authors' images of a random sample)."""
    inputs = {
        "pair": f"results/data/pairs/{wildcards.pair}.npz",
        "models": svm_model_files(wildcards),
        "projections": f"results/svm/{wildcards.pair}/projections.npz",
    }
    if (
        config["svm"]["representatives"] == "authors"
        and config["sample"]["method"] != "first"
    ):
        inputs["mnist"] = "results/data/mnist.npz"
    return inputs


def svm_overview_highlight():
    """Pairs drawn in bold in the overview: the claims' hard, easy and poorly adjusted pairs."""
    claims = config.get("claims", {})
    keys = tilting_settings.CLAIM_PAIR_KEYS
    return [str(claims[key]) for key in keys if key in claims]


def svm_figure_files(pair):
    return [
        f"results/figures/4_svm_{pair}_{name}.{ext}"
        for name in SVM_FIGURES
        for ext in ("png", "pdf")
    ]


def svm_targets():
    targets = ["results/svm/metrics.csv", "results/svm/metrics.parquet"]
    targets += expand("results/svm/{pair}/lam_{alpha}.npz", pair=PAIRS, alpha=ALPHAS)
    targets += expand(
        "results/svm/{pair}/{name}",
        pair=PAIRS,
        name=["metrics.csv", "projections.npz", "mirrors.npz", "mirrors.csv"],
    )
    for pair in PAIRS:
        targets += svm_figure_files(pair)
    targets += [
        "results/figures/4_svm_overview_curves.png",
        "results/figures/4_svm_overview_curves.pdf",
    ]
    return targets
