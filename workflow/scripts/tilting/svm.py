"""Certified linear SVM: hinge loss, L2 penalty, duality-gap certificate.

Objectives (n training points, labels y in {-1, +1}):

* ``"article"``: L(w, b) = (1/n) sum max(0, 1 - y (w.x + b)) + lam ||w||^2, b not penalized.
  Dual: max sum a - ||X^T Y a||^2 / (4 lam) s.t. 0 <= a <= 1/n, sum a y = 0.
* ``"vlfeat"``: (1/n) sum hinge + (lam/2)(||w||^2 + b^2) (VLFeat ``vl_svmtrain``, bias
  multiplier 1). Dual: max sum a - ||X^T Y a||^2 / (2 lam) - (sum a y)^2 / (2 lam), 0 <= a <= 1/n.

Every fit returns a certificate: the primal objective at the returned (w, b), the dual
objective of a feasible dual point, and their relative gap; a fit whose gap exceeds the
tolerance raises :class:`SolverError`.

Scale. The solver works on its own copy of the data, x c with c a power of two that brings
the largest image norm near 2^12 (MNIST's on the 0-255 scale, where the interior-point method's
float32 steps were tuned: the unscaled bias column weighs against the pixels there), and with
lam c^2 / x_scale^2 in place of lam (the same minimizers, w rescaled on return). Images on the
0-255 scale and on the [0, 1] scale (``x_scale`` 1/255) thus give the same internal problem: the
same iterations and time; and a power of two keeps integer pixels exact in float32.

Method: where every point can lie inside the margin (large lam) the solution is known in
closed form and is returned directly (still certified); otherwise the interior-point method
of :mod:`tilting.svm_ipm`. All-zero pixel columns are dropped first. The bias of the article
objective is then re-optimized exactly for the final w: the optimal b set of the 1-D
piecewise-linear loss is an interval [t_(p), t_(p+1)] of order statistics of
t_i = y_i - w.x_i (p = number of positive points); where it is a proper interval the
midpoint is returned and ``bias_unique`` is False (libsvm's rule).

Imports numpy only: every (pair, lambda) job must start fast.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import svm_ipm

OBJECTIVES = ("article", "vlfeat")
MAX_ITERATIONS = 200
TARGET_FACTOR = 0.5  # the interior-point method aims at this fraction of the requested gap
TARGET_LOG2_NORM = 12.0  # log2 of the largest image norm on the solver's scale (see above)


class SolverError(RuntimeError):
    """The solver could not certify the requested duality gap."""


@dataclass
class SvmFit:
    w: np.ndarray
    b: float
    objective: float
    dual_objective: float
    gap: float
    bias_unique: bool
    iterations: int
    seconds: float
    solver: str


# ----------------------------------------------------------------------------- helpers


def _check_inputs(x, y, lam, objective, gap_tolerance):
    try:
        lam_value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lambda must be a positive finite number, got lambda={lam!r}") from None
    if not math.isfinite(lam_value) or lam_value <= 0.0:
        raise ValueError(f"lambda must be a positive finite number, got lambda={lam!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if not (gap_tolerance > 0.0):
        raise ValueError(f"gap_tolerance must be positive, got {gap_tolerance!r}")
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        x = x.astype(np.float64)
    y = np.asarray(y).astype(np.float64).ravel()
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"x must be (n, d) with n = len(y) > 0, got {x.shape} and {y.shape}")
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("labels y must be -1 or +1")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError("x has non-finite values")
    if objective == "article" and (np.all(y > 0) or np.all(y < 0)):
        raise ValueError("the article objective needs both classes (the bias is unbounded otherwise)")
    return x, y, lam_value


def bias_interval(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Optimal set [lo, hi] of b for min_b sum max(0, 1 - y (scores + b)) (both classes present).

    The slope of the loss on (t_(k), t_(k+1)), t_i = y_i - scores_i sorted, is k - n_pos, so the
    minimizers are [t_(n_pos), t_(n_pos + 1)] (1-based order statistics).
    """
    t = y - scores
    p = int(np.count_nonzero(y > 0))
    n = t.size
    if p == 0 or p == n:
        raise ValueError("bias interval needs both classes")
    part = np.partition(t, (p - 1, p))
    return float(part[p - 1]), float(part[p])


