"""rule toy_noisy_point: SVM and logistic regression, low and high L2 regularization, one noisy point."""

import pandas as pd

from tilting import toy
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import toy as toy_plots


def main(smk, log):
    problem = toy.with_noisy_point(
        toy.make_toy_problem(**smk.params.problem), smk.params.noisy_point, int(smk.params.noisy_label)
    )
    rows, _ = toy.noisy_point_table(problem, dict(smk.params.lambdas))
    table = pd.DataFrame(rows)
    table.to_csv(smk.output.table, index=False)
    for row in rows:
        log.info(
            "%s %s (lam=%g): ||w|| = %.4g, theta = %.2f deg, d_adv = %.4f, fits p: %s, gap %s, |grad| %s",
            row["model"],
            row["regularization"],
            row["lam"],
            row["w_norm"],
            row["theta_deg"],
            row["d_adv"],
            row["fits_noisy_point"],
            row["duality_gap"],
            row["gradient_norm"],
        )
    save_figure(toy_plots.noisy_point_figure(problem, rows), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
