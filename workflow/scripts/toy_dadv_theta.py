"""rule toy_dadv_theta: d_adv of random linear classifiers against their tilting angle."""

import numpy as np
import pandas as pd

from tilting import toy
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import toy as toy_plots


def main(smk, log):
    params = smk.params.dadv
    rng = np.random.default_rng(int(params["seed"]))
    problem = toy.gaussian_balanced_set(int(params["dimension"]), int(params["points_per_class"]), rng)
    classifiers = toy.random_classifiers(problem.z_hat, int(params["classifiers"]), rng)
    rows = toy.dadv_theta_table(problem, classifiers)
    pd.DataFrame(rows).to_csv(smk.output.table, index=False)
    gap = float(np.linalg.norm(problem.centroid_j - problem.centroid_i))
    residual = max(row["residual"] for row in rows)
    log.info(
        "%d classifiers on %d points in R^%d: ||j - i|| = %.4f, max |d_adv - 1/2 ||j - i|| cos theta| = %.3g",
        len(rows),
        len(problem.y),
        int(params["dimension"]),
        gap,
        residual,
    )
    save_figure(toy_plots.dadv_theta_figure(rows, gap, int(params["dimension"])), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
