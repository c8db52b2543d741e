"""rule lenet_study_attack: one study network attacked by the article's attack and by DDN
(minimal L2, targeted and untargeted); one row per example in attacks.csv."""

import json
import time

import numpy as np
import pandas as pd
import torch

from tilting.attack import choose_images_per_digit, target_label, targeted_attack
from tilting.data import atomic_path, read_mnist
from tilting.jobs import one_torch_thread, run_job
from tilting.lenet import resolve_device
from tilting.lenet_files import load_model
from tilting.minimal_attack import minimal_l2

COLUMNS = ["attack", "digit", "test_index", "target", "l2", "reached", "iterations"]


def main(smk, log):
    one_torch_thread()
    params = smk.params.attack
    mnist = read_mnist(smk.input.mnist)
    count = max(params["article_images_per_digit"], params["minimal_images_per_digit"])
    chosen = choose_images_per_digit(mnist.test_labels, params["seed"], count)
    temperature = float(json.loads(open(smk.input.temperature).read())["temperature"])
    rows = []

    start = time.perf_counter()
    model64, mean_image, _ = load_model(smk.input.model, dtype=torch.float64)
    for digit, indices in chosen.items():
        for index in indices[: params["article_images_per_digit"]]:
            result = targeted_attack(
                model64,
                mean_image,
                mnist.test_images[index],
                digit,
                temperature,
                target_probability=params["target_probability"],
                step=params["step"],
                max_iterations=params["max_iterations"],
            )
            rows.append(["article", digit, index, result.target, result.l2, not result.capped, result.iterations])
    log.info("article's attack: %d examples in %.1f s", len(rows), time.perf_counter() - start)

    model, mean_image, _ = load_model(smk.input.model)
    indices = np.array([i for digit in chosen for i in chosen[digit][: params["minimal_images_per_digit"]]])
    labels = mnist.test_labels[indices].astype(np.int64)
    device = resolve_device(params["device"])
    for name, targets in (("ddn_targeted", np.array([target_label(y) for y in labels])), ("ddn_untargeted", None)):
        start = time.perf_counter()
        result = minimal_l2(
            model, mean_image, mnist.test_images[indices], labels, targets, steps=params["ddn_steps"], device=device
        )
        for k, index in enumerate(indices):
            target = int(targets[k]) if targets is not None else int(result.predicted[k])
            rows.append([name, int(labels[k]), int(index), target, result.l2[k], bool(result.found[k]), params["ddn_steps"]])
        found = result.l2[result.found]
        log.info(
            "%s on %s: %d images, %d found, median L2 %.1f grey levels, in %.1f s",
            name,
            device,
            len(indices),
            int(result.found.sum()),
            float(np.median(found)) if found.size else float("nan"),
            time.perf_counter() - start,
        )
    with atomic_path(smk.output[0]) as tmp:
        pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp, index=False)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
