"""rule lenet_summary: final errors (and the number of test images they are measured on), temperature
and training time per network; the error curves with the article's final test errors."""

import json

import pandas as pd

from tilting.jobs import run_job
from tilting.plots import save_figure
from tilting.plots.lenet import errors_figure


def main(smk, log):
    networks = dict(smk.params.networks)
    article = dict(smk.params.article_test_error)
    histories, rows = {}, []
    for net, history_path, temperature_path in zip(networks, smk.input.histories, smk.input.temperatures):
        history = pd.read_csv(history_path)
        histories[net] = history
        final = history.iloc[-1]
        calibration = json.loads(open(temperature_path).read())
        rows.append(
            {
                "net": net,
                "weight_decay": networks[net],
                "epochs": int(final["epoch"]),
                "train_error": float(final["train_error"]),
                "train_loss": float(final["train_loss"]),
                "test_error": float(final["test_error"]),
                "test_loss": float(final["test_loss"]),
                "test_images": int(calibration["test_images"]),
                "article_test_error": article.get(net, float("nan")),
                "temperature": float(calibration["temperature"]),
            }
        )
        log.info("%s", rows[-1])
    pd.DataFrame(rows).to_csv(smk.output.table, index=False)
    save_figure(errors_figure(histories, networks, article), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
