# SVM stage: constants, input functions and params of its rules (svm.smk).


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
