"""rule svm_projections: one pair's training data in the tilting plane of every model."""

import numpy as np

from tilting.data import atomic_savez, read_pair
from tilting.geometry import nearest_centroid_direction
from tilting.jobs import run_job
from tilting.svm_analysis import is_parallel, plane_projection, read_model, tilting_bases


def main(smk, log):
    pair = read_pair(smk.input.pair)
    x = pair.x_train.astype(np.float64)
    z_hat = nearest_centroid_direction(pair.centroid_i, pair.centroid_j)
    models = sorted((read_model(path) for path in smk.input.models), key=lambda model: model["lam"])
    bases = tilting_bases([model["w_reference"] for model in models], z_hat)
    centroids = np.stack([pair.centroid_i, pair.centroid_j]) - pair.mean_image
    coords, lines = [], []
    for model, basis in zip(models, bases):
        projected, line = plane_projection(x, model["w_reference"], model["b"], basis, pair.mean_image)
        coords.append(projected.astype(np.float32))
        lines.append(line)
    parallel = [model["alpha"] for model in models if is_parallel(model["w_reference"], z_hat)]
    atomic_savez(
        smk.output[0],
        alpha=np.array([model["alpha"] for model in models]),
        lam=np.array([model["lam"] for model in models]),
        basis=np.stack(bases),  # (models, 2, d): rows z_hat, n_hat
        coords=np.stack(coords),  # (models, n, 2) float32, pixel distances from the mean image
        line=np.stack(lines),  # (models, 3): boundary c1 u + c2 v + k = 0
        centroids=np.stack([centroids @ basis.T for basis in bases]),  # (models, 2 classes, 2)
        y_train=pair.y_train,
    )
    log.info(
        "pair %s: %d models x %d training images projected; w parallel to z_hat (n_hat borrowed) at alpha %s",
        smk.wildcards.pair,
        len(models),
        len(x),
        parallel or "none",
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
