"""Loss functions of a linear classifier and their scaling by ||w|| (method §2).

A loss is a function of z = y s(x), s(x) = w.x + b. Since s(x) = ||w|| d(x) with d the
signed distance, the loss of a point at signed margin y d(x) is the *scaled loss*
f_||w||(y d) = f(||w|| y d). Its asymptotes:

* ||w|| -> infinity: f_||w||(y d) ~ ||w|| max(-y d, 0) (hinge and softplus);
* ||w|| -> 0: f_||w||(y d) ~ alpha - beta ||w|| y d (hinge alpha = 1, beta = 1;
  softplus alpha = ln 2, beta = 1/2);
* the 0-1 loss does not depend on ||w|| at all.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

LOSS_NAMES = ("zero_one", "hinge", "softplus")

#: (alpha, beta) of the small-||w|| asymptote alpha - beta ||w|| y d.
SMALL_NORM_COEFFICIENTS = {"hinge": (1.0, 1.0), "softplus": (math.log(2.0), 0.5)}


def zero_one(z: np.ndarray) -> np.ndarray:
    """1[z <= 0]: a point on the boundary counts as an error."""
    return (np.asarray(z, dtype=float) <= 0).astype(float)


def hinge(z: np.ndarray) -> np.ndarray:
    """max(1 - z, 0)."""
    return np.maximum(1.0 - np.asarray(z, dtype=float), 0.0)


def softplus(z: np.ndarray) -> np.ndarray:
    """ln(1 + e^(-z)), evaluated without overflow for any z."""
    return np.logaddexp(0.0, -np.asarray(z, dtype=float))


LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "zero_one": zero_one,
    "hinge": hinge,
    "softplus": softplus,
}

LABELS = {"zero_one": "0-1", "hinge": "hinge", "softplus": "softplus"}


def get_loss(name: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSS_NAMES)}") from None


def scaled_loss(name: str, margin: np.ndarray, w_norm: float) -> np.ndarray:
    """f_||w||(y d) = f(||w|| y d) for a signed margin y d(x) in distance units."""
    return get_loss(name)(w_norm * np.asarray(margin, dtype=float))


def large_norm_asymptote(margin: np.ndarray, w_norm: float) -> np.ndarray:
    """||w|| max(-y d, 0): hinge and softplus as ||w|| -> infinity."""
    return w_norm * np.maximum(-np.asarray(margin, dtype=float), 0.0)


def small_norm_asymptote(name: str, margin: np.ndarray, w_norm: float) -> np.ndarray:
    """alpha - beta ||w|| y d: hinge and softplus as ||w|| -> 0."""
    try:
        alpha, beta = SMALL_NORM_COEFFICIENTS[name]
    except KeyError:
        raise ValueError(f"loss {name!r} has no small-norm asymptote (hinge, softplus only)") from None
    return alpha - beta * w_norm * np.asarray(margin, dtype=float)


def asymptote_errors(name: str, w_norm: float, margin: np.ndarray) -> list[dict]:
    """Worst deviation of the scaled loss from its two asymptotes over the margins ``margin``.

    One row per regime, for hinge and softplus: ``large`` (||w|| max(-y d, 0), the limit
    ||w|| -> infinity) and ``small`` (alpha - beta ||w|| y d, the limit ||w|| -> 0).

    ``max_abs_error`` is the error of each asymptotic statement in its own scale:

    * large: max |f_||w|| - ||w|| max(-y d, 0)| / ||w||. Both sides grow like ||w||; the
      statement is f_||w|| / ||w|| -> max(-y d, 0) (the raw difference stays 1 for the
      hinge on misclassified points and ln 2 for the softplus at y d = 0, for every ||w||);
    * small: max |f_||w|| - (alpha - beta ||w|| y d)|, loss units.

    ``raw_max_abs_error`` is max |f_||w|| - asymptote| in loss units for both regimes;
    ``error_units`` names the scale of ``max_abs_error``.
    """
    if name not in SMALL_NORM_COEFFICIENTS:
        raise ValueError(f"loss {name!r} has no asymptotes (hinge, softplus only)")
    margin = np.asarray(margin, dtype=float)
    loss = scaled_loss(name, margin, w_norm)
    rows = []
    for regime, reference, scale, units in (
        ("large", large_norm_asymptote(margin, w_norm), float(w_norm), "loss / ||w|| (distance)"),
        ("small", small_norm_asymptote(name, margin, w_norm), 1.0, "loss"),
    ):
        raw = float(np.max(np.abs(loss - reference)))
        rows.append(
            {
                "loss": name,
                "w_norm": float(w_norm),
                "regime": regime,
                "max_abs_error": raw / scale,
                "raw_max_abs_error": raw,
                "error_units": units,
                "margin_min": float(margin.min()),
                "margin_max": float(margin.max()),
            }
        )
    return rows


def zero_one_invariance_error(w_norm: float, margin: np.ndarray) -> float:
    """max |1[||w|| y d <= 0] - 1[y d <= 0]|: 0 for every ||w|| > 0."""
    margin = np.asarray(margin, dtype=float)
    return float(np.max(np.abs(scaled_loss("zero_one", margin, w_norm) - zero_one(margin))))
