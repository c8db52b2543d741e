"""rule svm_figures: one pair's figures (histograms, curves, tilting plane, mirror images)."""

import csv

import numpy as np

from tilting.data import read_pair
from tilting.geometry import signed_distance
from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots import svm as svm_plots
from tilting.svm_analysis import nearest_exponents, optimal_index, read_model


def read_metrics(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = ("alpha", "lam", "w_norm", "b", "theta_deg", "d_adv", "err_train", "err_test")
    return {key: np.array([float(row[key]) for row in rows]) for key in columns}


def main(smk, log):
    pair_name = smk.wildcards.pair
    pair = read_pair(smk.input.pair)
    metrics = read_metrics(smk.input.metrics)
    chosen = nearest_exponents(smk.params.figure_exponents, metrics["alpha"].tolist())
    picks = [int(np.flatnonzero(metrics["alpha"] == alpha)[0]) for alpha in chosen]
    log.info("pair %s: figure exponents %s", pair_name, chosen)
    outputs = smk.output

    x = pair.x_train.astype(np.float64)
    y = pair.y_train.astype(np.float64)
    with np.load(smk.input.projections) as archive:
        projections = {key: archive[key] for key in archive.files}
    with np.load(smk.input.mirrors) as archive:
        mirrors = {key: archive[key] for key in archive.files}
    for name in ("projections", "mirrors"):
        if not np.array_equal(locals()[name]["alpha"], metrics["alpha"]):
            raise ValueError(f"{name} file of {pair_name} does not hold the metrics table's lambda grid")

    models = {model["alpha"]: model for model in map(read_model, smk.input.models)}
    hist_panels = []
    for k in picks:
        model = models[float(metrics["alpha"][k])]
        margins = y * signed_distance(x, model["w_reference"], model["b"])
        hist_panels.append(
            {"alpha": model["alpha"], "margins": margins, "w_norm": metrics["w_norm"][k], "d_adv": metrics["d_adv"][k]}
        )
    save_figure(svm_plots.histogram_figure(hist_panels, pair_name), outputs.hist_png, outputs.hist_pdf)

    optimal = optimal_index(metrics["err_test"], metrics["lam"])
    log.info("lambda_optimal = %.4g (test error %.4f)", metrics["lam"][optimal], metrics["err_test"][optimal])
    fig = svm_plots.curves_figure(
        metrics["lam"],
        metrics["err_train"],
        metrics["err_test"],
        metrics["d_adv"],
        metrics["theta_deg"],
        pair_name,
        optimal,
    )
    save_figure(fig, outputs.curves_png, outputs.curves_pdf)

    plane_panels = [
        {
            "alpha": metrics["alpha"][k],
            "coords": projections["coords"][k],
            "line": projections["line"][k],
            "centroids": projections["centroids"][k],
            "theta_deg": metrics["theta_deg"][k],
        }
        for k in picks
    ]
    fig = svm_plots.plane_figure(plane_panels, projections["y_train"], pair_name)
    save_figure(fig, outputs.plane_png, outputs.plane_pdf)

    mirror_panels = [
        {
            "alpha": metrics["alpha"][k],
            "mirrors": mirrors["mirrors"][k],
            "points": mirrors["points"][k],
            "mirror_points": mirrors["mirror_points"][k],
            "line": projections["line"][k],
        }
        for k in picks
    ]
    fig = svm_plots.mirror_figure(mirrors["images"], mirror_panels, mirrors["lam"], mirrors["distances"], pair_name)
    save_figure(fig, outputs.mirrors_png, outputs.mirrors_pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
