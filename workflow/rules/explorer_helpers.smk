# Explorer stage: constants, input functions and params of its rule (explorer.smk).


EXPLORER_RESOURCES = Path(workflow.basedir) / "workflow" / "resources" / "explorer"
# the package module that builds the page's data (Snakemake tracks only the rule's own script)
EXPLORER_CODE = tilting_settings.source_digest(
    Path(workflow.basedir) / "workflow" / "scripts" / "tilting" / "explorer.py"
)


def explorer_pairs():
    """The pairs on the page: those of the run's SVM stage (none without it)."""
    return list(PAIRS) if svm_targets() else []


def explorer_networks():
    """Network name -> weight decay, lowest first; empty without the LeNet stage."""
    return lenet_weight_decays() if lenet_targets() else {}


def explorer_inputs(wildcards):
    """The run's tables the page shows, and its template (a change of it rebuilds the page)."""
    inputs = {
        name: str(EXPLORER_RESOURCES / filename)
        for name, filename in (
            ("template", "index.html"),
            ("charts", "charts.js"),
            ("script", "explorer.js"),
            ("style", "explorer.css"),
        )
    }
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
