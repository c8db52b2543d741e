"""rule lenet_calibrate: the softmax temperature that puts the median top-1 probability at the target."""

import json

import numpy as np
import torch

from tilting.attack import calibrate_temperature, network_scores
from tilting.data import atomic_path, read_mnist
from tilting.jobs import one_torch_thread, run_job
from tilting.lenet_files import load_model


def main(smk, log):
    one_torch_thread()
    mnist = read_mnist(smk.input.mnist)
    n = len(mnist.test_labels) if smk.params.test_images is None else int(smk.params.test_images)
    images, labels = mnist.test_images[:n], mnist.test_labels[:n]
    model, mean_image, _ = load_model(smk.input.model, dtype=torch.float64)
    scores = network_scores(model, mean_image, images)
    calibration = calibrate_temperature(scores, smk.params.median_probability)
    result = {
        "temperature": calibration.temperature,
        "median_probability": calibration.median_probability,
        "target_median_probability": smk.params.median_probability,
        "bisection_iterations": calibration.iterations,
        "test_images": int(n),
        "test_error": float(np.mean(scores.argmax(1) != labels)),
    }
    log.info("network %s: %s", smk.wildcards.net, result)
    with atomic_path(smk.output[0]) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n")


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
