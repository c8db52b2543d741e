"""rule lenet_weights: the RMS of each layer's weights and a figure of random filters."""

import pandas as pd

from tilting.jobs import run_job
from tilting.lenet import LAYERS
from tilting.lenet_files import load_model, weight_rms
from tilting.plots import save_figure
from tilting.plots.lenet import filters_figure


def main(smk, log):
    networks = dict(smk.params.networks)
    rows, weights = [], {}
    for net, path in zip(networks, smk.input):
        model, _, settings = load_model(path)
        if abs(settings["weight_decay"] - networks[net]) > 1e-12 * max(1.0, networks[net]):
            raise ValueError(f"{path}: trained with weight decay {settings['weight_decay']}, expected {networks[net]} for {net}")
        rms = weight_rms(model)
        rows += [{"net": net, "layer": layer, "rms": rms[layer], "weight_decay": networks[net]} for layer in LAYERS]
        weights[net] = {layer: getattr(model, layer).weight.detach().numpy() for layer in LAYERS}
        log.info("%s: weight RMS %s", net, {layer: f"{value:.4g}" for layer, value in rms.items()})
    pd.DataFrame(rows, columns=["net", "layer", "rms", "weight_decay"]).to_csv(smk.output.table, index=False)
    save_figure(filters_figure(weights, networks, smk.params.seed), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
