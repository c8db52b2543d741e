"""The certified linear-SVM solver (tilting.svm) against independent solves.

Oracles: libsvm (sklearn SVC, linear kernel, tight tolerance) for the article objective, whose
C-SVC problem 1/2 ||w||^2 + C sum hinge with C = 1/(2 lam n) has the same minimizers; and
scipy's L-BFGS-B on the box-constrained dual of the vlfeat objective.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from tilting import svm


def article_objective(x, y, w, b, lam):
    return np.mean(np.maximum(0.0, 1.0 - y * (x @ w + b))) + lam * w @ w


def vlfeat_objective(x, y, w, b, lam):
    return np.mean(np.maximum(0.0, 1.0 - y * (x @ w + b))) + 0.5 * lam * (w @ w + b * b)


def random_problem(seed, n=120, d=8, shift=1.0, balanced=True, zero_columns=0):
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < n // 2, -1.0, 1.0) if balanced else np.where(rng.random(n) < 0.35, -1.0, 1.0)
    x = rng.normal(size=(n, d)) + shift * y[:, None] * rng.normal(size=d)
    if zero_columns:
        x = np.hstack([x, np.zeros((n, zero_columns))])
    return x, y


def libsvm_fit(x, y, lam):
    from sklearn.svm import SVC

    model = SVC(kernel="linear", C=1.0 / (2.0 * lam * len(y)), tol=1e-10, max_iter=-1)
    model.fit(x, y)
    return model.coef_.ravel(), float(model.intercept_[0])


@pytest.mark.parametrize(
    "seed,lam,balanced",
    [(0, 1e-3, True), (1, 1e-2, True), (2, 1e-1, False), (3, 3e-3, False), (4, 1.0, True)],
)
def test_article_matches_libsvm(seed, lam, balanced):
    x, y = random_problem(seed, balanced=balanced)
    fit = svm.fit_linear_svm(x, y, lam)
    w_ref, b_ref = libsvm_fit(x, y, lam)
    ref = article_objective(x, y, w_ref, b_ref, lam)
    ours = article_objective(x, y, fit.w, fit.b, lam)
    # reported objective is the true primal objective at the returned (w, b)
    assert fit.objective == pytest.approx(ours, rel=1e-12)
    # optimal: not worse than libsvm, and libsvm not better than our dual bound
    # the certificate's promise: ours - optimum <= ours - dual = gap * ours, and dual <= optimum <= ref
    assert ours - ref <= fit.gap * ours + 1e-15
    assert fit.dual_objective <= ref * (1 + 1e-12)
    assert ours == pytest.approx(ref, rel=1e-5)  # libsvm itself stops on a KKT tolerance, not a gap
    # w is unique (strictly convex in w): close to libsvm's
    assert np.linalg.norm(fit.w - w_ref) <= 1e-3 * np.linalg.norm(w_ref)
    if fit.bias_unique:
        assert fit.b == pytest.approx(b_ref, abs=1e-3 * (1 + abs(b_ref)))
    # the certificate
    assert 0.0 <= fit.gap <= 1e-6
    assert fit.gap == pytest.approx((fit.objective - fit.dual_objective) / abs(fit.objective), abs=1e-15)
    assert fit.dual_objective <= fit.objective


def test_zero_columns_get_zero_weight():
    x, y = random_problem(5, zero_columns=3)
    fit = svm.fit_linear_svm(x, y, 1e-2)
    assert fit.w.shape == (x.shape[1],)
    assert np.all(fit.w[-3:] == 0.0)
    w_ref, b_ref = libsvm_fit(x, y, 1e-2)
    assert article_objective(x, y, fit.w, fit.b, 1e-2) == pytest.approx(
        article_objective(x, y, w_ref, b_ref, 1e-2), rel=1e-6
    )


def test_bias_midpoint_when_every_point_is_inside_the_margin():
    x, y = random_problem(6, n=100, d=5)
    lam = 1e4  # so strong that every point lies strictly inside the margin
    fit = svm.fit_linear_svm(x, y, lam)
    # all multipliers at 1/n: w = sum y x / (2 lam n) = (mean_J - mean_I) / (4 lam) (balanced)
    w_expected = (x[y > 0].mean(0) - x[y < 0].mean(0)) / (4.0 * lam)
    np.testing.assert_allclose(fit.w, w_expected, rtol=1e-10, atol=1e-16)
    scores = x @ fit.w
    lo = -1.0 - scores[y < 0].min()
    hi = 1.0 - scores[y > 0].max()
    assert lo < hi
    assert fit.b == pytest.approx(0.5 * (lo + hi), rel=1e-12)
    assert fit.bias_unique is False
    # the loss really is flat on [lo, hi] and larger outside
    values = [article_objective(x, y, fit.w, b, lam) for b in (lo, fit.b, hi)]
    assert max(values) - min(values) < 1e-12
    assert article_objective(x, y, fit.w, hi + 0.1, lam) > values[1] + 1e-6
    assert article_objective(x, y, fit.w, lo - 0.1, lam) > values[1] + 1e-6
    assert fit.gap <= 1e-12


def test_bias_interval_order_statistics():
    scores = np.array([0.0, 0.5, 2.0, -3.0])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    lo, hi = svm.bias_interval(scores, y)
    grid = np.linspace(-6, 6, 12001)
    loss = np.array([np.maximum(0.0, 1.0 - y * (scores + b)).sum() for b in grid])
    flat = grid[loss <= loss.min() + 1e-12]
    assert lo == pytest.approx(flat.min(), abs=1e-3) and hi == pytest.approx(flat.max(), abs=1e-3)


def test_unique_bias_at_small_lambda():
    x, y = random_problem(7, shift=0.5)
    fit = svm.fit_linear_svm(x, y, 1e-3)
    assert fit.bias_unique is True
    w_ref, b_ref = libsvm_fit(x, y, 1e-3)
    assert fit.b == pytest.approx(b_ref, abs=1e-4 * (1 + abs(b_ref)))


@pytest.mark.parametrize("seed,lam", [(8, 1e-3), (9, 1e-1), (10, 1e2)])
def test_vlfeat_objective_matches_dual_solve(seed, lam):
    x, y = random_problem(seed, balanced=False)
    n = len(y)
    fit = svm.fit_linear_svm(x, y, lam, objective="vlfeat")
    xa = np.hstack([x, np.ones((n, 1))]) * y[:, None]  # rows y_i [x_i, 1]

    def negdual(a):
        v = xa.T @ a
        return -(a.sum() - v @ v / (2 * lam)), -(1.0 - xa @ v / lam)

    res = minimize(
        negdual,
        np.full(n, 0.5 / n),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0, 1.0 / n)] * n,
        options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 20000},
    )
    a = res.x
    v = xa.T @ a
    w_ref, b_ref = v[:-1] / lam, v[-1] / lam
    ref = vlfeat_objective(x, y, w_ref, b_ref, lam)
    ours = vlfeat_objective(x, y, fit.w, fit.b, lam)
    assert fit.objective == pytest.approx(ours, rel=1e-12)
    assert ours - ref <= fit.gap * ours + 1e-15
    assert -res.fun <= ours * (1 + 1e-12)  # weak duality with the independent dual
    assert ours == pytest.approx(-res.fun, rel=1e-5)
    assert np.linalg.norm(fit.w - w_ref) <= 1e-2 * np.linalg.norm(w_ref)
    assert fit.b == pytest.approx(b_ref, abs=1e-2 * (1 + abs(b_ref)))
    assert fit.bias_unique is True and fit.gap <= 1e-6


def test_vlfeat_differs_from_article():
    x, y = random_problem(11, balanced=False)
    a = svm.fit_linear_svm(x, y, 1e-1)
    v = svm.fit_linear_svm(x, y, 1e-1, objective="vlfeat")
    assert not np.allclose(a.w, v.w, rtol=1e-3)


@pytest.mark.parametrize("lam", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_lambda_raises_naming_lambda(lam):
    x, y = random_problem(12)
    with pytest.raises(ValueError, match="lambda"):
        svm.fit_linear_svm(x, y, lam)


def test_impossible_tolerance_raises_solver_error(monkeypatch):
    x, y = random_problem(13, shift=0.3)
    monkeypatch.setattr(svm, "MAX_ITERATIONS", 2)
    with pytest.raises(svm.SolverError, match=r"lambda=0\.001.*gap"):
        svm.fit_linear_svm(x, y, 1e-3)


def test_gap_is_certified_for_requested_tolerance():
    x, y = random_problem(14, n=300, d=20, shift=0.4)
    for lam in (1e-4, 1e-2, 1.0):
        fit = svm.fit_linear_svm(x, y, lam, gap_tolerance=1e-8)
        assert 0.0 <= fit.gap <= 1e-8
        assert fit.objective - fit.dual_objective <= 1e-8 * fit.objective


def sparse_uint8_problem(seed, n=300, d=64):
    """MNIST-like: uint8 pixels 0-255, mostly zero, some all-zero columns, balanced classes."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < n // 2, -1.0, 1.0)
    centre = rng.random(d) < 0.5
    p = np.where(centre, 0.5, 0.03)
    shift = rng.random(d) * 0.3
    prob = np.clip(p + np.where(y[:, None] > 0, shift, -shift), 0.0, 1.0)
    x = np.where(rng.random((n, d)) < prob, rng.integers(1, 256, size=(n, d)), 0).astype(np.uint8)
    x[:, :3] = 0
    return x, y


