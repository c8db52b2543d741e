"""rule lenet_adversarial: the table of adversarial examples and its two figures."""

from pathlib import Path

import numpy as np
import pandas as pd

from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots.lenet import adversarial_figure, norms_figure

COLUMNS = ["net", "digit", "target", "iterations", "p_target", "l2", "linf", "capped", "temperature", "test_index", "p_initial"]


def main(smk, log):
    networks = dict(smk.params.networks)
    examples = {net: [] for net in networks}
    for path in smk.input:
        net = Path(path).parent.parent.name  # results/lenet/{net}/attack/{digit}.npz
        with np.load(path) as archive:
            example = {key: archive[key] for key in archive.files}
        example = {key: (value.item() if value.ndim == 0 else value) for key, value in example.items()}
        example["net"] = net
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
            "%s: median L2 %.1f (%.3f on [0, 1]), mean %.1f, median iterations %d, %d capped",
            net,
            rows["l2"].median(),
            rows["l2"].median() / 255,
            rows["l2"].mean(),
            int(rows["iterations"].median()),
            int(rows["capped"].sum()),
        )
    save_figure(adversarial_figure(examples, networks), smk.output.png, smk.output.pdf)
    save_figure(norms_figure(table, networks), smk.output.norms_png, smk.output.norms_pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
