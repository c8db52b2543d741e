"""Digit pairs and their training samples (method §4; the ``pair_data`` rule's code).

An edit here reruns every pair's sample and so every fit (its ``code`` param); the pair file's
reader and writer live in :mod:`tilting.data`.
"""

from __future__ import annotations

import numpy as np

from .data import DataError, Mnist, PairData


def sample_digit(labels: np.ndarray, digit: int, count: int, method: str, seed: int | None = None) -> np.ndarray:
    """Indices (into the training file) of ``count`` images of ``digit``.

    ``first``: the first ``count`` in file order (the authors' sample).
    ``random``: a sample drawn with a generator seeded by (seed, digit) alone, so a
    digit's sample is the same whichever pair or set of pairs asks for it; returned
    in file order.
    """
    positions = np.flatnonzero(labels == digit)
    if count > positions.size:
        raise DataError(f"digit {digit}: {count} images per class requested, only {positions.size} available")
    if method == "first":
        return positions[:count]
    if method == "random":
        if seed is None:
            raise ValueError("sample.method 'random' needs sample.seed")
        rng = np.random.default_rng([seed, digit])
        return np.sort(rng.choice(positions, size=count, replace=False))
    raise ValueError(f"sample.method {method!r}: expected 'first' or 'random'")


def make_pair(mnist: Mnist, a: int, b: int, images_per_class: int, method: str, seed: int | None = None) -> PairData:
    """Balanced training sample of digits a (y=-1) and b (y=+1) plus their test images
    (``seed``: only the random sample uses it)."""
    index_a = sample_digit(mnist.train_labels, a, images_per_class, method, seed)
    index_b = sample_digit(mnist.train_labels, b, images_per_class, method, seed)
    index_train = np.concatenate([index_a, index_b])
    x_train = mnist.train_images[index_train].reshape(len(index_train), -1)
    y_train = np.concatenate([-np.ones(index_a.size, np.int8), np.ones(index_b.size, np.int8)])
    test = np.flatnonzero((mnist.test_labels == a) | (mnist.test_labels == b))
    x_test = mnist.test_images[test].reshape(len(test), -1)
    y_test = np.where(mnist.test_labels[test] == a, -1, 1).astype(np.int8)
    centroid_i = x_train[: index_a.size].mean(axis=0, dtype=np.float64)
    centroid_j = x_train[index_a.size :].mean(axis=0, dtype=np.float64)
    return PairData(
        x_train=x_train,
        y_train=y_train,
        index_train=index_train,
        x_test=x_test,
        y_test=y_test,
        centroid_i=centroid_i,
        centroid_j=centroid_j,
        mean_image=x_train.mean(axis=0, dtype=np.float64),
        digits=np.array([a, b]),
    )
