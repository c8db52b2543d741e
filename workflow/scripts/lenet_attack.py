"""rule lenet_attack: one targeted adversarial example (one network, one source digit)."""

import json

import numpy as np
import torch

from tilting.attack import choose_images, targeted_attack
from tilting.data import atomic_savez, read_mnist
from tilting.jobs import one_torch_thread, run_job
from tilting.lenet_files import load_model


def main(smk, log):
    one_torch_thread()
    params = smk.params.attack
    digit = int(smk.wildcards.digit)
    mnist = read_mnist(smk.input.mnist)
    index = choose_images(mnist.test_labels, params["seed"], digits=[digit])[digit]
    temperature = float(json.loads(open(smk.input.temperature).read())["temperature"])
    model, mean_image, _ = load_model(smk.input.model, dtype=torch.float64)
    log.info("network %s, test image %d (digit %d), temperature %.6g", smk.wildcards.net, index, digit, temperature)
    result = targeted_attack(
        model,
        mean_image,
        mnist.test_images[index],
        digit,
        temperature,
        target_probability=params["target_probability"],
        step=params["step"],
        max_iterations=params["max_iterations"],
        log=log,
    )
    log.info(
        "%d -> %d: %d iterations, p = %.4f (from %.3g), L2 %.2f (%.3f on [0, 1]), Linf %.2f%s",
        digit,
        result.target,
        result.iterations,
        result.p_target,
        result.p_initial,
        result.l2,
        result.l2 / 255,
        result.linf,
        ", CAPPED: target probability not reached" if result.capped else "",
    )
    if result.capped:
        log.warning("iteration cap %d reached before p >= %g", params["max_iterations"], params["target_probability"])
    atomic_savez(
        smk.output[0],
        original=result.original,
        adversarial=result.adversarial,
        digit=np.int64(digit),
        target=np.int64(result.target),
        test_index=np.int64(index),
        iterations=np.int64(result.iterations),
        p_target=np.float64(result.p_target),
        p_initial=np.float64(result.p_initial),
        l2=np.float64(result.l2),
        linf=np.float64(result.linf),
        capped=np.bool_(result.capped),
        temperature=np.float64(temperature),
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
