"""rule mnist: the four MNIST IDX files, md5-checked, into one compact .npz.

Where the files come from is read from the config, not from params or inputs: the md5 checks
make the archive the same wherever they lie (data.offline_dir, or a download into
data.download_dir).
"""

from pathlib import Path

from tilting.data import save_mnist
from tilting.jobs import run_job
from tilting.mnist_idx import MNIST_FILES, download_mnist, load_mnist_raw


def main(smk, log):
    data = smk.config["data"]
    if data.get("offline_dir"):
        raw_dir = Path(data["offline_dir"]) / "MNIST" / "raw"
        log.info("reading MNIST from %s", raw_dir)
    else:
        log.info("downloading MNIST with torchvision into %s", data["download_dir"])
        raw_dir = download_mnist(data["download_dir"])
    mnist = load_mnist_raw(raw_dir, smk.params.checksums)
    for key in MNIST_FILES:
        log.info("%s: shape %s, md5 ok", key, getattr(mnist, key).shape)
    save_mnist(smk.output[0], mnist)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
