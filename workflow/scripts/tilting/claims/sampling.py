"""Sampling error of test error rates: how much an error measured on n test images could move
if the test images were drawn again (normal approximation of the binomial, 95 %).

Two networks are scored on the same test images, so their errors are correlated and the
interval of their difference computed as for independent samples is conservative (wider).
"""

from __future__ import annotations

import math

from .rows import points

#: Two-sided 95 % quantile of the standard normal.
Z95 = 1.959963984540054


def binomial_halfwidth(error: float, n: int) -> float:
    """Half-width of the 95 % interval of an error rate measured on n images."""
    return Z95 * math.sqrt(error * (1 - error) / n)


def difference_halfwidth(error_a: float, n_a: int, error_b: float, n_b: int) -> float:
    """Half-width of the 95 % interval of error_a - error_b, measured on n_a and n_b images."""
    return Z95 * math.sqrt(error_a * (1 - error_a) / n_a + error_b * (1 - error_b) / n_b)


def compare(difference: float, halfwidth: float, n: int | None) -> str:
    """Words: does a difference of error rates exceed the test set's sampling error?"""
    if n is None:
        return "sampling error unknown (number of test images not in the run's tables)"
    where = "beyond" if abs(difference) > halfwidth else "within"
    return f"{where} the 95 % sampling error of the difference (±{points(halfwidth)}, {n:,} test images)"
