"""rule svm_pair_metrics: one pair's metrics table, one row per lambda (numpy + csv only)."""

import csv

from tilting.data import atomic_path
from tilting.jobs import run_job
from tilting.svm_analysis import METRIC_COLUMNS, metrics_row, read_model


def main(smk, log):
    rows = sorted((metrics_row(read_model(path)) for path in smk.input), key=lambda row: row["lam"])
    with atomic_path(smk.output[0]) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
        writer.writeheader()
        for row in rows:
            # repr keeps every digit: a rerun reproduces the table exactly
            writer.writerow({key: repr(value) if isinstance(value, float) else value for key, value in row.items()})
    worst_gap = max(row["gap"] for row in rows)
    worst_residual = max(row["identity_residual"] for row in rows)
    log.info(
        "pair %s: %d models, largest gap %.2e, largest identity residual %.1e",
        smk.wildcards.pair,
        len(rows),
        worst_gap,
        worst_residual,
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
