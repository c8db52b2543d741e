"""The interior-point method behind :func:`tilting.svm.fit_linear_svm`.

A Mehrotra predictor-corrector method with Gondzio centrality correctors on the QP

    min  h/2 . z^2 + sum xi   s.t.  y (w.x + b) + xi - s = 1,  xi >= 0,  s >= 0,  z = (w, b),

(the SVM objective multiplied by n; the multipliers alpha live in the box [0, 1]). The Newton
system (H + A^T D A) dz = r, A = [Y X, y], is solved through its (d + 1) x (d + 1) normal
matrix by Cholesky. With ``fast`` the matrix is built in float32 from the rows that matter and
the direction's products use float32 too: an inexact Newton direction, harmless because the
residuals and the certificate are evaluated exactly in float64 at every iteration.
``fast=False`` is the exact float64 method (the fallback).

Imports numpy only.
"""

from __future__ import annotations

import math

import numpy as np

#: rows whose D_i (||x_i||^2 + 1) sum to at most DROP x the smallest diagonal entry of H are
#: left out of the normal matrix (they move it by less than H itself does)
DROP = 1.0
GONDZIO_CORRECTORS = 2
GONDZIO_DELTA = 0.2
PRECISE_GAP = 1e-3  # below this gap the Newton directions use float64 products
STALL_ITERATIONS = 30  # stop when the certified gap has not improved for this many iterations
START_GAIN, START_MIN, START_MAX = 0.5, 0.05, 0.5  # starting multipliers, see _start


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


def _start(problem) -> float:
    """Starting multiplier: 0.5 / (1 + r), r = decades of lambda below the closed-form threshold.

    At and above that threshold every multiplier ends at its upper bound; far below it most
    end at 0, and a smaller start saves iterations.
    """
    x, y, n = problem.x, problem.y, problem.n
    xc = x @ (x.T @ y)
    pos = y > 0
    if problem.objective == "article":
        threshold = (xc[pos].max() - xc[~pos].min()) / (4.0 * n)
    else:
        threshold = max(float(np.max(y * (xc + y.sum()))) / n, 1e-300)
    r = max(0.0, math.log10(max(threshold, 1e-300) / problem.lam)) if threshold > 0 else 0.0
    return float(np.clip(START_GAIN / (1.0 + r), START_MIN, START_MAX))


def _certificate(problem, xw, z, alpha, u_pos, u_neg):
    """(b, primal, dual, feasible multipliers) of the iterate: a certified gap in float64."""
    y, n, d = problem.y, problem.n, problem.d
    n_neg = n - problem.n_pos
    w = z[:d]
    a_clip = np.clip(alpha, 0.0, 1.0)
    if problem.objective == "article":
        b = problem.best_bias(xw)
        primal = problem.hinge_mean(xw, b) + problem.lam * float(w @ w)
        # scale one class's multipliers down so that sum a y = 0 (dual feasible)
        c_pos, c_neg = float(a_clip[n_neg:].sum()), float(a_clip[:n_neg].sum())
        f_pos = min(1.0, c_neg / c_pos) if c_pos > 0 else 1.0
        f_neg = min(1.0, c_pos / c_neg) if c_neg > 0 else 1.0
        if np.array_equal(a_clip, alpha):
            v = (f_pos * u_pos - f_neg * u_neg) / n
        else:
            v = problem.x.T @ (a_clip * y * np.where(y > 0, f_pos, f_neg)) / n
        dual = (f_pos * c_pos + f_neg * c_neg) / n - float(v @ v) / (4.0 * problem.lam)
        a_feasible = a_clip * np.where(y > 0, f_pos, f_neg)
    else:
        b = float(z[d])
        primal = problem.hinge_mean(xw, b) + 0.5 * (problem.lam * float(w @ w) + problem.lam_b * b * b)
        v = problem.x.T @ (a_clip * y) / n
        vb = float(a_clip @ y) / n
        dual = float(a_clip.sum()) / n - 0.5 * (float(v @ v) / problem.lam + vb * vb / problem.lam_b)
        a_feasible = a_clip
    return b, primal, dual, a_feasible


