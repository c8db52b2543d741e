"""Per-model metrics of the SVM stage on hand-made cases whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tilting import geometry
from tilting import svm_analysis as sa


def two_d_pair():
    """Balanced 2-D training set: class I on a = -1, class J on a = +1 (centroids (-1, 1), (1, 1))."""
    x = np.array([[-1.0, -2.0], [-1.0, 1.0], [-1.0, 4.0], [1.0, -2.0], [1.0, 1.0], [1.0, 4.0]])
    y = np.array([-1, -1, -1, 1, 1, 1])
    i, j = x[y < 0].mean(axis=0), x[y > 0].mean(axis=0)
    return x, y, i, j


def test_mirror_of_point_through_diagonal():
    # boundary a - b = 0, i.e. the line a = b: (1, 0) mirrors to (0, 1)
    mirrors, distances = sa.mirror_pair(np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([1.0, -1.0]), 0.0)
    np.testing.assert_allclose(mirrors, [[0.0, 1.0], [1.0, 3.0]], atol=1e-15)
    np.testing.assert_allclose(distances, [math.sqrt(2), 2 * math.sqrt(2)])


def test_mirror_with_bias_and_scale_invariance():
    # boundary x_1 = 2 (w = (c, 0), b = -2c for any c > 0): (5, 7) mirrors to (-1, 7)
    for c in (0.01, 1.0, 300.0):
        mirrors, distances = sa.mirror_pair(np.array([[5.0, 7.0]]), np.array([c, 0.0]), -2 * c)
        np.testing.assert_allclose(mirrors, [[-1.0, 7.0]], atol=1e-12)
        np.testing.assert_allclose(distances, [6.0])


def test_metrics_of_tilted_boundary_by_hand():
    x, y, i, j = two_d_pair()
    # boundary tilted by 30 degrees from z_hat = (1, 0), scaled by 4, shifted by b = 0.5
    theta = math.radians(30.0)
    w = 4.0 * np.array([math.cos(theta), math.sin(theta)])
    b = 0.5
    m = sa.model_metrics(w, b, x, y, x, y, i, j, x.mean(axis=0))
    assert m["w_norm"] == pytest.approx(4.0)
    assert m["theta_rad"] == pytest.approx(theta)
    assert m["theta_deg"] == pytest.approx(30.0)
    assert m["b_prime"] == pytest.approx(0.125)
    # b'_mu = b' + w_hat.mu, mu = mean training image
    mu = x.mean(axis=0)
    assert m["b_prime_mu"] == pytest.approx(0.125 + (math.cos(theta) * mu[0] + math.sin(theta) * mu[1]))
    # d_adv = 1/2 ||j - i|| cos(theta) exactly, with ||j - i|| = 2
    d = (x @ w + b) / 4.0
    assert m["d_adv"] == pytest.approx(np.mean(y * d))
    assert m["d_adv"] == pytest.approx(math.cos(theta))
    assert m["d_adv"] == pytest.approx(0.5 * np.linalg.norm(j - i) * math.cos(m["theta_rad"]))
    assert m["identity_residual"] <= 1e-15 and m["identity_residual_rel"] <= 1e-15
    # errors by hand: y d <= 0 are misclassified
    margins = y * d
    assert m["err_train"] == pytest.approx(np.mean(margins <= 0))
    assert m["d_err"] == pytest.approx(-margins[margins <= 0].sum() / 6)
    assert m["err_train"] > 0  # the tilt misclassifies some points: the case is not trivial


def test_theta_zero_for_nearest_centroid_classifier():
    x, y, i, j = two_d_pair()
    w = j - i  # the nearest centroid normal
    m = sa.model_metrics(w, -(w @ (i + j)) / 2, x, y, x, y, i, j, x.mean(axis=0))
    assert m["theta_rad"] == pytest.approx(0.0, abs=1e-7)
    assert m["d_adv"] == pytest.approx(0.5 * np.linalg.norm(j - i))
    # the classes are separated along a: no errors
    assert m["err_train"] == 0.0 and m["d_err"] == 0.0


def test_identity_residual_absolute_as_specified_and_relative_and_detects_unbalanced_sets():
    i, j = np.array([0.0, 0.0]), np.array([4.0, 0.0])
    assert sa.identity_residuals(2.0 * math.cos(0.3), i, j, 0.3) == pytest.approx((0.0, 0.0), abs=1e-16)
    # off by 0.02 on a half-gap of 2: |d_adv - 1/2 ||j - i|| cos(theta)| = 0.02 (SPEC §4), relative 0.01
    assert sa.identity_residuals(2.0 * math.cos(0.3) + 0.02, i, j, 0.3) == pytest.approx((0.02, 0.01))
    # d_adv from an unbalanced set breaks the identity (it depends on b there)
    x = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0]])
    y = np.array([-1, -1, 1])
    m = sa.model_metrics(np.array([1.0, 0.0]), -1.0, x, y, x, y, i, j, x.mean(axis=0))
    assert m["identity_residual_rel"] > 1e-3
    assert m["identity_residual"] == pytest.approx(2.0 * m["identity_residual_rel"])


@pytest.mark.parametrize("pixel_scale", [1.0, 255.0])
def test_reference_scale_distances_do_not_depend_on_pixel_scale(pixel_scale):
    rng = np.random.default_rng(1)
    x255 = rng.integers(0, 256, size=(40, 6)).astype(float)
    y = np.repeat([-1, 1], 20)
    w255, b = rng.normal(size=6), 3.0
    # a model fitted on the pixel_scale scale sees x * pixel_scale/255; the same boundary has
    # w_fit = w255 * 255/pixel_scale
    w_fit = w255 * 255.0 / pixel_scale
    x_fit = x255 * (pixel_scale / 255.0)
    np.testing.assert_allclose(x_fit @ w_fit + b, x255 @ w255 + b, rtol=1e-12)
    np.testing.assert_allclose(sa.reference_weights(w_fit, pixel_scale), w255, rtol=1e-15)


def test_plane_projection_puts_boundary_and_centroids_where_expected():
    rng = np.random.default_rng(0)
    d = 5
    i, j = np.zeros(d), np.zeros(d)
    j[0] = 6.0
    z_hat = geometry.nearest_centroid_direction(i, j)
    w = np.array([1.0, 2.0, 0.0, 0.0, 0.0])
    b = -3.0
    mu = (i + j) / 2
    x = rng.normal(size=(30, d)) * 3 + mu
    (basis,) = sa.tilting_bases([w], z_hat)
    coords, line = sa.plane_projection(x, w, b, basis, mu)
    # (z_hat, n_hat) orthonormal, n_hat = e_2 here
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-15)
    np.testing.assert_allclose(basis[1], [0, 1, 0, 0, 0], atol=1e-15)
    # the centroids project to (-3, 0) and (+3, 0)
    np.testing.assert_allclose(sa.plane_projection(np.stack([i, j]), w, b, basis, mu)[0], [[-3, 0], [3, 0]])
    # the line equation in plane coordinates equals the score w.x + b of any point of the plane
    point = mu + np.array([0.0, 0.0, 1.0, 0.0, 0.0]) + basis.T @ np.array([1.0, 0.5])
    score = point @ w + b
    u = basis @ (point - mu)
    assert line[0] * u[0] + line[1] * u[1] + line[2] == pytest.approx(score)
    # signed distance in the plane equals the signed distance in the full space
    full = geometry.signed_distance(x, w, b)
    in_plane = (coords @ line[:2] + line[2]) / np.linalg.norm(line[:2])
    np.testing.assert_allclose(in_plane, full, rtol=1e-12, atol=1e-12)


def test_parallel_models_borrow_the_nearest_tilting_plane():
    z_hat = np.array([1.0, 0.0, 0.0])
    weights = [np.array([1.0, 1.0, 0.0]), np.array([2.0, 0.0, 1.0]), np.array([3.0, 0.0, 0.0]), np.array([5.0, 0, 0])]
    assert [sa.is_parallel(w, z_hat) for w in weights] == [False, False, True, True]
    bases = sa.tilting_bases(weights, z_hat)
    np.testing.assert_allclose(bases[0], [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(bases[1], [[1, 0, 0], [0, 0, 1]])
    # theta = 0: the plane of the nearest tilted model (index 1)
    np.testing.assert_allclose(bases[2], bases[1])
    np.testing.assert_allclose(bases[3], bases[1])
    # the boundary x_1 = 1 (w = (3, 0, 0), b = -3) is the vertical line u = 1 in that plane
    _, line = sa.plane_projection(np.zeros((1, 3)), weights[2], -3.0, bases[2], np.zeros(3))
    np.testing.assert_allclose(line, [3.0, 0.0, -3.0])
    # with no tilted model, geometry's fallback basis is kept (still orthonormal)
    (alone,) = sa.tilting_bases([weights[2]], z_hat)
    np.testing.assert_allclose(alone @ alone.T, np.eye(2), atol=1e-15)


def test_line_points_lie_on_line():
    for line in ([1.0, 2.0, -3.0], [5.0, 0.1, 1.0], [1.0, 0.0, -2.0]):
        ends = sa.line_points(np.array(line), (-10, 10), (-10, 10))
        np.testing.assert_allclose(ends @ np.array(line[:2]) + line[2], 0.0, atol=1e-12)
        assert not np.allclose(ends[0], ends[1])


class _Pair:
    def __init__(self):
        # digit 3 (y = -1) at file indices 2, 5, 9 and digit 8 (y = +1) at 0, 7, 8, sample = all
        self.digits = np.array([3, 8])
        self.y_train = np.array([-1, -1, -1, 1, 1, 1])
        self.index_train = np.array([2, 5, 9, 0, 7, 8])


def test_representative_rows_first_sample_and_file_order():
    pair = _Pair()
    assert sa.representative_rows(pair, 0, 0) == (0, 3)
    assert sa.representative_rows(pair, 2, 1) == (2, 4)
    labels = np.array([8, 1, 3, 1, 1, 3, 1, 8, 8, 3])
    assert sa.representative_rows(pair, 1, 2, labels) == (1, 5)
    with pytest.raises(IndexError, match="digit 3"):
        sa.representative_rows(pair, 3, 0)
    # a random sample that leaves out the requested image
    pair.index_train = np.array([2, 9, 9, 0, 7, 8])
    with pytest.raises(IndexError, match="not in the pair's training sample"):
        sa.representative_rows(pair, 1, 0, labels)


def test_nearest_exponents_and_optimal_lambda():
    grid = [-1.0, -0.9, 0.0, 3.0, 7.0]
    assert sa.nearest_exponents([-0.97, 2.0, 7.0, 6.0], grid) == [-1.0, 3.0, 7.0]
    err = np.array([0.3, 0.1, 0.2, 0.1, 0.4])
    lam = np.array([1e-1, 1e0, 1e1, 1e2, 1e3])
    assert sa.optimal_index(err, lam) == 3  # ties: the largest lambda


def test_pixel_scale_one_gives_the_same_boundary_in_grey_levels():
    """lambda_01 = lambda_255 / 255^2 on images / 255 is the same model (authors' README)."""
    from tilting.svm import fit_linear_svm

    rng = np.random.default_rng(3)
    n, d = 40, 6
    y = np.repeat([-1.0, 1.0], n // 2)
    x255 = np.clip(rng.normal(120, 50, size=(n, d)) + 30 * y[:, None] * np.linspace(0, 1, d), 0, 255).round()
    lam255 = 10.0
    fit255 = fit_linear_svm(x255, y, lam255, gap_tolerance=1e-10, x_scale=1.0)
    fit01 = fit_linear_svm(x255, y, lam255 / 255.0**2, gap_tolerance=1e-10, x_scale=1.0 / 255.0)
    assert fit01.objective == pytest.approx(fit255.objective, rel=1e-7)
    np.testing.assert_allclose(sa.reference_weights(fit01.w, 1), sa.reference_weights(fit255.w, 255), rtol=1e-4)
    mu = x255.mean(axis=0)
    i, j = x255[y < 0].mean(axis=0), x255[y > 0].mean(axis=0)
    m255 = sa.model_metrics(fit255.w, fit255.b, x255, y, x255, y, i, j, mu)
    m01 = sa.model_metrics(sa.reference_weights(fit01.w, 1), fit01.b, x255, y, x255, y, i, j, mu)
    for key in ("theta_deg", "d_adv", "b_prime"):
        assert m01[key] == pytest.approx(m255[key], rel=1e-4, abs=1e-6), key