@pytest.mark.parametrize("alpha", [-1.0, 1.0, 3.0])
def test_uint8_pixels_match_libsvm(alpha):
    x, y = sparse_uint8_problem(15)
    lam = 10.0**alpha
    fit = svm.fit_linear_svm(x, y, lam)
    xf = x.astype(np.float64)
    w_ref, b_ref = libsvm_fit(xf, y, lam)
    ref = article_objective(xf, y, w_ref, b_ref, lam)
    ours = article_objective(xf, y, fit.w, fit.b, lam)
    assert ours - ref <= fit.gap * ours + 1e-15 and fit.dual_objective <= ref * (1 + 1e-12)
    assert ours == pytest.approx(ref, rel=1e-5)
    assert np.all(fit.w[:3] == 0.0)
    assert np.linalg.norm(fit.w - w_ref) <= 1e-2 * np.linalg.norm(w_ref)
    assert fit.gap <= 1e-6


def test_exact_fallback_when_fast_path_fails(monkeypatch):
    x, y = random_problem(16, shift=0.4)
    original = svm.svm_ipm.solve

    def fast_fails(problem, target, max_iterations, fast=True):
        if fast:
            return None
        return original(problem, target, max_iterations, fast=False)

    monkeypatch.setattr(svm.svm_ipm, "solve", fast_fails)
    fit = svm.fit_linear_svm(x, y, 1e-2)
    assert fit.solver == "ipm-exact" and fit.gap <= 1e-6
    monkeypatch.undo()
    ref = svm.fit_linear_svm(x, y, 1e-2)
    assert fit.objective == pytest.approx(ref.objective, rel=2e-6)


