"""rule toy_mirror: an image x and its mirror image x_m through L_theta as theta sweeps 0 -> 90 deg."""

import numpy as np
import pandas as pd

from tilting import toy
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import toy as toy_plots


def main(smk, log):
    problem = toy.make_toy_problem(**smk.params.problem)
    image = np.asarray(smk.params.image, dtype=float)
    thetas = np.radians(np.linspace(0.0, 90.0, int(smk.params.steps)))
    sweep = toy.mirror_sweep(image, thetas, problem.z_hat)
    table = pd.DataFrame(
        {
            "theta_deg": np.degrees(sweep["theta"]),
            "x_a": image[0],
            "x_b": image[1],
            "projected_a": sweep["projected"][:, 0],
            "projected_b": sweep["projected"][:, 1],
            "mirror_a": sweep["mirror"][:, 0],
            "mirror_b": sweep["mirror"][:, 1],
            "mirror_distance": sweep["distance"],
        }
    )
    table.to_csv(smk.output.table, index=False)
    log.info(
        "x = %s: ||x - x_m|| = %.4f at 0 deg, %.3g at 90 deg (%d angles)",
        image.tolist(),
        sweep["distance"][0],
        sweep["distance"][-1],
        len(thetas),
    )
    shown = [float(t) for t in smk.params.thetas_shown_deg]
    save_figure(toy_plots.mirror_figure(problem, image, sweep, shown), smk.output.png, smk.output.pdf)
    save_figure(toy_plots.mirror_distance_figure(image, sweep), smk.output.distance_png, smk.output.distance_pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
