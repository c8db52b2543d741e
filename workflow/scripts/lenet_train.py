"""rule lenet_train (and lenet_study_train): one LeNet trained as MatConvNet's cnn_train would,
resumable per epoch.

The job takes the network's lock before it opens its log: a job rerun while an earlier
one still trains the same network (e.g. an orphan left by a killed Snakemake) waits for it,
then resumes from its checkpoint, whose epochs it logs again.
"""

import sys
from pathlib import Path

from tilting.data import read_mnist
from tilting.jobs import run_job
from tilting.lenet_files import save_model, weight_rms, write_history
from tilting.lenet_training import TrainSettings, train, training_lock


def checkpoint_path(smk) -> Path:
    """The network's checkpoint, beside its log (run state: see the rule)."""
    return Path(smk.log[0]).with_name("checkpoint.pt")


def main(smk, log, waited):
    if waited:
        log.info("waited %.1f s for another process that trained this network", waited)
    settings = TrainSettings.from_dict(dict(smk.params.settings))
    checkpoint = checkpoint_path(smk)
    # the config's count (it shapes the weights on the CPU), whatever CPUs Snakemake gave the job
    threads = int(smk.params.cpu_threads)
    log.info("CPU threads: %d (lenet.threads; Snakemake gave this job %d)", threads, smk.threads)
    result = train(read_mnist(smk.input.mnist), settings, checkpoint=checkpoint, log=log, threads=threads)
    save_model(smk.output.model, result.model, result.mean_image, settings)
    write_history(smk.output.history, result.history)
    final = result.history[-1]
    log.info(
        "network %s: final train error %.2f %%, test error %.2f %%, weight RMS %s, %.1f s of training, "
        "%d epochs trained by this job",
        smk.wildcards.net,
        100 * final["train_error"],
        100 * final["test_error"],
        {layer: round(value, 6) for layer, value in weight_rms(result.model).items()},
        sum(row["seconds"] for row in result.history),
        len(result.history) - result.resumed_from,
    )
    # The finished checkpoint stays (see tilting.lenet_training); temporary files of a killed job go.
    for stale in checkpoint.parent.glob(f".{checkpoint.name}.tmp*"):
        stale.unlink(missing_ok=True)


def notify(message):
    print(f"{snakemake.rule} ({snakemake.wildcards.net}): {message}", file=sys.stderr, flush=True)  # noqa: F821


with training_lock(checkpoint_path(snakemake).with_suffix(".lock"), notify) as waited:  # noqa: F821
    run_job(snakemake, lambda smk, log: main(smk, log, waited))  # noqa: F821 (injected by Snakemake)
