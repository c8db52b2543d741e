"""rule lenet_train: one LeNet trained as MatConvNet's cnn_train would, resumable per epoch."""

from pathlib import Path

from tilting.data import read_mnist
from tilting.jobs import run_job
from tilting.lenet import TrainSettings, save_model, train, weight_rms, write_history


def main(smk, log):
    settings = TrainSettings.from_dict(dict(smk.params.settings))
    checkpoint = Path(smk.params.checkpoint)
    result = train(read_mnist(smk.input.mnist), settings, checkpoint=checkpoint, log=log, threads=smk.threads)
    save_model(smk.output.model, result.model, result.mean_image, settings)
    write_history(smk.output.history, result.history)
    final = result.history[-1]
    log.info(
        "network %s: final train error %.2f %%, test error %.2f %%, weight RMS %s, %.1f s of training",
        smk.wildcards.net,
        100 * final["train_error"],
        100 * final["test_error"],
        {layer: round(value, 6) for layer, value in weight_rms(result.model).items()},
        sum(row["seconds"] for row in result.history),
    )
    checkpoint.unlink(missing_ok=True)
    for stale in checkpoint.parent.glob(f".{checkpoint.name}.tmp*"):  # left by a killed job
        stale.unlink(missing_ok=True)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