def solve(problem, target_gap: float, max_iterations: int, fast: bool = True):
    """Returns (w, b, alpha, iterations, gap, primal, dual) of the best certified iterate, or None."""
    x, y, n, d = problem.x, problem.y, problem.n, problem.d
    x32 = problem.x32 if fast else None
    if problem.objective == "article":
        h = np.full(d + 1, 2.0 * n * problem.lam)
        h[d] = 0.0
    else:
        h = np.full(d + 1, n * problem.lam)
        h[d] = n * problem.lam_b
    h_min = float(h[:d].min())
    row_norm2 = problem.row_norm2
    n_neg = n - problem.n_pos  # rows are sorted by class: [negatives, positives]
    x_neg, x_pos = x[:n_neg], x[n_neg:]

    precise = False

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
    alpha = np.full(n, _start(problem) if h_min > 0 else 0.2)
    eta = 1.0 - alpha
    s = np.ones(n)
    xi = np.ones(n)

    best = None
    buf32 = None
    for iteration in range(1, max_iterations + 1):
        # exact residuals (float64); X w and X^T (alpha per class) are shared with the certificate
        xw = x @ z[:d]
        u_pos = x_pos.T @ alpha[n_neg:]
        u_neg = x_neg.T @ alpha[:n_neg]
        r_d = h * z
        r_d[:d] -= u_pos - u_neg
        r_d[d] -= float(alpha[n_neg:].sum()) - float(alpha[:n_neg].sum())
        r_p = y * (xw + z[d]) + xi - s - 1.0
        r_c = 1.0 - alpha - eta
        mu = (s @ alpha + xi @ eta) / (2.0 * n)

        b_val, p_val, d_val, a_feasible = _certificate(problem, xw, z, alpha, u_pos, u_neg)
        gap = (p_val - d_val) / max(abs(p_val), 1e-300)
        if not math.isfinite(gap):
            break
        if best is None or gap < best[4]:
            best = (z[:d].copy(), b_val, a_feasible, iteration - 1, gap, p_val, d_val)
        if gap <= target_gap:
            break
        precise = gap < PRECISE_GAP

        dd = 1.0 / (s / alpha + xi / eta)
        factor = None
        while factor is None:
            rows = None
            if x32 is not None and DROP > 0.0:
                weight = dd * row_norm2
                order = np.argsort(weight)
                n_drop = int(np.searchsorted(np.cumsum(weight[order]), DROP * h_min, side="right"))
                rows = order[n_drop:] if n_drop > 0 else None
            sq = np.sqrt(dd if rows is None else dd[rows])
            if x32 is not None and (rows is None or len(rows) > n // 8):
                if buf32 is None:
                    buf32 = np.empty_like(x32)  # reused: no fresh pages to fault in every iteration
                xs = buf32 if rows is None else buf32[: len(rows)]
                source = problem.x_small if rows is None else np.take(problem.x_small, rows, axis=0)
                np.multiply(source, (sq * problem.small_scale).astype(np.float32)[:, None], out=xs)
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

        def newton(r_sa, r_xe, residuals=True):
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
        dirs = newton(s * alpha, xi * eta)
        step = step_of(dirs)
        _, dalpha, ds, deta, dxi = dirs
        mu_aff = ((s + step * ds) @ (alpha + step * dalpha) + (xi + step * dxi) @ (eta + step * deta)) / (2.0 * n)
        sigma = (mu_aff / mu) ** 3
        # Mehrotra corrector
        dirs = newton(s * alpha + ds * dalpha - sigma * mu, xi * eta + dxi * deta - sigma * mu)
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
            corr = newton(-t1, -t2, residuals=False)
            new_dirs = [a + c for a, c in zip(dirs, corr)]
            new_step = step_of(new_dirs)
            if new_step < step + 0.1 * GONDZIO_DELTA:
                break
            dirs, step = new_dirs, new_step
        dz, dalpha, ds, deta, dxi = dirs
        step = min(1.0, 0.995 * step)
        if not step > 1e-12 or iteration - best[3] > STALL_ITERATIONS:
            break  # stalled: the caller falls back to the exact method or reports the gap
        z = z + step * dz
        alpha = alpha + step * dalpha
        s = s + step * ds
        xi = xi + step * dxi
        eta = eta + step * deta
    return best