def test_bias_flag_is_certified_by_the_gap():
    """bias_unique is False only when the optimal-b interval is wider than its certified error."""
    x, y = random_problem(17, n=100, d=5)
    fit = svm.fit_linear_svm(x, y, 1e4)  # closed form: exact, wide interval
    assert fit.bias_unique is False and fit.solver == "closed-form"
    x, y = random_problem(18, shift=0.5)
    fit = svm.fit_linear_svm(x, y, 1e-3, gap_tolerance=1e-10)  # kink: b pinned by margin points
    lo, hi = svm.bias_interval(x @ fit.w, y)
    assert fit.bias_unique is True and hi - lo < 1e-6


def test_all_zero_data():
    """No usable pixel: w = 0 and min_b mean hinge(1 - y b) = 2 min(n_pos, n_neg) / n at b = +-1."""
    y = np.array([-1.0] * 15 + [1.0] * 35)
    fit = svm.fit_linear_svm(np.zeros((50, 4), dtype=np.uint8), y, 1.0)
    assert np.all(fit.w == 0.0) and fit.b == 1.0
    assert fit.objective == pytest.approx(2 * 15 / 50, rel=1e-6) and fit.gap <= 1e-6


@pytest.mark.parametrize("seed,lam", [(20, 1e-2), (21, 1e-1), (22, 3.0)])
def test_article_matches_generic_qp_dual(seed, lam):
    """Independent generic QP: SLSQP on the article dual (box and sum a y = 0), small n."""
    x, y = random_problem(seed, n=40, d=3, shift=0.7, balanced=False)
    n = len(y)
    xy = x * y[:, None]

    def negdual(beta):  # n * dual objective at a = beta / n, beta in [0, 1]
        v = xy.T @ beta
        return -(beta.sum() - v @ v / (4 * lam * n)), -(1.0 - xy @ v / (2 * lam * n))

    res = minimize(
        negdual,
        np.full(n, 0.5),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda beta: beta @ y, "jac": lambda beta: y}],
        options={"ftol": 1e-13, "maxiter": 2000},
    )
    # SLSQP may end on "positive directional derivative" at the optimum: judge it by its value
    qp = -res.fun / n
    assert abs(res.x @ y) < 1e-8 and res.x.min() >= -1e-12 and res.x.max() <= 1 + 1e-12
    fit = svm.fit_linear_svm(x, y, lam, gap_tolerance=1e-10)
    assert qp <= fit.objective * (1 + 1e-12)  # weak duality: any feasible dual is below our primal
    assert fit.objective == pytest.approx(qp, rel=1e-6)
    # ||w - w*||^2 <= (P - D) / lam for both solutions (2 lam-strong convexity of min_b L(., b))
    w_qp = xy.T @ res.x / (2 * lam * n)
    bound = np.sqrt((fit.objective - fit.dual_objective) / lam) + np.sqrt(max(fit.objective - qp, 0.0) / lam) * 2
    assert np.linalg.norm(fit.w - w_qp) <= bound + 1e-9
    assert np.linalg.norm(fit.w - w_qp) <= 1e-2 * np.linalg.norm(w_qp)


@pytest.mark.parametrize("alpha", [-1.0, 2.0])
def test_a_rescaled_problem_is_the_same_problem(alpha):
    """Pixels on [0, 1] (x_scale 1/255, lambda / 255^2) and on 0-255: the solver normalizes the
    scale itself, so both take the same iterations to the same model (w scaled by 255)."""
    x, y = sparse_uint8_problem(23)
    lam = 10.0**alpha
    grey = svm.fit_linear_svm(x, y, lam)
    unit = svm.fit_linear_svm(x, y, lam / 255.0**2, x_scale=1.0 / 255.0)
    assert (unit.solver, unit.iterations) == (grey.solver, grey.iterations)
    np.testing.assert_allclose(unit.w / 255.0, grey.w, rtol=1e-10, atol=1e-12 * np.abs(grey.w).max())
    assert unit.b == pytest.approx(grey.b, rel=1e-10, abs=1e-12)
    assert unit.objective == pytest.approx(grey.objective, rel=1e-10)
    # float images on the [0, 1] scale given directly: the same model too
    floats = svm.fit_linear_svm(x / 255.0, y, lam / 255.0**2)
    np.testing.assert_allclose(floats.w, unit.w, rtol=1e-6, atol=1e-9 * np.abs(unit.w).max())
