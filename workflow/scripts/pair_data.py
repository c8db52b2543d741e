"""rule pair_data: one digit pair's balanced training sample, test set and centroids."""

from tilting.data import read_mnist, save_pair
from tilting.jobs import run_job
from tilting.pairs import make_pair
from tilting.settings import parse_pair


def main(smk, log):
    a, b = parse_pair(smk.wildcards.pair)
    sample = smk.params.sample
    pair = make_pair(
        read_mnist(smk.input[0]),
        a,
        b,
        images_per_class=sample["images_per_class"],
        method=sample["method"],
        seed=sample.get("seed"),  # a param only of a random sample
    )
    log.info(
        "pair %s: %d training images (%s sample), %d test images, ||j - i|| = %.3f",
        smk.wildcards.pair,
        len(pair.y_train),
        sample["method"],
        len(pair.y_test),
        float(((pair.centroid_j - pair.centroid_i) ** 2).sum() ** 0.5),
    )
    save_pair(smk.output[0], pair)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
