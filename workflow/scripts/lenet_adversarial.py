"""rule lenet_adversarial: the table of adversarial examples and its two figures.

Adds to each example its target likeness: the cosine between the perturbation x' - x and
the difference of the target's and the source's mean training images (tilting.likeness).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from tilting.data import read_mnist
from tilting.jobs import run_job
from tilting.likeness import digit_means, target_likeness
from tilting.plots import save_figure
from tilting.plots.lenet import adversarial_figure, norms_figure

COLUMNS = [
    "net",
    "digit",
    "target",
    "iterations",
    "p_target",
    "l2",
    "linf",
    "capped",
    "temperature",
    "test_index",
    "p_initial",
    "target_likeness",
]


def main(smk, log):
    networks = dict(smk.params.networks)
    mnist = read_mnist(smk.input.mnist)
    means = digit_means(mnist.train_images, mnist.train_labels)
    examples = {net: [] for net in networks}
    for path in smk.input.examples:
        net = Path(path).parent.parent.name  # results/lenet/{net}/attack/{digit}.npz
        with np.load(path) as archive:
            example = {key: archive[key] for key in archive.files}
        example = {key: (value.item() if value.ndim == 0 else value) for key, value in example.items()}
        example["net"] = net
        example["target_likeness"] = target_likeness(
            example["original"], example["adversarial"], means, example["digit"], example["target"]
        )
        examples[net].append(example)
    for net in examples:
        examples[net].sort(key=lambda e: e["digit"])
        digits = [e["digit"] for e in examples[net]]
        if digits != list(smk.params.digits):
            raise ValueError(f"network {net}: adversarial examples for digits {digits}, expected {smk.params.digits}")
    table = pd.DataFrame([{key: e[key] for key in COLUMNS} for net in networks for e in examples[net]], columns=COLUMNS)
    table["capped"] = table["capped"].astype(bool)
    table.to_csv(smk.output.table, index=False)
    for net in networks:
        rows = table[table["net"] == net]
        log.info(
            "%s: median L2 %.1f (%.3f on [0, 1]), mean %.1f, median iterations %d, %d capped, mean target likeness %.3f",
            net,
            rows["l2"].median(),
            rows["l2"].median() / 255,
            rows["l2"].mean(),
            int(rows["iterations"].median()),
            int(rows["capped"].sum()),
            rows["target_likeness"].mean(),
        )
    first = examples[next(iter(networks))]
    templates = {e["digit"]: means[e["target"]] - means[e["digit"]] for e in first}
    save_figure(adversarial_figure(examples, networks, templates), smk.output.png, smk.output.pdf)
    save_figure(norms_figure(table, networks), smk.output.norms_png, smk.output.norms_pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
