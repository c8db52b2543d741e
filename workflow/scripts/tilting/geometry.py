"""Geometry of a linear boundary (method §1-3).

One implementation of the article's formulas, shared by the toy problem and the
SVM stage. A boundary is (w, b): s(x) = w.x + b. Images are rows of ``x``.
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    """v / ||v||; raises on a zero vector (a boundary needs a normal)."""
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise ValueError("zero vector has no direction")
    return np.asarray(v, dtype=float) / norm


def raw_score(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """s(x) = w.x + b."""
    return np.asarray(x, dtype=float) @ np.asarray(w, dtype=float) + b


def signed_distance(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """d(x) = w_hat.x + b' with w_hat = w/||w||, b' = b/||w|| (pixel units)."""
    norm = float(np.linalg.norm(w))
    return raw_score(x, w, b) / norm


def projected_image(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """x_p = x - (w.x + b)/||w||^2 w: the closest point on the boundary."""
    w = np.asarray(w, dtype=float)
    s = raw_score(x, w, b)
    return np.asarray(x, dtype=float) - np.multiply.outer(s / (w @ w), w)


def mirror_image(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """x_m = x - 2 (w.x + b)/||w||^2 w: x reflected through the boundary."""
    w = np.asarray(w, dtype=float)
    s = raw_score(x, w, b)
    return np.asarray(x, dtype=float) - 2.0 * np.multiply.outer(s / (w @ w), w)


def nearest_centroid_direction(centroid_i: np.ndarray, centroid_j: np.ndarray) -> np.ndarray:
    """z_hat = (j - i)/||j - i||, the nearest-centroid unit normal."""
    return unit(np.asarray(centroid_j, dtype=float) - np.asarray(centroid_i, dtype=float))


def tilting_angle(w: np.ndarray, z_hat: np.ndarray) -> float:
    """Angle in radians between w_hat and z_hat, cos clipped to [-1, 1]."""
    cos = float(unit(w) @ np.asarray(z_hat, dtype=float))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def adversarial_distance(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """d_adv = (1/n) sum y d(x) over the training set."""
    return float(np.mean(np.asarray(y, dtype=float) * signed_distance(x, w, b)))


def error_distance(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """d_err = (1/n) sum over misclassified (y d <= 0) of -y d."""
    margin = np.asarray(y, dtype=float) * signed_distance(x, w, b)
    return float(np.sum(-margin[margin <= 0]) / margin.size)


def error_rate(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """Share of (x, y) with y s(x) <= 0 (a point on the boundary counts as an error)."""
    return float(np.mean(np.asarray(y, dtype=float) * raw_score(x, w, b) <= 0))


def tilting_basis(w: np.ndarray, z_hat: np.ndarray) -> np.ndarray:
    """Orthonormal (z_hat, n_hat) of the tilting plane, n = w - (w.z_hat) z_hat.

    When w is parallel to z_hat the plane is degenerate; any unit vector
    orthogonal to z_hat then serves as n_hat (the boundary is vertical either way).
    """
    z_hat = np.asarray(z_hat, dtype=float)
    w = np.asarray(w, dtype=float)
    n = w - (w @ z_hat) * z_hat
    norm = float(np.linalg.norm(n))
    if norm <= 1e-12 * max(float(np.linalg.norm(w)), 1e-300):
        e = np.zeros_like(z_hat)
        e[int(np.argmin(np.abs(z_hat)))] = 1.0
        n = e - (e @ z_hat) * z_hat
        norm = float(np.linalg.norm(n))
    return np.stack([z_hat, n / norm])


def project_to_plane(x: np.ndarray, basis: np.ndarray, origin: np.ndarray | None = None) -> np.ndarray:
    """Coordinates of rows of x in an orthonormal basis (rows of ``basis``), pixel units."""
    x = np.asarray(x, dtype=float)
    if origin is not None:
        x = x - np.asarray(origin, dtype=float)
    return x @ basis.T


def boundary_line_in_plane(
    w: np.ndarray, b: float, basis: np.ndarray, origin: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """The boundary's trace in the plane: coefficients (c, k) with c.u + k = 0.

    Because w lies in span(basis), the hyperplane w.x + b = 0 meets the plane
    (origin + u_1 e_1 + u_2 e_2) in the line (basis w).u + w.origin + b = 0.
    """
    w = np.asarray(w, dtype=float)
    offset = b + (0.0 if origin is None else float(w @ np.asarray(origin, dtype=float)))
    return basis @ w, float(offset)


def class_centroids(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j): the means of the rows of x with y = -1 (class I) and y = +1 (class J)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    if not (np.any(y == -1) and np.any(y == 1)):
        raise ValueError("both labels -1 and +1 are needed for the class centroids")
    return x[y == -1].mean(axis=0), x[y == 1].mean(axis=0)


def adversarial_distance_identity(centroid_i: np.ndarray, centroid_j: np.ndarray, theta: float) -> float:
    """1/2 ||j - i|| cos(theta): d_adv of any boundary at tilting angle theta on a balanced set."""
    gap = float(np.linalg.norm(np.asarray(centroid_j, dtype=float) - np.asarray(centroid_i, dtype=float)))
    return 0.5 * gap * float(np.cos(theta))
