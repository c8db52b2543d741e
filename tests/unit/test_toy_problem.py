"""tilting.toy: the toy problem, the two small solvers, the noisy point and d_adv vs theta."""

import math

import numpy as np
import pytest

from tilting import geometry, toy


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


def test_hinge_with_low_lambda_is_the_hard_margin_svm(noisy):
    # hand-solved: the support vectors (-0.5, 0) in I, (0.5, 0) in J and p = (-1, 0.5)
    # give w = (2, 6), b = 0 (min ||w||^2 s.t. all margins >= 1)
    model = toy.fit_hinge(noisy.x, noisy.y, 1e-4)
    np.testing.assert_allclose(model.w, [2.0, 6.0], atol=1e-9)
    assert model.b == pytest.approx(0.0, abs=1e-9)
    assert model.bias_unique
    assert abs(model.gap) < 1e-10
    margins = noisy.y * geometry.raw_score(noisy.x, model.w, model.b)
    assert margins.min() == pytest.approx(1.0)


@pytest.mark.parametrize("lam", [1e-3, 1e-2, 0.1])
def test_hinge_is_optimal(noisy, lam):
    model = toy.fit_hinge(noisy.x, noisy.y, lam)
    assert model.gap is not None and abs(model.gap) < 1e-9
    # convex objective: no nearby point is better
    rng = np.random.default_rng(0)
    best = toy.hinge_objective(noisy.x, noisy.y, model.w, model.b, lam)
    for _ in range(200):
        dw, db = rng.normal(scale=1e-3, size=2), rng.normal(scale=1e-3)
        assert toy.hinge_objective(noisy.x, noisy.y, model.w + dw, model.b + db, lam) >= best - 1e-13


def test_hinge_with_every_point_inside_the_margin_takes_the_midpoint_bias(problem):
    # lambda = 10 on the balanced toy: w = (1/(2 lam)) (j - i)/2 = (0.05, 0); the loss is flat
    # in b on [-1 - min_I w.x, 1 - max_J w.x] = [-0.925, 0.925]: midpoint 0, not unique
    model = toy.fit_hinge(problem.x, problem.y, 10.0)
    np.testing.assert_allclose(model.w, [0.05, 0.0], atol=1e-10)
    assert model.b == pytest.approx(0.0, abs=1e-9)
    assert not model.bias_unique
    assert toy.best_hinge_bias(problem.x @ model.w, problem.y) == pytest.approx((0.0, False))


def test_best_hinge_bias_flat_and_unique_cases():
    scores = np.array([-2.0, -1.0, 1.5, 3.0])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    # margin >= 1 for I needs b <= -1 - s (b <= 0, b <= 1), for J b >= 1 - s (b >= -0.5, b >= -2):
    # the loss is 0 on [-0.5, 0]: midpoint, not unique
    b, unique = toy.best_hinge_bias(scores, y)
    assert b == pytest.approx(-0.25) and not unique
    # an I point and a J point reach margin 1 at the same b = -0.5: a unique minimum
    b, unique = toy.best_hinge_bias(np.array([-0.5, 1.5, 3.0]), np.array([-1.0, 1.0, 1.0]))
    assert unique and b == pytest.approx(-0.5)


@pytest.mark.parametrize("lam", [1e-4, 1e-2, 1.0])
def test_logistic_matches_scikit_learn(noisy, lam):
    from sklearn.linear_model import LogisticRegression

    model = toy.fit_logistic(noisy.x, noisy.y, lam)
    assert model.gradient_norm < 1e-10
    n = len(noisy.y)
    # (1/n) sum loss + lam ||w||^2  <=>  C sum loss + 1/2 ||w||^2 with C = 1/(2 n lam); intercept free
    reference = LogisticRegression(C=1 / (2 * n * lam), tol=1e-12, max_iter=100000).fit(noisy.x, noisy.y)
    np.testing.assert_allclose(model.w, reference.coef_[0], rtol=1e-4, atol=1e-6)
    assert model.b == pytest.approx(reference.intercept_[0], rel=1e-4, abs=1e-6)
    assert (
        model.objective
        <= toy.logistic_objective(noisy.x, noisy.y, reference.coef_[0], reference.intercept_[0], lam) + 1e-12
    )


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
    """Two independent solvers of the same objective: this one and tilting.svm's."""
    svm = pytest.importorskip("tilting.svm")
    ours = toy.fit_hinge(noisy.x, noisy.y, lam)
    theirs = svm.fit_linear_svm(noisy.x, noisy.y, lam, gap_tolerance=1e-10)
    np.testing.assert_allclose(ours.w, theirs.w, rtol=1e-7, atol=1e-9)
    assert ours.b == pytest.approx(theirs.b, abs=1e-8)
    assert ours.bias_unique == theirs.bias_unique  # lam = 1: every point inside the margin
    assert ours.objective == pytest.approx(theirs.objective, rel=1e-9)
