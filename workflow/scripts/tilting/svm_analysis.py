"""Per-model analysis of the linear SVMs of method §4: metrics, tilting-plane
projections and mirror images, all through :mod:`tilting.geometry`.

Scales. The solver sees images multiplied by ``pixel_scale / 255`` (pixel_scale 255:
the 0-255 scale; 1: the [0, 1] scale). A model (w, b) fitted on that scale acts on
0-255 images as (w * pixel_scale / 255, b): :func:`reference_weights`. Every distance
reported here is in grey levels of the 0-255 scale, whatever the fitting scale, and
``w_norm`` is the norm of the 0-255-scale weights, so that s(x) = w_norm * d(x).

The per-pair jobs (metrics, projections, mirrors, figures) compute all of this from the saved
models (w, b): editing it reruns those jobs, never the fits.
"""

from __future__ import annotations

import math

import numpy as np

from . import geometry

#: The scale distances are reported on (grey levels, method conventions).
REFERENCE_SCALE = 255.0

#: Columns of the metrics table, in order (the report and claims stages rely on them).
METRIC_COLUMNS = [
    "pair",
    "alpha",
    "lam",
    "w_norm",
    "b",
    "b_prime",
    "b_prime_mu",
    "theta_rad",
    "theta_deg",
    "d_adv",
    "d_err",
    "err_train",
    "err_test",
    "identity_residual",
    "identity_residual_rel",
    "objective",
    "dual_objective",
    "gap",
    "bias_unique",
    "solver",
    "iterations",
]


def reference_weights(w: np.ndarray, pixel_scale: float) -> np.ndarray:
    """Weights acting on 0-255 images of a model fitted on the ``pixel_scale`` scale."""
    w = np.asarray(w, dtype=np.float64)
    if pixel_scale == REFERENCE_SCALE:
        return w
    return w * (float(pixel_scale) / REFERENCE_SCALE)


def identity_residuals(
    d_adv: float, centroid_i: np.ndarray, centroid_j: np.ndarray, theta: float
) -> tuple[float, float]:
    """The identity's residual |d_adv - 1/2 ||j - i|| cos(theta)| (method §3-4, pixel units) and
    the same relative to 1/2 ||j - i|| (scale-free: the claim's criterion)."""
    expected = geometry.adversarial_distance_identity(centroid_i, centroid_j, theta)
    half = geometry.adversarial_distance_identity(centroid_i, centroid_j, 0.0)
    residual = abs(d_adv - expected)
    return residual, residual / half


def model_metrics(
    w: np.ndarray,
    b: float,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    centroid_i: np.ndarray,
    centroid_j: np.ndarray,
    mean_image: np.ndarray,
) -> dict:
    """The per-model quantities of method §4 for a boundary (w, b) on 0-255 images.

    Returns plain floats: w_norm, b, b_prime = b/||w||, b_prime_mu = b' + w_hat.mu,
    theta (rad, deg) between w and the nearest-centroid direction, d_adv, d_err,
    err_train, err_test and the identity residual (absolute and relative).
    """
    w = np.asarray(w, dtype=np.float64)
    b = float(b)
    w_norm = float(np.linalg.norm(w))
    z_hat = geometry.nearest_centroid_direction(centroid_i, centroid_j)
    theta = geometry.tilting_angle(w, z_hat)
    d_adv = geometry.adversarial_distance(x_train, y_train, w, b)
    b_prime = b / w_norm
    residual, residual_rel = identity_residuals(d_adv, centroid_i, centroid_j, theta)
    return {
        "w_norm": w_norm,
        "b": b,
        "b_prime": b_prime,
        "b_prime_mu": b_prime + float(geometry.unit(w) @ np.asarray(mean_image, dtype=np.float64)),
        "theta_rad": theta,
        "theta_deg": math.degrees(theta),
        "d_adv": d_adv,
        "d_err": geometry.error_distance(x_train, y_train, w, b),
        "err_train": geometry.error_rate(x_train, y_train, w, b),
        "err_test": geometry.error_rate(x_test, y_test, w, b),
        "identity_residual": residual,
        "identity_residual_rel": residual_rel,
    }


def plane_projection(x: np.ndarray, w: np.ndarray, b: float, basis: np.ndarray, origin: np.ndarray):
    """Rows of ``x`` in the tilting plane of w, as the article draws them.

    ``basis``: (z_hat, n_hat) of :func:`tilting_bases`. Returns (coordinates (n, 2) of
    ``x`` measured from ``origin`` (the pair's mean image), line (c1, c2, k): the boundary
    c.u + k = 0 in those coordinates). Coordinates are pixel distances.
    """
    coords = geometry.project_to_plane(x, basis, origin)
    normal, offset = geometry.boundary_line_in_plane(w, b, basis, origin)
    return coords, np.array([normal[0], normal[1], offset])


def is_parallel(w: np.ndarray, z_hat: np.ndarray, tolerance: float = 1e-12) -> bool:
    """True when w has no component orthogonal to z_hat (the tilting plane is undefined)."""
    w = np.asarray(w, dtype=float)
    z_hat = np.asarray(z_hat, dtype=float)
    return float(np.linalg.norm(w - (w @ z_hat) * z_hat)) <= tolerance * float(np.linalg.norm(w))


