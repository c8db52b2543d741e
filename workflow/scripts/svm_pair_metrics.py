"""rule svm_pair_metrics: one pair's metrics table, one row per lambda, from its saved models."""

import csv
import dataclasses

import numpy as np

from tilting.data import atomic_path, read_pair
from tilting.jobs import run_job
from tilting.svm_analysis import METRIC_COLUMNS, metrics_row, read_model


def main(smk, log):
    pair = read_pair(smk.input.pair)
    # float64 images once for all models (the metrics would convert them per model)
    pair = dataclasses.replace(pair, x_train=pair.x_train.astype(np.float64), x_test=pair.x_test.astype(np.float64))
    rows = sorted((metrics_row(read_model(path), pair) for path in smk.input.models), key=lambda row: row["lam"])
    with atomic_path(smk.output[0]) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
        writer.writeheader()
        for row in rows:
            # repr keeps every digit: a rerun reproduces the table exactly
            writer.writerow({key: repr(value) if isinstance(value, float) else value for key, value in row.items()})
    log.info(
        "pair %s: %d models, largest gap %.2e, largest relative identity residual %.1e",
        smk.wildcards.pair,
        len(rows),
        max(row["gap"] for row in rows),
        max(row["identity_residual_rel"] for row in rows),
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
