"""tilting.geometry on hand-computed cases (method §1-3)."""

import math

import numpy as np
import pytest

from tilting import geometry

# the line a = b in the plane: w = (1, -1), b = 0
DIAGONAL = (np.array([1.0, -1.0]), 0.0)


def test_mirror_of_1_0_through_the_line_a_equals_b_is_0_1():
    w, b = DIAGONAL
    np.testing.assert_allclose(geometry.mirror_image(np.array([1.0, 0.0]), w, b), [0.0, 1.0], atol=1e-15)
    # any positive multiple of (w, b) is the same line
    np.testing.assert_allclose(geometry.mirror_image(np.array([1.0, 0.0]), -3 * w, -3 * b), [0.0, 1.0], atol=1e-15)


def test_projection_on_the_diagonal_and_on_an_offset_line():
    w, b = DIAGONAL
    np.testing.assert_allclose(geometry.projected_image(np.array([1.0, 0.0]), w, b), [0.5, 0.5])
    # the line a = 2: w = (1, 0), b = -2; rows are images
    x = np.array([[0.0, 5.0], [3.0, -1.0]])
    np.testing.assert_allclose(geometry.projected_image(x, np.array([1.0, 0.0]), -2.0), [[2.0, 5.0], [2.0, -1.0]])
    np.testing.assert_allclose(geometry.mirror_image(x, np.array([1.0, 0.0]), -2.0), [[4.0, 5.0], [1.0, -1.0]])


def test_projection_lies_on_the_boundary_halfway_to_the_mirror_image():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 5))
    w, b = rng.normal(size=5), 0.7
    xp = geometry.projected_image(x, w, b)
    xm = geometry.mirror_image(x, w, b)
    np.testing.assert_allclose(geometry.raw_score(xp, w, b), 0.0, atol=1e-12)
    np.testing.assert_allclose(xp, (x + xm) / 2, atol=1e-12)
    np.testing.assert_allclose(geometry.mirror_image(xm, w, b), x, atol=1e-12)  # an involution
    # same distance to the boundary, opposite side: same confidence, other class
    np.testing.assert_allclose(geometry.signed_distance(xm, w, b), -geometry.signed_distance(x, w, b), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(x - xm, axis=1), 2 * np.abs(geometry.signed_distance(x, w, b)))


def test_signed_distance_hand_cases_and_scale_invariance():
    w, b = np.array([3.0, 4.0]), -5.0
    x = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.5]])
    np.testing.assert_allclose(geometry.signed_distance(x, w, b), [-1.0, 4.0, 0.0])
    np.testing.assert_allclose(geometry.signed_distance(x, 2 * w, 2 * b), [-1.0, 4.0, 0.0])
    # s(x) = ||w|| d(x)
    np.testing.assert_allclose(geometry.raw_score(x, w, b), 5.0 * geometry.signed_distance(x, w, b))


def test_tilting_angle_hand_cases():
    z = np.array([1.0, 0.0])
    assert geometry.tilting_angle(np.array([1.0, 1.0]), z) == pytest.approx(math.pi / 4)
    assert geometry.tilting_angle(np.array([0.0, 2.0]), z) == pytest.approx(math.pi / 2)
    assert geometry.tilting_angle(np.array([-5.0, 0.0]), z) == pytest.approx(math.pi)
    assert geometry.tilting_angle(np.array([math.sqrt(3), 1.0]), z) == pytest.approx(math.pi / 6)


def test_tilting_angle_clips_cos_outside_minus_one_one():
    # a z_hat one ulp longer than 1 along w = (3, 0): unit(w) = (1, 0) exactly, and the dot
    # product is 1 + 2.2e-16 (-1 - 2.2e-16 for -z) by construction, whatever the BLAS kernel
    w = np.array([3.0, 0.0])
    z = np.array([np.nextafter(1.0, 2.0), 0.0])
    assert geometry.unit(w) @ z > 1.0
    assert geometry.unit(w) @ -z < -1.0
    assert geometry.tilting_angle(w, z) == 0.0
    assert geometry.tilting_angle(w, -z) == math.pi


def test_unit_refuses_zero_vector():
    with pytest.raises(ValueError):
        geometry.unit(np.zeros(3))


