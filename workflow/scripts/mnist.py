"""rule mnist: the four MNIST IDX files, md5-checked, into one compact .npz."""

from pathlib import Path

from tilting.data import save_mnist
from tilting.mnist_idx import MNIST_FILES, download_mnist, load_mnist_raw
from tilting.jobs import run_job


def main(smk, log):
    if smk.input:
        raw_dir = Path(smk.input[0]).parent
        log.info("reading MNIST from %s", raw_dir)
    else:
        log.info("downloading MNIST with torchvision into %s", smk.params.download_dir)
        raw_dir = download_mnist(smk.params.download_dir)
    mnist = load_mnist_raw(raw_dir, smk.params.checksums)
    for key in MNIST_FILES:
        log.info("%s: shape %s, md5 ok", key, getattr(mnist, key).shape)
    save_mnist(smk.output[0], mnist)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
