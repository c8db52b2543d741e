"""rule svm_overview: tilting angle and test error against lambda for every pair."""

import pandas as pd

from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import svm as svm_plots


def main(smk, log):
    table = pd.read_csv(smk.input[0], dtype={"pair": str})
    highlight = tuple(pair for pair in smk.params.highlight if pair in set(table["pair"]))
    save_figure(svm_plots.overview_figure(table, highlight), *smk.output)
    log.info("overview of %d pairs (highlighted: %s)", table["pair"].nunique(), ", ".join(highlight) or "none")


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
