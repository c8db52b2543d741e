"""rule lenet_summary: final errors, temperature and training time per network; the error curves."""

import json

import pandas as pd

from tilting.jobs import run_job
from tilting.lenet import ARTICLE_TEST_ERROR
from tilting.plots import save_figure
from tilting.plots.lenet import errors_figure


def article_error(weight_decay):
    for decay, error in ARTICLE_TEST_ERROR.items():
        if abs(decay - weight_decay) <= 1e-9 * decay:
            return error
    return float("nan")


def main(smk, log):
    networks = dict(smk.params.networks)
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
                "article_test_error": article_error(networks[net]),
                "temperature": float(calibration["temperature"]),
                "training_seconds": float(history["seconds"].sum()),
                "seconds_per_epoch": float(history["seconds"].mean()),
            }
        )
        log.info("%s", rows[-1])
    pd.DataFrame(rows).to_csv(smk.output.table, index=False)
    save_figure(errors_figure(histories, networks), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
