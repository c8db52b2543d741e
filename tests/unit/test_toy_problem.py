"""tilting.toy: the toy problem, its two learners against the article's objective, the noisy
point and d_adv vs theta."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from tilting import geometry, svm, toy


@pytest.fixture(scope="module")
def problem():
    return toy.make_toy_problem(20, 0.5)


@pytest.fixture(scope="module")
def noisy(problem):
    return toy.with_noisy_point(problem, [-1.0, 0.5], 1)


def test_toy_problem_layout(problem):
    assert problem.x.shape == (40, 2) and problem.balanced
    np.testing.assert_allclose(problem.centroid_i, [-1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(problem.centroid_j, [1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(problem.z_hat, [1.0, 0.0])
    assert np.all(problem.x[:, 1] == 0)  # on the manifold b = 0
    assert problem.x[problem.y == -1, 0].min() == pytest.approx(-1.5)
    assert problem.x[problem.y == 1, 0].max() == pytest.approx(1.5)
    with pytest.raises(ValueError):
        toy.make_toy_problem(5, 1.0)
    with pytest.raises(ValueError):
        toy.with_noisy_point(problem, [0.0, 0.0], 0)


@pytest.mark.parametrize("theta_deg", [0.0, 30.0, 60.0, 85.0, 89.9])
def test_every_L_theta_separates_and_has_the_right_angle(problem, theta_deg):
    w = toy.boundary_normal(math.radians(theta_deg), problem.z_hat)
    assert np.linalg.norm(w) == pytest.approx(1.0)
    assert math.degrees(geometry.tilting_angle(w, problem.z_hat)) == pytest.approx(theta_deg, abs=1e-9)
    assert geometry.error_rate(problem.x, problem.y, w, 0.0) == 0.0
    # d_adv = 1/2 ||j - i|| cos(theta) = cos(theta): it vanishes as L_theta reaches the manifold
    assert geometry.adversarial_distance(problem.x, problem.y, w, 0.0) == pytest.approx(
        math.cos(math.radians(theta_deg))
    )


def test_boundary_segment_lies_on_the_line():
    w, b = np.array([1.0, 2.0]), -0.5
    ends = toy.boundary_segment(w, b, (-2, 2, -1, 1))
    np.testing.assert_allclose(geometry.raw_score(ends, w, b), 0.0, atol=1e-12)
    assert np.linalg.norm(ends[1] - ends[0]) > 4


def test_mirror_sweep_of_the_centroid_of_I_is_a_half_circle(problem):
    thetas = np.radians(np.linspace(0, 90, 19))
    sweep = toy.mirror_sweep(np.array([-1.0, 0.0]), thetas, problem.z_hat)
    # x_m = (cos 2 theta, sin 2 theta): from j (theta = 0) back to x (theta = 90 deg)
    np.testing.assert_allclose(sweep["mirror"], np.column_stack([np.cos(2 * thetas), np.sin(2 * thetas)]), atol=1e-12)
    np.testing.assert_allclose(sweep["distance"], 2 * np.cos(thetas), atol=1e-12)
    np.testing.assert_allclose(sweep["projected"], (sweep["mirror"] + [-1.0, 0.0]) / 2, atol=1e-12)
    assert sweep["distance"][0] == pytest.approx(2.0) and sweep["distance"][-1] < 1e-12
    assert np.all(np.diff(sweep["distance"]) < 0)


def generic_hinge_minimum(x, y, lam):
    """The article's hinge objective minimised by a generic solver: the quadratic programme in
    (w, b, slacks) by scipy's SLSQP, started from zero."""
    n, d = x.shape
    design = np.hstack([y[:, None] * x, y[:, None], np.eye(n)])
    result = minimize(
        lambda v: v[d + 1 :].sum() / n + lam * v[:d] @ v[:d],
        np.concatenate([np.zeros(d + 1), np.ones(n)]),
        jac=lambda v: np.concatenate([2 * lam * v[:d], [0.0], np.full(n, 1.0 / n)]),
        constraints=[{"type": "ineq", "fun": lambda v: design @ v - 1.0, "jac": lambda v: design}],
        bounds=[(None, None)] * (d + 1) + [(0.0, None)] * n,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    assert result.success, result.message
    return toy.hinge_objective(x, y, result.x[:d], result.x[d], lam)


def generic_logistic_minimum(x, y, lam):
    """The article's logistic objective minimised by scipy's BFGS from zero."""
    d = x.shape[1]
    result = minimize(
        lambda v: toy.logistic_objective(x, y, v[:d], v[d], lam), np.zeros(d + 1), method="BFGS", options={"gtol": 1e-12}
    )
    return result.fun


@pytest.mark.parametrize("lam", [1e-4, 1e-3, 1e-2, 0.1, 1.0])
def test_hinge_fit_meets_the_article_objective(noisy, lam):
    model = toy.fit_hinge(noisy.x, noisy.y, lam)
    assert model.objective == toy.hinge_objective(noisy.x, noisy.y, model.w, model.b, lam)
    # certified by its own dual, and no worse than a generic solver of the same problem
    assert -1e-12 <= model.gap <= 1e-6
    assert model.objective <= generic_hinge_minimum(noisy.x, noisy.y, lam) * (1 + 1e-6)
    # and the bias is optimal for its w: no b does better
    for db in (-1e-3, 1e-3):
        assert toy.hinge_objective(noisy.x, noisy.y, model.w, model.b + db, lam) >= model.objective - 1e-12


def test_hinge_with_low_lambda_is_the_hard_margin_svm(noisy):
    # hand-solved: the support vectors (-0.5, 0) in I, (0.5, 0) in J and p = (-1, 0.5)
    # give w = (2, 6), b = 0 (min ||w||^2 s.t. all margins >= 1)
    model = toy.fit_hinge(noisy.x, noisy.y, 1e-4)
    np.testing.assert_allclose(model.w, [2.0, 6.0], atol=1e-6)
    assert model.b == pytest.approx(0.0, abs=1e-6)
    assert model.bias_unique
    margins = noisy.y * geometry.raw_score(noisy.x, model.w, model.b)
    assert margins.min() == pytest.approx(1.0, abs=1e-6)


def test_hinge_with_every_point_inside_the_margin_takes_the_midpoint_bias(problem):
    # lambda = 10 on the balanced toy: w = (1/(2 lam)) (j - i)/2 = (0.05, 0); the loss is flat
    # in b on [-1 - min_I w.x, 1 - max_J w.x] = [-0.925, 0.925]: midpoint 0, not unique
    model = toy.fit_hinge(problem.x, problem.y, 10.0)
    np.testing.assert_allclose(model.w, [0.05, 0.0], atol=1e-10)
    assert model.b == pytest.approx(0.0, abs=1e-9)
    assert not model.bias_unique
    # with one more J point the interval moves, and b stays at its midpoint
    shifted = toy.with_noisy_point(problem, [1.0, 0.0], 1)
    model = toy.fit_hinge(shifted.x, shifted.y, 10.0)
    low, high = svm.bias_interval(shifted.x @ model.w, shifted.y)
    assert high - low > 1e-3 and model.b == pytest.approx((low + high) / 2, abs=1e-8) and not model.bias_unique


@pytest.mark.parametrize("lam", [1e-4, 1e-2, 0.1, 1.0])
def test_logistic_fit_meets_the_article_objective(noisy, lam):
    model = toy.fit_logistic(noisy.x, noisy.y, lam)
    assert model.objective == toy.logistic_objective(noisy.x, noisy.y, model.w, model.b, lam)
    assert model.gradient_norm < 1e-8  # stationary: the objective is strictly convex here
    assert model.objective <= generic_logistic_minimum(noisy.x, noisy.y, lam) + 1e-12
    # the gradient is the objective's: a step along it changes the objective as predicted
    step = 1e-4
    for k in range(3):
        dv = np.zeros(3)
        dv[k] = step
        change = toy.logistic_objective(noisy.x, noisy.y, model.w + dv[:2], model.b + dv[2], lam) - model.objective
        assert abs(change) <= model.gradient_norm * step + 10 * lam * step**2 + step**2


def test_library_c_is_the_article_lambda():
    # C sum loss + ||w||^2 / 2 = ((1/n) sum loss + lam ||w||^2) / (2 lam) when C = 1 / (2 n lam)
    assert toy.library_c(0.1, 41) == pytest.approx(1 / 8.2)
    with pytest.raises(ValueError):
        toy.library_c(0.0, 41)


def test_solvers_reject_bad_lambda(noisy):
    for fit in toy.FITTERS.values():
        with pytest.raises(ValueError):
            fit(noisy.x, noisy.y, 0.0)


@pytest.mark.parametrize("points_per_class", [10, 20])
def test_noisy_point_low_regularization_tilts_high_does_not(problem, points_per_class):
    noisy = toy.with_noisy_point(toy.make_toy_problem(points_per_class, 0.5), [-1.0, 0.5], 1)
    rows, models = toy.noisy_point_table(noisy, {"low": 1e-4, "high": 0.1})
    table = {(r["model"], r["regularization"]): r for r in rows}
    assert set(table) == {("svm", "low"), ("svm", "high"), ("logistic", "low"), ("logistic", "high")}
    for model in ("svm", "logistic"):
        low, high = table[(model, "low")], table[(model, "high")]
        assert low["fits_noisy_point"] and low["noisy_point_distance"] > 0
        assert low["theta_deg"] > 45.0
        assert low["err_train"] == 0.0
        assert not high["fits_noisy_point"]
        assert high["theta_deg"] < 5.0  # close to the nearest-centroid boundary
        assert high["d_adv"] > low["d_adv"]
        assert high["w_norm"] < low["w_norm"]
        # the table's angle is the geometry's
        fitted = models[(model, "low")]
        assert low["theta_deg"] == pytest.approx(math.degrees(geometry.tilting_angle(fitted.w, noisy.z_hat)))


def test_gaussian_set_and_random_classifiers_cover_all_angles():
    rng = np.random.default_rng(0)
    problem = toy.gaussian_balanced_set(20, 30, rng)
    assert problem.balanced and problem.x.shape == (60, 20)
    classifiers = toy.random_classifiers(problem.z_hat, 300, rng)
    angles = np.degrees([geometry.tilting_angle(w, problem.z_hat) for w, _ in classifiers])
    assert angles.min() < 10 and angles.max() > 170
    rows = toy.dadv_theta_table(problem, classifiers)
    residual = np.array([r["residual"] for r in rows])
    assert residual.max() < 1e-12
    gap = np.linalg.norm(problem.centroid_j - problem.centroid_i)
    for r in rows[:20]:
        assert r["identity"] == pytest.approx(0.5 * gap * math.cos(math.radians(r["theta_deg"])), abs=1e-12)


def test_dadv_theta_table_refuses_unbalanced_sets(noisy):
    with pytest.raises(ValueError):
        toy.dadv_theta_table(noisy, [(np.array([1.0, 0.0]), 0.0)])


@pytest.mark.parametrize("lam", [1e-4, 1e-2, 0.1, 1.0])
def test_hinge_agrees_with_the_svm_stage_solver(noisy, lam):
    """Two independent solvers of the same objective and bias rule: libsvm and tilting.svm's."""
    ours = toy.fit_hinge(noisy.x, noisy.y, lam)
    theirs = svm.fit_linear_svm(noisy.x, noisy.y, lam, gap_tolerance=1e-10)
    np.testing.assert_allclose(ours.w, theirs.w, rtol=1e-6, atol=1e-7)
    assert ours.b == pytest.approx(theirs.b, abs=1e-6)
    assert ours.bias_unique == theirs.bias_unique  # lam = 1: every point inside the margin
    assert ours.objective == pytest.approx(theirs.objective, rel=1e-7)