def test_adversarial_distance_hand_case():
    x = np.array([[-1.0, 0.0], [-3.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    y = np.array([-1, -1, 1, 1])
    # y d = 1, 3, 1, 3
    assert geometry.adversarial_distance(x, y, np.array([2.0, 0.0]), 0.0) == pytest.approx(2.0)
    i, j = geometry.class_centroids(x, y)
    np.testing.assert_allclose(i, [-2.0, 0.0])
    np.testing.assert_allclose(j, [2.0, 0.0])
    assert geometry.adversarial_distance_identity(i, j, 0.0) == pytest.approx(2.0)
    assert geometry.adversarial_distance_identity(i, j, math.pi / 3) == pytest.approx(1.0)


def test_dadv_identity_on_a_balanced_set_for_any_norm_and_bias():
    rng = np.random.default_rng(7)
    n, d = 25, 6
    x = np.vstack([rng.normal(-1.0, 1.0, size=(n, d)), rng.normal(0.5, 2.0, size=(n, d))])
    y = np.repeat([-1, 1], n)
    i, j = geometry.class_centroids(x, y)
    z = geometry.nearest_centroid_direction(i, j)
    for _ in range(20):
        w, b = rng.normal(size=d) * rng.uniform(0.01, 100), rng.normal() * 50
        theta = geometry.tilting_angle(w, z)
        expected = 0.5 * np.linalg.norm(j - i) * math.cos(theta)
        assert geometry.adversarial_distance(x, y, w, b) == pytest.approx(expected, abs=1e-12)
        assert geometry.adversarial_distance_identity(i, j, theta) == pytest.approx(expected, abs=1e-15)


def test_dadv_identity_fails_on_an_unbalanced_set():
    # the identity needs n_I = n_J: with one extra J point the bias enters d_adv
    x = np.array([[-1.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    y = np.array([-1, 1, 1])
    i, j = geometry.class_centroids(x, y)
    w = np.array([1.0, 0.0])
    identity = geometry.adversarial_distance_identity(i, j, 0.0)
    assert geometry.adversarial_distance(x, y, w, 0.0) != pytest.approx(identity)
    assert geometry.adversarial_distance(x, y, w, 1.0) != pytest.approx(geometry.adversarial_distance(x, y, w, 0.0))


def test_class_centroids_needs_both_labels():
    with pytest.raises(ValueError):
        geometry.class_centroids(np.ones((3, 2)), np.array([1, 1, 1]))


def test_error_distance_and_error_rate_hand_case():
    w, b = np.array([1.0, 0.0]), 0.0
    x = np.array([[1.0, 0.0], [-2.0, 0.0], [-0.5, 0.0], [2.0, 0.0], [0.0, 3.0]])
    y = np.array([-1, -1, 1, 1, 1])
    # y d = -1, 2, -0.5, 2, 0: misclassified by 1 and 0.5, one point on the boundary
    assert geometry.error_distance(x, y, w, b) == pytest.approx((1.0 + 0.5 + 0.0) / 5)
    assert geometry.error_rate(x, y, w, b) == pytest.approx(3 / 5)
    assert geometry.adversarial_distance(x, y, w, b) == pytest.approx((-1 + 2 - 0.5 + 2 + 0) / 5)
    # d_err is invariant to the scale of (w, b)
    assert geometry.error_distance(x, y, 10 * w, 10 * b) == pytest.approx(0.3)


def test_tilting_basis_is_orthonormal_contains_w_and_starts_with_z():
    rng = np.random.default_rng(3)
    z = geometry.unit(rng.normal(size=10))
    w = rng.normal(size=10) * 4
    basis = geometry.tilting_basis(w, z)
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(basis[0], z)
    # w lies in span(z, n): its projection on the plane is w itself
    np.testing.assert_allclose(basis.T @ (basis @ w), w, atol=1e-12)
    # the in-plane angle of w to the first axis is the tilting angle
    c = basis @ w
    assert math.atan2(abs(c[1]), c[0]) == pytest.approx(geometry.tilting_angle(w, z))


def test_tilting_basis_when_w_is_parallel_to_z():
    z = np.array([0.0, 1.0, 0.0])
    basis = geometry.tilting_basis(3 * z, z)
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(basis[0], z)


def test_boundary_line_in_plane_matches_the_raw_score():
    rng = np.random.default_rng(5)
    d = 8
    z = geometry.unit(rng.normal(size=d))
    w, b = rng.normal(size=d), 0.3
    origin = rng.normal(size=d)
    basis = geometry.tilting_basis(w, z)
    u = rng.normal(size=(6, 2))
    x = origin + u @ basis  # points of the plane through origin
    np.testing.assert_allclose(geometry.project_to_plane(x, basis, origin), u, atol=1e-12)
    c, k = geometry.boundary_line_in_plane(w, b, basis, origin)
    np.testing.assert_allclose(u @ c + k, geometry.raw_score(x, w, b), atol=1e-12)
