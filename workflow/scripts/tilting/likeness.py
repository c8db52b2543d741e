"""Does an adversarial perturbation look like the target digit? A number for the article's
"more meaningful for human observers".

The target likeness of a perturbation x' - x that turns a source digit into a target digit
is its cosine with the difference of the two digits' mean training images,
m_target - m_source: +1 when the perturbation adds exactly the target's average strokes and
removes the source's, 0 when it is unrelated to either (e.g. high-frequency noise).
"""

from __future__ import annotations

import numpy as np


def digit_means(images: np.ndarray, labels: np.ndarray, digits=range(10)) -> dict[int, np.ndarray]:
    """Mean image (float64, the images' scale) of each digit."""
    images = np.asarray(images, dtype=np.float64)
    labels = np.asarray(labels)
    means = {}
    for digit in digits:
        selected = images[labels == digit]
        if len(selected) == 0:
            raise ValueError(f"no training image of digit {digit}")
        means[int(digit)] = selected.mean(axis=0)
    return means


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two images seen as vectors (0 when either is zero)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / norms) if norms > 0 else 0.0


def target_likeness(original, adversarial, means: dict[int, np.ndarray], source: int, target: int) -> float:
    """cos(x' - x, m_target - m_source)."""
    perturbation = np.asarray(adversarial, dtype=np.float64) - np.asarray(original, dtype=np.float64)
    return cosine(perturbation, means[int(target)] - means[int(source)])
