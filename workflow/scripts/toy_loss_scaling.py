"""rule toy_loss_scaling: the losses scaled by ||w|| and the numerical check of their asymptotes."""

import numpy as np
import pandas as pd

from tilting import losses
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import toy as toy_plots


def main(smk, log):
    norms = [float(n) for n in smk.params.norms]
    margin_range = float(smk.params.margin_range)
    margin = np.linspace(-margin_range, margin_range, 4001)
    names = list(losses.SMALL_NORM_COEFFICIENTS)  # the losses with asymptotes: hinge, softplus
    rows = [row for name in names for norm in norms for row in losses.asymptote_errors(name, norm, margin)]
    invariance = max(losses.zero_one_invariance_error(norm, margin) for norm in norms)
    log.info("0-1 loss: max |1[||w|| y d <= 0] - 1[y d <= 0]| over all ||w|| = %g", invariance)
    table = pd.DataFrame(rows)
    table.to_csv(smk.output.table, index=False)
    for row in rows:
        log.info(
            "%-8s ||w|| = %-6g %-5s max|error| = %.3g in %s (raw %.3g)",
            row["loss"],
            row["w_norm"],
            row["regime"],
            row["max_abs_error"],
            row["error_units"],
            row["raw_max_abs_error"],
        )
    save_figure(toy_plots.loss_scaling_figure(norms, margin_range), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