def tilting_bases(weights: list[np.ndarray], z_hat: np.ndarray) -> list[np.ndarray]:
    """(z_hat, n_hat) of each model of a lambda sequence (:func:`geometry.tilting_basis`).

    A model parallel to z_hat (theta = 0, e.g. every point inside the margin at large
    lambda) has no tilting plane; it takes the n_hat of the nearest model in the
    sequence that has one, so that consecutive panels stay comparable (any n_hat shows
    the same boundary then). With no such model, geometry's fallback is kept.
    """
    bases = [geometry.tilting_basis(w, z_hat) for w in weights]
    defined = [k for k, w in enumerate(weights) if not is_parallel(w, z_hat)]
    if not defined:
        return bases
    for k, w in enumerate(weights):
        if k in defined:
            continue
        nearest = min(defined, key=lambda m: (abs(m - k), m))
        bases[k] = np.stack([bases[k][0], bases[nearest][1]])
    return bases


def mirror_pair(images: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Mirror images of the rows of ``images`` through (w, b) and their distances ||x_m - x||."""
    images = np.asarray(images, dtype=np.float64)
    mirrors = geometry.mirror_image(images, w, b)
    return mirrors, np.linalg.norm(mirrors - images, axis=-1)


def line_points(line: np.ndarray, u_range: tuple[float, float], v_range: tuple[float, float]) -> np.ndarray:
    """Two points of the line c1 u + c2 v + k = 0 spanning a (u, v) box, for drawing.

    Falls back to a vertical line when c2 is (numerically) zero.
    """
    c1, c2, k = (float(v) for v in line)
    if abs(c2) <= 1e-12 * max(abs(c1), 1e-300):
        u = -k / c1
        return np.array([[u, v_range[0]], [u, v_range[1]]])
    if abs(c2) >= abs(c1):
        u = np.array(u_range, dtype=float)
        return np.column_stack([u, -(k + c1 * u) / c2])
    v = np.array(v_range, dtype=float)
    return np.column_stack([-(k + c2 * v) / c1, v])


def representative_file_index(digit_labels: np.ndarray, digit: int, position: int) -> int:
    """Index into the MNIST training file of the ``position``-th image (0-based) of ``digit``."""
    positions = np.flatnonzero(np.asarray(digit_labels) == digit)
    if not 0 <= position < positions.size:
        raise IndexError(f"digit {digit}: representative position {position} out of range (0..{positions.size - 1})")
    return int(positions[position])


def representative_rows(pair, index_a: int, index_b: int, train_labels: np.ndarray | None = None) -> tuple[int, int]:
    """Rows of ``pair.x_train`` holding the representative images of classes a and b.

    ``index_a``/``index_b``: position among the training images of digit a/b in MNIST
    file order (the authors' convention). With ``train_labels`` (the MNIST training
    labels) the position is mapped to a file index and looked up in ``pair.index_train``;
    without them the sample must be the first images of each digit in file order, where
    the position is the row within the class.
    """
    a, b = (int(d) for d in pair.digits)
    y = np.asarray(pair.y_train)
    rows_a, rows_b = np.flatnonzero(y < 0), np.flatnonzero(y > 0)
    result = []
    for digit, position, rows in ((a, index_a, rows_a), (b, index_b, rows_b)):
        if train_labels is None:
            if not 0 <= position < rows.size:
                raise IndexError(
                    f"digit {digit}: representative position {position} not in the sample of {rows.size} images"
                )
            result.append(int(rows[position]))
            continue
        file_index = representative_file_index(train_labels, digit, position)
        found = np.flatnonzero(np.asarray(pair.index_train)[rows] == file_index)
        if found.size == 0:
            raise IndexError(
                f"digit {digit}: representative (position {position}, file index {file_index}) "
                "is not in the pair's training sample"
            )
        result.append(int(rows[found[0]]))
    return result[0], result[1]


def nearest_exponents(wanted: list[float], grid: list[float]) -> list[float]:
    """For each wanted exponent, the nearest grid value (duplicates removed, order kept)."""
    grid_array = np.asarray(grid, dtype=float)
    chosen = []
    for alpha in wanted:
        value = float(grid_array[int(np.argmin(np.abs(grid_array - float(alpha))))])
        if value not in chosen:
            chosen.append(value)
    return chosen


def optimal_index(err_test: np.ndarray, lam: np.ndarray) -> int:
    """Index of lambda_optimal: minimum test error, ties broken by the largest lambda."""
    err_test = np.asarray(err_test, dtype=float)
    lam = np.asarray(lam, dtype=float)
    best = np.flatnonzero(err_test == err_test.min())
    return int(best[np.argmax(lam[best])])


def read_model(path) -> dict:
    """A model file of rule svm_fit: arrays as arrays, scalars as Python values.

    Adds ``w_reference``, the weights acting on 0-255 images.
    """
    with np.load(path) as archive:
        model = {}
        for key in archive.files:
            value = archive[key]
            model[key] = value.item() if value.ndim == 0 else value
    model["w_reference"] = reference_weights(model["w"], model["pixel_scale"])
    return model


def metrics_row(model: dict, pair) -> dict:
    """One row of the metrics table (METRIC_COLUMNS): a model read by :func:`read_model` on its
    pair's data (a :class:`tilting.data.PairData`)."""
    metrics = model_metrics(
        model["w_reference"],
        model["b"],
        pair.x_train,
        pair.y_train,
        pair.x_test,
        pair.y_test,
        pair.centroid_i,
        pair.centroid_j,
        pair.mean_image,
    )
    row = {**{key: model[key] for key in METRIC_COLUMNS if key in model}, **metrics}
    row["bias_unique"] = bool(row["bias_unique"])
    row["iterations"] = int(row["iterations"])
    return {column: row[column] for column in METRIC_COLUMNS}
