"""Certified linear SVM (SPEC section 4): hinge loss, L2 penalty, duality-gap certificate.

Objectives (n training points, labels y in {-1, +1}):

* ``"article"``: L(w, b) = (1/n) sum max(0, 1 - y (w.x + b)) + lam ||w||^2, b not penalized.
  Dual: max sum a - ||X^T Y a||^2 / (4 lam) s.t. 0 <= a <= 1/n, sum a y = 0.
* ``"vlfeat"``: (1/n) sum hinge + (lam/2)(||w||^2 + b^2) (VLFeat ``vl_svmtrain``, bias
  multiplier 1). Dual: max sum a - ||X^T Y a||^2 / (2 lam) - (sum a y)^2 / (2 lam), 0 <= a <= 1/n.

Every fit returns a certificate: the primal objective at the returned (w, b), the dual
objective of a feasible dual point, and their relative gap; a fit whose gap exceeds the
tolerance raises :class:`SolverError`.

Method: a primal-dual interior-point method (Mehrotra predictor-corrector plus Gondzio
centrality correctors) on the QP
    min lam' ||w||^2 + sum xi  s.t.  y (w.x + b) + xi >= 1, xi >= 0
whose Newton step reduces to (d+1) x (d+1) normal equations (all-zero pixel columns are
dropped first; the normal matrix is built in float32 from the rows that matter, residuals
and certificate always in float64; an exact float64 run is the fallback). Where every point can lie inside the margin (large lam) the solution is
known in closed form and is returned directly (still certified). The bias of the article
objective is then re-optimized exactly for the final w: the optimal b set of the 1-D
piecewise-linear loss is an interval [t_(p), t_(p+1)] of order statistics of
t_i = y_i - w.x_i (p = number of positive points); where it is a proper interval the
midpoint is returned and ``bias_unique`` is False (libsvm's rule).

Imports numpy only: importing scipy.linalg costs ~0.2 s of CPU per process, more than a
typical solve, and every (pair, lambda) job is its own process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

OBJECTIVES = ("article", "vlfeat")
MAX_ITERATIONS = 200
STALL_ITERATIONS = 30  # stop when the certified gap has not improved for this many iterations
_DEBUG = False
# interior-point tuning (see _ipm)
DROP = 1.0
GONDZIO_CORRECTORS = 2
GONDZIO_DELTA = 0.2
PRECISE_GAP = 1e-3  # below this gap the Newton directions use float64 products
TARGET_FACTOR = 0.5  # the IPM aims at this fraction of the requested gap
START_ALPHA = 0.2
START_ADAPTIVE = True
START_GAIN = 0.5
START_MIN = 0.05
START_MAX = 0.5
START_S = 1.0
START_XI = 1.0


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


def _hinge_mean(margins: np.ndarray) -> float:
    return float(np.mean(np.maximum(0.0, 1.0 - margins)))


class _Cholesky:
    """m = L L^T (numpy only): solves by blocked substitution with inverted diagonal blocks."""

    BLOCK = 64

    def __init__(self, m: np.ndarray):
        self.l = np.linalg.cholesky(m)  # raises LinAlgError when m is not positive definite
        size = m.shape[0]
        self.edges = list(range(0, size, self.BLOCK)) + [size]
        self.inv = [np.linalg.inv(self.l[a:b, a:b]) for a, b in zip(self.edges[:-1], self.edges[1:])]

    def solve(self, r: np.ndarray) -> np.ndarray:
        l, edges, inv = self.l, self.edges, self.inv
        y = np.empty_like(r)
        for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            y[a:b] = inv[k] @ (r[a:b] - l[a:b, :a] @ y[:a])
        x = np.empty_like(r)
        for k in range(len(inv) - 1, -1, -1):
            a, b = edges[k], edges[k + 1]
            x[a:b] = inv[k].T @ (y[a:b] - l[b:, a:b].T @ x[b:])
        return x


class _Problem:
    """The data with all-zero columns dropped, plus objective bookkeeping."""

    def __init__(self, x, y, lam, objective, x_scale=1.0):
        self.n, self.d_full = x.shape
        self.keep = np.flatnonzero(np.any(x != 0, axis=0))
        if self.keep.size == 0:
            self.keep = np.arange(min(1, self.d_full))  # all-zero data: one (zero) column keeps shapes valid
        # rows sorted by class (negatives first): per-class sums become contiguous slices
        order = np.argsort(y, kind="stable")
        x_kept = np.take(np.take(x, order, axis=0), self.keep, axis=1)  # original dtype (uint8: cheap)
        self.x = x_kept.astype(np.float64)
        if x_scale != 1.0:
            self.x *= x_scale
        self.x32 = x_kept.astype(np.float32)
        y = y[order]
        self.row_norm2 = np.einsum("ij,ij->i", self.x, self.x) + 1.0
        self.max_row_norm = float(np.sqrt(self.row_norm2.max() - 1.0))
        self.y = y
        self.lam = lam
        self.objective = objective
        self.n_pos = int(np.count_nonzero(y > 0))

    def full_w(self, w_reduced):
        w = np.zeros(self.d_full)
        w[self.keep] = w_reduced
        return w

    # primal objective for a given w (reduced), with the best / given bias
    def primal(self, w, b=None):
        scores = self.x @ w
        if self.objective == "article":
            if b is None:
                lo, hi = bias_interval(scores, self.y)
                b = 0.5 * (lo + hi)
            value = _hinge_mean(self.y * (scores + b)) + self.lam * float(w @ w)
        else:
            if b is None:
                raise ValueError("vlfeat primal needs b")
            value = _hinge_mean(self.y * (scores + b)) + 0.5 * self.lam * (float(w @ w) + b * b)
        return value, b

    def feasible_dual(self, alpha):
        """Project alpha (in units where the box is [0, 1]) onto the dual feasible set."""
        a = np.clip(alpha, 0.0, 1.0)
        if self.objective == "article":
            pos = self.y > 0
            s_pos = float(a[pos].sum())
            s_neg = float(a[~pos].sum())
            if s_pos > s_neg:
                a[pos] *= s_neg / s_pos
            elif s_neg > s_pos:
                a[~pos] *= s_pos / s_neg
        return a

    def dual(self, a):
        """Dual objective of a feasible a (box [0, 1]; true multipliers are a / n)."""
        ay = a * self.y / self.n
        v = self.x.T @ ay
        if self.objective == "article":
            return float(a.sum() / self.n - (v @ v) / (4.0 * self.lam))
        return float(a.sum() / self.n - ((v @ v) + float(ay.sum()) ** 2) / (2.0 * self.lam))

    def w_from_dual(self, a):
        ay = a * self.y / self.n
        v = self.x.T @ ay
        if self.objective == "article":
            return v / (2.0 * self.lam), None
        return v / self.lam, float(ay.sum()) / self.lam


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


# ----------------------------------------------------------------------------- interior point


def _ipm(problem: _Problem, target_gap: float, max_iterations: int, fast: bool = True):
    """Mehrotra predictor-corrector IPM. Returns (w, b, alpha, iterations, gap, primal, dual).

    Internally the objective is multiplied by n (multipliers in the box [0, 1]). The Newton
    system (H + A^T D A) dz = r, A = [Y X, y], is solved by Cholesky. With ``fast`` the matrix
    is built in float32 from the rows that matter (rows with the smallest D_i ||x_i||^2 whose
    total is at most DROP times the smallest diagonal entry of H are left out) and the
    direction's products use float32 too: an inexact Newton direction, harmless because the
    residuals and the certificate are always evaluated exactly in float64. ``fast=False``
    is the exact float64 method (the fallback).
    """
    x, y, n = problem.x, problem.y, problem.n
    d = x.shape[1]
    x32 = problem.x32 if fast else None
    pos = y > 0
    if problem.objective == "article":
        h = np.full(d + 1, 2.0 * n * problem.lam)
        h[d] = 0.0
    else:
        h = np.full(d + 1, n * problem.lam)
    h_min = float(h[:d].min())
    row_norm2 = problem.row_norm2

    def a_mul(z):  # A z, A = [Y X, y] (float32 products while far from the solution)
        if x32 is not None and not precise:
            return y * (x32 @ z[:d].astype(np.float32) + z[d])
        return y * (x @ z[:d] + z[d])

    def at_mul(v):  # A^T v
        if x32 is not None and not precise:
            vy = (v * y).astype(np.float32)
            return np.concatenate([x32.T @ vy, [float(vy.sum(dtype=np.float64))]])
        vy = v * y
        return np.concatenate([x.T @ vy, [vy.sum()]])

    z = np.zeros(d + 1)
    a0 = START_ALPHA
    if START_ADAPTIVE and h_min > 0:
        # r = decades of lam below the smallest lam at which every point lies inside the margin
        # (closed form, all multipliers at the upper bound); start the multipliers at 0.5 / (1 + r)
        xc = x @ (x.T @ y)
        if problem.objective == "article":
            lam_cf = (xc[pos].max() - xc[~pos].min()) / (4.0 * n)
        else:
            lam_cf = max(float(np.max(y * (xc + y.sum()))) / n, 1e-300)
        r = max(0.0, math.log10(max(lam_cf, 1e-300) / problem.lam)) if lam_cf > 0 else 0.0
        a0 = float(np.clip(START_GAIN / (1.0 + r), START_MIN, START_MAX))
        if _DEBUG:
            print("a0", a0, "lam_cf", lam_cf)
    alpha = np.full(n, a0)
    eta = 1.0 - alpha
    s = np.full(n, START_S)
    xi = np.full(n, START_XI)

    best = None
    precise = False
    buf32 = None
    n_neg = n - problem.n_pos  # rows are sorted by class: [negatives, positives]
    x_neg, x_pos = x[:n_neg], x[n_neg:]
    for iteration in range(1, max_iterations + 1):
        # exact residuals (float64); X w and X^T (alpha per class) are shared with the certificate
        xw = x @ z[:d]
        az = y * (xw + z[d])
        u_pos = x_pos.T @ alpha[n_neg:]
        u_neg = x_neg.T @ alpha[:n_neg]
        sums = (float(alpha[n_neg:].sum()), float(alpha[:n_neg].sum()))
        r_d = h * z
        r_d[:d] -= u_pos - u_neg
        r_d[d] -= sums[0] - sums[1]
        r_p = az + xi - s - 1.0
        r_c = 1.0 - alpha - eta
        mu = (s @ alpha + xi @ eta) / (2.0 * n)

        # certificate of the current iterate
        w = z[:d]
        if problem.objective == "article":
            lo, hi = bias_interval(xw, y)
            b_val = 0.5 * (lo + hi)
            p_val = _hinge_mean(y * (xw + b_val)) + problem.lam * float(w @ w)
            a_clip = np.clip(alpha, 0.0, 1.0)
            c_pos, c_neg = float(a_clip[n_neg:].sum()), float(a_clip[:n_neg].sum())
            f_pos = min(1.0, c_neg / c_pos) if c_pos > 0 else 1.0
            f_neg = min(1.0, c_pos / c_neg) if c_neg > 0 else 1.0
            if np.array_equal(a_clip, alpha):
                v = (f_pos * u_pos - f_neg * u_neg) / n
            else:
                v = x.T @ (a_clip * y * np.where(pos, f_pos, f_neg)) / n
            d_val = (f_pos * c_pos + f_neg * c_neg) / n - float(v @ v) / (4.0 * problem.lam)
            scale = np.where(pos, f_pos, f_neg)
        else:
            b_val = float(z[d])
            p_val = _hinge_mean(y * (xw + b_val)) + 0.5 * problem.lam * (float(w @ w) + b_val * b_val)
            a_clip = np.clip(alpha, 0.0, 1.0)
            v = x.T @ (a_clip * y) / n
            vb = float(a_clip @ y) / n
            d_val = float(a_clip.sum()) / n - (float(v @ v) + vb * vb) / (2.0 * problem.lam)
            scale = None
        gap = _rel_gap(p_val, d_val)
        if not math.isfinite(gap):
            break
        if best is None or gap < best[4]:
            a_feas = a_clip * scale if scale is not None else a_clip
            best = (w.copy(), b_val, a_feas, iteration - 1, gap, p_val, d_val)
        if gap <= target_gap:
            break
        precise = gap < PRECISE_GAP

        dd = 1.0 / (s / alpha + xi / eta)
        factor = None
        while factor is None:
            # rows kept in the normal matrix
            if x32 is not None and DROP > 0.0:
                weight = dd * row_norm2
                order = np.argsort(weight)
                n_drop = int(np.searchsorted(np.cumsum(weight[order]), DROP * h_min, side="right"))
                rows = order[n_drop:] if n_drop > 0 else None
            else:
                rows = None
            sq = np.sqrt(dd if rows is None else dd[rows])
            if x32 is not None and (rows is None or len(rows) > n // 8):
                if buf32 is None:
                    buf32 = np.empty_like(x32)  # reused: no fresh pages to fault in every iteration
                if rows is None:
                    xs = np.multiply(x32, sq.astype(np.float32)[:, None], out=buf32)
                else:
                    xs = np.take(x32, rows, axis=0, out=buf32[: len(rows)])
                    xs *= sq.astype(np.float32)[:, None]
                x_dd = x32.T @ dd.astype(np.float32)
            else:  # few rows (late iterations, D spread over many decades): float64 is cheap and safe
                xs = (x if rows is None else x[rows]) * sq[:, None]
                x_dd = x.T @ dd
            m = np.empty((d + 1, d + 1))
            with np.errstate(over="ignore"):  # float32 overflow is caught below
                m[:d, :d] = xs.T @ xs  # numpy calls BLAS syrk for a product with its own transpose
                m[:d, d] = m[d, :d] = x_dd
            m[d, d] = dd.sum()
            m[np.diag_indices(d + 1)] += h
            try:
                if not np.isfinite(m).all():
                    raise np.linalg.LinAlgError("normal matrix overflowed")
                factor = _Cholesky(m)
            except np.linalg.LinAlgError:
                if x32 is None:
                    return best
                x32 = None  # float32 overflow or rounding made the matrix unusable: float64 from now on

        def solve(r_sa, r_xe, residuals=True):
            if residuals:
                g = -r_p + (r_xe + xi * r_c) / eta - r_sa / alpha
                rhs = -r_d + at_mul(dd * g)
            else:  # a pure centrality corrector: only the complementarity products move
                g = r_xe / eta - r_sa / alpha
                rhs = at_mul(dd * g)
            dz = factor.solve(rhs)
            dalpha = dd * (g - a_mul(dz))
            ds = (-r_sa - s * dalpha) / alpha
            deta = (r_c if residuals else 0.0) - dalpha
            dxi = (-r_xe - xi * deta) / eta
            return [dz, dalpha, ds, deta, dxi]

        def max_step(v, dv):
            neg = dv < 0
            if not np.any(neg):
                return 1.0
            return float(min(1.0, np.min(-v[neg] / dv[neg])))

        def step_of(dirs):
            _, dalpha, ds, deta, dxi = dirs
            return min(max_step(s, ds), max_step(alpha, dalpha), max_step(xi, dxi), max_step(eta, deta))

        # predictor
        dirs = solve(s * alpha, xi * eta)
        step = step_of(dirs)
        _, dalpha, ds, deta, dxi = dirs
        mu_aff = ((s + step * ds) @ (alpha + step * dalpha) + (xi + step * dxi) @ (eta + step * deta)) / (2.0 * n)
        sigma = (mu_aff / mu) ** 3
        # Mehrotra corrector
        dirs = solve(s * alpha + ds * dalpha - sigma * mu, xi * eta + dxi * deta - sigma * mu)
        step = step_of(dirs)
        # Gondzio's multiple centrality correctors: aim at a longer step
        mu_t = sigma * mu
        for _ in range(GONDZIO_CORRECTORS):
            if step >= 1.0:
                break
            trial = min(1.0, step + GONDZIO_DELTA)
            _, dalpha, ds, deta, dxi = dirs
            v1 = (s + trial * ds) * (alpha + trial * dalpha)
            v2 = (xi + trial * dxi) * (eta + trial * deta)
            t1 = np.clip(v1, 0.1 * mu_t, 10.0 * mu_t) - v1
            t2 = np.clip(v2, 0.1 * mu_t, 10.0 * mu_t) - v2
            np.maximum(t1, -10.0 * mu_t, out=t1)
            np.maximum(t2, -10.0 * mu_t, out=t2)
            corr = solve(-t1, -t2, residuals=False)
            new_dirs = [a + c for a, c in zip(dirs, corr)]
            new_step = step_of(new_dirs)
            if new_step < step + 0.1 * GONDZIO_DELTA:
                break
            dirs, step = new_dirs, new_step
        dz, dalpha, ds, deta, dxi = dirs
        step = min(1.0, 0.995 * step)
        if not step > 1e-12 or iteration - best[3] > STALL_ITERATIONS:
            break  # stalled: the caller falls back to the exact method or reports the gap
        if _DEBUG:
            print(f"{iteration:3d} mu={mu:.2e} step={step:.3f} gap={gap:.2e} rows={n if rows is None else len(rows)}")
        z = z + step * dz
        alpha = alpha + step * dalpha
        s = s + step * ds
        xi = xi + step * dxi
        eta = eta + step * deta
    return best


# ----------------------------------------------------------------------------- public API


def fit_linear_svm(x, y, lam, objective="article", gap_tolerance=1e-6, x_scale=1.0) -> SvmFit:
    """Fit a linear SVM to (x * x_scale, y) at regularization lam, certified to relative gap <= gap_tolerance.

    ``x_scale`` lets integer images (uint8 pixels) stay compact until the solver's own copy:
    the same model as scaling them first, for ~30 ms less per 6000-image problem.
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
        p_val, b = problem.primal(w, b)
        d_val = problem.dual(a)
        gap = _rel_gap(p_val, d_val)
    else:
        target = TARGET_FACTOR * gap_tolerance
        best = _ipm(problem, target, MAX_ITERATIONS, fast=True)
        solver = "ipm"
        if best is None or not best[4] <= gap_tolerance:
            exact = _ipm(problem, target, MAX_ITERATIONS, fast=False)
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
        lo, hi = bias_interval(problem.x @ w, problem.y)
        b = 0.5 * (lo + hi)
        p_val, _ = problem.primal(w, b)
        gap = _rel_gap(p_val, d_val)
        # min_b L(w, b) is 2 lam-strongly convex in w, so ||w - w*||^2 <= (objective - dual) / lam and
        # each breakpoint y_i - w.x_i, hence each end of the interval, is within delta of the exact one.
        delta = math.sqrt(max(p_val - d_val, 0.0) / lam) * problem.max_row_norm
        delta += 1e-12 * (1.0 + abs(lo) + abs(hi))  # rounding
        bias_unique = not (hi - lo > 2.0 * delta)
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