class _Problem:
    """The data on the solver's scale: all-zero columns dropped, rows sorted by class, x c.

    ``lam`` is the internal weight penalty lam c^2 / x_scale^2; ``lam_b`` the vlfeat bias
    penalty (the bias is not rescaled). ``x32`` is the float32 copy for the fast products and
    ``x_small`` the most compact exact copy (uint8 pixels where the input is integer) that
    ``x_small * small_scale`` turns into x32.
    """

    def __init__(self, x, y, lam, objective, x_scale=1.0):
        self.n, self.d_full = x.shape
        self.keep = np.flatnonzero(np.any(x != 0, axis=0))
        if self.keep.size == 0:
            self.keep = np.arange(min(1, self.d_full))  # all-zero data: one (zero) column keeps shapes valid
        self.d = self.keep.size
        # rows sorted by class (negatives first): per-class sums become contiguous slices
        order = np.argsort(y, kind="stable")
        x_kept = np.take(np.take(x, order, axis=0), self.keep, axis=1)  # original dtype (uint8: cheap)
        self.x = x_kept.astype(np.float64)
        largest = math.sqrt(float(np.einsum("ij,ij->i", self.x, self.x).max()))
        # a power of two: x c is exact, and pixel scales 255 and 1 meet in the same problem
        self.scale = 2.0 ** round(TARGET_LOG2_NORM - math.log2(largest)) if largest > 0 else 1.0
        self.x *= self.scale
        self.w_factor = self.scale / x_scale  # caller's w = internal w * w_factor
        if np.issubdtype(x_kept.dtype, np.integer) and x_kept.min() >= 0 and x_kept.max() <= 255:
            self.x_small, self.small_scale = x_kept.astype(np.uint8, copy=False), self.scale
        else:
            self.x_small, self.small_scale = self.x.astype(np.float32), 1.0
        self.x32 = self.x.astype(np.float32)
        self.y = y[order]
        self.row_norm2 = np.einsum("ij,ij->i", self.x, self.x) + 1.0
        self.max_row_norm = float(np.sqrt(self.row_norm2.max() - 1.0))
        self.lam = lam * self.w_factor**2
        self.lam_b = lam
        self.objective = objective
        self.n_pos = int(np.count_nonzero(self.y > 0))

    def full_w(self, w_internal):
        """The caller's w (all columns, caller's scale) of an internal w."""
        w = np.zeros(self.d_full)
        w[self.keep] = w_internal * self.w_factor
        return w

    def hinge_mean(self, scores, b) -> float:
        return float(np.mean(np.maximum(0.0, 1.0 - self.y * (scores + b))))

    def best_bias(self, scores) -> float:
        lo, hi = bias_interval(scores, self.y)
        return 0.5 * (lo + hi)

    def primal(self, w, b):
        scores = self.x @ w
        if self.objective == "article":
            return self.hinge_mean(scores, b) + self.lam * float(w @ w)
        return self.hinge_mean(scores, b) + 0.5 * (self.lam * float(w @ w) + self.lam_b * b * b)

    def dual(self, a):
        """Dual objective of a feasible a (box [0, 1]; true multipliers are a / n)."""
        ay = a * self.y / self.n
        v = self.x.T @ ay
        if self.objective == "article":
            return float(a.sum() / self.n - (v @ v) / (4.0 * self.lam))
        return float(a.sum() / self.n - 0.5 * ((v @ v) / self.lam + float(ay.sum()) ** 2 / self.lam_b))

    def w_from_dual(self, a):
        ay = a * self.y / self.n
        v = self.x.T @ ay
        if self.objective == "article":
            return v / (2.0 * self.lam), None
        return v / self.lam, float(ay.sum()) / self.lam_b


def _rel_gap(primal, dual):
    return (primal - dual) / max(abs(primal), 1e-300)


# ----------------------------------------------------------------------------- closed form


