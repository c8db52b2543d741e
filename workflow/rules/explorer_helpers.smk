# Explorer stage: constants, input functions and params of its rule (explorer.smk).


EXPLORER_RESOURCES = Path(workflow.basedir) / "workflow" / "resources" / "explorer"
# The page's code, a param: the package modules that build its data and the template files
# (read by the script from workflow/resources/explorer/; as inputs their absolute paths would
# rerun the page whenever the clone moves).
EXPLORER_TEMPLATE = ["index.html", "charts.js", "explorer.js", "explorer.css"]
EXPLORER_CODE = tilting_settings.source_digest(
    PACKAGE / "explorer.py",
    PACKAGE / "svm_analysis.py",
    *(EXPLORER_RESOURCES / name for name in EXPLORER_TEMPLATE),
)


def explorer_pairs():
    """The pairs on the page: those of the run's SVM stage (none without it)."""
    return list(PAIRS) if svm_targets() else []


def explorer_networks():
    """Network name -> weight decay, lowest first; empty without the LeNet stage."""
    return lenet_weight_decays() if lenet_targets() else {}


def explorer_inputs(wildcards):
    """The run's tables the page shows."""
    inputs = {}
    pairs = explorer_pairs()
    if pairs:
        inputs["metrics"] = "results/svm/metrics.csv"
        inputs["projections"] = expand("results/svm/{pair}/projections.npz", pair=pairs)
        inputs["mirrors"] = expand("results/svm/{pair}/mirrors.npz", pair=pairs)
    if explorer_networks():
        inputs["attacks"] = lenet_attack_files()
    return inputs


def explorer_settings():
    settings = config["explorer"]
    return {
        "points_per_class": int(settings["points_per_class"]),
        "histogram_bins": int(settings["histogram_bins"]),
    }


def explorer_targets():
    if not (explorer_pairs() or explorer_networks()):
        return []
    return ["results/explorer/index.html"]
