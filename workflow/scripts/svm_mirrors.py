"""rule svm_mirrors: a representative image per class and its mirror image through every model."""

import csv

import numpy as np

from tilting.data import atomic_path, atomic_savez, read_pair
from tilting.geometry import project_to_plane
from tilting.jobs import run_job
from tilting.settings import ConfigError
from tilting.svm_analysis import mirror_pair, read_model, representative_rows


def representative_positions(representatives):
    """(index_a, index_b): positions among the training images of each digit in file order."""
    if representatives == "first":
        return 0, 0
    return int(representatives["index_a"]), int(representatives["index_b"])


def main(smk, log):
    pair_name = smk.wildcards.pair
    pair = read_pair(smk.input.pair)
    index_a, index_b = representative_positions(smk.params.representatives)
    train_labels = None
    if "mnist" in smk.input.keys():
        with np.load(smk.input.mnist) as archive:
            train_labels = archive["train_labels"]
    try:
        rows = representative_rows(pair, index_a, index_b, train_labels)
    except IndexError as err:
        raise ConfigError(f"svm.representatives={smk.params.representatives}: {err}") from None
    images = pair.x_train[list(rows)].astype(np.float64)
    models = sorted((read_model(path) for path in smk.input.models), key=lambda model: model["lam"])
    with np.load(smk.input.projections) as archive:
        alphas, bases = archive["alpha"], archive["basis"].astype(np.float64)
    if not np.array_equal(alphas, [model["alpha"] for model in models]):
        raise ValueError(f"{smk.input.projections}: lambda grid differs from the models'")
    mirrors, distances, points, mirror_points = [], [], [], []
    for model, basis in zip(models, bases):
        mirrored, distance = mirror_pair(images, model["w_reference"], model["b"])
        mirrors.append(mirrored)
        distances.append(distance)
        points.append(project_to_plane(images, basis, pair.mean_image))
        mirror_points.append(project_to_plane(mirrored, basis, pair.mean_image))
    alpha = np.array([model["alpha"] for model in models])
    lam = np.array([model["lam"] for model in models])
    distances = np.array(distances)
    atomic_savez(
        smk.output.npz,
        alpha=alpha,
        lam=lam,
        rows=np.array(rows),  # rows of the pair's x_train
        index_train=pair.index_train[list(rows)],  # positions in the MNIST training file
        positions=np.array([index_a, index_b]),  # positions among each digit's images
        images=images,  # (2, d): x of class a (I), y of class b (J), 0-255
        mirrors=np.array(mirrors),  # (models, 2, d)
        distances=distances,  # (models, 2): ||x_m - x||, ||y_m - y||
        points=np.array(points),  # (models, 2, 2): x, y in each tilting plane
        mirror_points=np.array(mirror_points),  # (models, 2, 2): x_m, y_m
    )
    with atomic_path(smk.output.csv) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pair", "alpha", "lam", "dist_x", "dist_y"])
        for k in range(len(models)):
            writer.writerow(
                [pair_name, repr(float(alpha[k])), repr(float(lam[k])), *map(repr, map(float, distances[k]))]
            )
    log.info(
        "pair %s: representatives at rows %s (file indices %s); ||x_m - x|| from %.2f to %.2f",
        pair_name,
        rows,
        pair.index_train[list(rows)].tolist(),
        distances[:, 0].min(),
        distances[:, 0].max(),
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