def _closed_form(problem: _Problem):
    """Every dual variable at its upper bound (all points inside the margin), if optimal."""
    a = np.ones(problem.n)
    if problem.objective == "article" and 2 * problem.n_pos != problem.n:
        return None
    w, b = problem.w_from_dual(a)
    scores = problem.x @ w
    if problem.objective == "article":
        lo, hi = bias_interval(scores, problem.y)
        if lo > hi:
            return None
        # optimal iff some b puts every point inside or on the margin: max_neg t <= min_pos t
        t = problem.y - scores
        if t[problem.y < 0].max() > t[problem.y > 0].min():
            return None
        b = 0.5 * (lo + hi)
    else:
        if np.any(problem.y * (scores + b) > 1.0):
            return None
    return w, b, a


# ----------------------------------------------------------------------------- public API


def fit_linear_svm(x, y, lam, objective="article", gap_tolerance=1e-6, x_scale=1.0) -> SvmFit:
    """Fit a linear SVM to (x * x_scale, y) at regularization lam, certified to relative gap <= gap_tolerance.

    ``x_scale`` lets integer images (uint8 pixels) stay compact until the solver's own copy.
    The returned w acts on x * x_scale; objective values do not depend on the scale.
    """
    start = time.process_time()
    x, y, lam = _check_inputs(x, y, lam, objective, gap_tolerance)
    if not (math.isfinite(x_scale) and x_scale > 0.0):
        raise ValueError(f"x_scale must be a positive finite number, got {x_scale!r}")
    problem = _Problem(x, y, lam, objective, float(x_scale))

    closed = _closed_form(problem)
    if closed is not None:
        w, b, a = closed
        solver, iterations = "closed-form", 0
        p_val, d_val = problem.primal(w, b), problem.dual(a)
    else:
        target = TARGET_FACTOR * gap_tolerance
        best = svm_ipm.solve(problem, target, MAX_ITERATIONS, fast=True)
        solver = "ipm"
        if best is None or not best[4] <= gap_tolerance:
            exact = svm_ipm.solve(problem, target, MAX_ITERATIONS, fast=False)
            if exact is not None and (best is None or not exact[4] >= best[4]):
                best, solver = exact, "ipm-exact"
        if best is None:
            raise SolverError(f"linear SVM at lambda={lam:.6g}: interior-point method failed to start")
        w, b, a, iterations, gap, p_val, d_val = best
        if gap > gap_tolerance:
            raise SolverError(
                f"linear SVM at lambda={lam:.6g}: relative duality gap {gap:.3g} > tolerance "
                f"{gap_tolerance:.3g} after {iterations} iterations"
            )

    bias_unique = True
    if objective == "article":
        scores = problem.x @ w
        lo, hi = bias_interval(scores, problem.y)
        b = 0.5 * (lo + hi)
        p_val = problem.primal(w, b)
        # min_b L(w, b) is 2 lam-strongly convex in w, so ||w - w*||^2 <= (objective - dual) / lam and
        # each breakpoint y_i - w.x_i, hence each end of the interval, is within delta of the exact one.
        delta = math.sqrt(max(p_val - d_val, 0.0) / problem.lam) * problem.max_row_norm
        delta += 1e-12 * (1.0 + abs(lo) + abs(hi))  # rounding
        bias_unique = not (hi - lo > 2.0 * delta)
    gap = _rel_gap(p_val, d_val)
    if gap > gap_tolerance:
        raise SolverError(
            f"linear SVM at lambda={lam:.6g}: relative duality gap {gap:.3g} > tolerance {gap_tolerance:.3g}"
        )
    # (objective - dual) is >= 0 in exact arithmetic; clamp rounding noise of order 1e-16
    gap = max(gap, 0.0)
    return SvmFit(
        w=problem.full_w(w),
        b=float(b),
        objective=float(p_val),
        dual_objective=float(d_val),
        gap=float(gap),
        bias_unique=bool(bias_unique),
        iterations=int(iterations),
        seconds=time.process_time() - start,
        solver=solver,
    )
