# Report stage: constants, input functions and params of its rules (report.smk).


# The claims' code (a param of the claims and of the table copies, which check_table checks).
CLAIMS_CODE = package_code("claims/*.py", "svm_analysis.py")

#: The final tables copied into results/tables/ (the claims read these).
REPORT_TABLES = [
    "svm_metrics",
    "toy_noisy_point",
    "toy_loss_asymptotes",
    "toy_dadv_theta",
    "lenet_history",
    "lenet_weights_rms",
    "lenet_adversarial",
]


def report_table_sources():
    """Table name -> the stage output(s) it collects, for the stages of this run.

    The SVM and toy stages always run; the LeNet stage when lenet_targets() is not empty.
    A stage's tables are required (a missing one fails the workflow); the claims of a stage
    that does not run are "not run".
    """
    tables = {"svm_metrics": ["results/svm/metrics.csv"]}
    for name in ("noisy_point", "loss_asymptotes", "dadv_theta"):
        tables[f"toy_{name}"] = [f"results/toy/{name}.csv"]
    if lenet_targets():
        tables["lenet_history"] = expand(
            "results/lenet/{net}/history.csv", net=lenet_networks()
        )
        tables["lenet_weights_rms"] = ["results/lenet/weights_rms.csv"]
        tables["lenet_adversarial"] = ["results/lenet/adversarial.csv"]
    return tables


def report_table_inputs(wildcards):
    return report_table_sources()[wildcards.table]


def report_table_nets(wildcards):
    """The network of each input of the lenet_history table (a 'net' column is added)."""
    return lenet_networks() if wildcards.table == "lenet_history" else []


def claims_inputs(wildcards):
    """The collected tables, and the LeNet summary (the number of test images behind each
    error rate, for the sampling error of the LeNet claims)."""
    inputs = {name: f"results/tables/{name}.csv" for name in report_table_sources()}
    if lenet_targets():
        inputs["lenet_summary"] = "results/lenet/summary.csv"
    return inputs


def report_targets():
    tables = expand("results/tables/{table}.csv", table=list(report_table_sources()))
    return tables + [
        "results/tables/claims.csv",
        "results/tables/claims.html",
        "results/tables/claims.md",
    ]
