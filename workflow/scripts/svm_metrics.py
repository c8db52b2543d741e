"""rule svm_metrics: the metrics table of every pair and lambda, as CSV and Parquet."""

import pandas as pd

from tilting.jobs import run_job
from tilting.settings import ConfigError
from tilting.svm_analysis import METRIC_COLUMNS


def main(smk, log):
    table = pd.concat([pd.read_csv(path, dtype={"pair": str}) for path in smk.input.pairs], ignore_index=True)
    if list(table.columns) != METRIC_COLUMNS:
        raise ConfigError(f"per-pair metrics have columns {list(table.columns)}, expected {METRIC_COLUMNS}")
    table["bias_unique"] = table["bias_unique"].astype(bool)
    table = table.sort_values(["pair", "lam"], kind="stable").reset_index(drop=True)
    table.to_csv(smk.output.csv, index=False, float_format="%.17g")
    table.to_parquet(smk.output.parquet, index=False)
    log.info(
        "%d models over %d pairs; largest gap %.2e, largest relative identity residual %.1e, %d with non-unique bias",
        len(table),
        table["pair"].nunique(),
        table["gap"].max(),
        table["identity_residual_rel"].max(),
        int((~table["bias_unique"]).sum()),
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
