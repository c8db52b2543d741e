"""rule toy_boundaries: the toy problem's two classes and the boundaries L_theta."""

from tilting import toy
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import toy as toy_plots


def main(smk, log):
    problem = toy.make_toy_problem(**smk.params.problem)
    thetas = [float(t) for t in smk.params.thetas_deg]
    log.info("toy problem: %d points, z_hat = %s; L_theta for theta = %s deg", len(problem.y), problem.z_hat, thetas)
    save_figure(toy_plots.boundaries_figure(problem, thetas), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
