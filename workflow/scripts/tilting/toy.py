"""The 2-D toy problem and the tilting-angle experiments (SPEC sections 1 and 3).

Image space R^2 with coordinates (a, b). The data manifold is the a axis (b = 0):
class I (y = -1) is a segment of it centred on a = -1, class J (y = +1) a segment
centred on a = +1, so the class centroids are i = (-1, 0) and j = (1, 0) and the
nearest-centroid direction is z_hat = (1, 0). L_theta is the boundary through the
origin whose unit normal is cos(theta) z_hat + sin(theta) z_perp: every L_theta with
theta in [0, pi/2) separates the two segments perfectly, and it lies on the data
manifold in the limit theta -> pi/2.

All distances, projections and mirror images come from :mod:`tilting.geometry`.
The two small solvers here (hinge SVM, logistic regression) minimise

    (1/n) sum loss(y (w.x + b)) + lam ||w||^2,   b not penalised,

the objective of the SVM stage (SPEC section 4), to machine precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from . import geometry

# ---- the toy data ------------------------------------------------------------


@dataclass
class ToyProblem:
    """Training images (rows of x, in (a, b) coordinates), labels in {-1, +1}, centroids."""

    x: np.ndarray
    y: np.ndarray
    centroid_i: np.ndarray = field(init=False)
    centroid_j: np.ndarray = field(init=False)
    z_hat: np.ndarray = field(init=False)

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        self.centroid_i, self.centroid_j = geometry.class_centroids(self.x, self.y)
        self.z_hat = geometry.nearest_centroid_direction(self.centroid_i, self.centroid_j)

    @property
    def balanced(self) -> bool:
        return int(np.sum(self.y == -1)) == int(np.sum(self.y == 1))


def make_toy_problem(points_per_class: int, spread: float) -> ToyProblem:
    """Evenly spaced points on the a axis: I at a in [-1 - spread, -1 + spread], J mirrored.

    ``spread`` must stay below 1 so that the two segments do not touch the origin
    (every L_theta, theta < 90 deg, then separates them).
    """
    if points_per_class < 1:
        raise ValueError("points_per_class must be >= 1")
    if not 0 <= spread < 1:
        raise ValueError(f"spread {spread} must be in [0, 1): the classes would reach the origin")
    offsets = np.linspace(-spread, spread, points_per_class) if points_per_class > 1 else np.zeros(1)
    a = np.concatenate([-1.0 + offsets, 1.0 + offsets])
    x = np.column_stack([a, np.zeros_like(a)])
    y = np.repeat([-1.0, 1.0], points_per_class)
    return ToyProblem(x, y)


def with_noisy_point(problem: ToyProblem, point, label: int) -> ToyProblem:
    """The training set plus one noisy point p with label ``label`` (-1 or +1), appended last."""
    if label not in (-1, 1):
        raise ValueError(f"noisy point label {label!r} must be -1 or +1")
    x = np.vstack([problem.x, np.asarray(point, dtype=float).reshape(1, 2)])
    y = np.append(problem.y, float(label))
    return ToyProblem(x, y)


def perpendicular(z_hat: np.ndarray) -> np.ndarray:
    """z_hat rotated by +90 degrees in the plane."""
    z_hat = np.asarray(z_hat, dtype=float)
    return np.array([-z_hat[1], z_hat[0]])


def boundary_normal(theta: float, z_hat: np.ndarray) -> np.ndarray:
    """Unit normal of L_theta: cos(theta) z_hat + sin(theta) z_perp (theta in radians)."""
    z_hat = geometry.unit(z_hat)
    return math.cos(theta) * z_hat + math.sin(theta) * perpendicular(z_hat)


def boundary_segment(w: np.ndarray, b: float, limits: tuple[float, float, float, float]) -> np.ndarray:
    """Two points of the line w.x + b = 0 that span the box (a0, a1, b0, b1), for drawing."""
    w = np.asarray(w, dtype=float)
    anchor = geometry.projected_image(np.zeros(2), w, b)
    direction = perpendicular(geometry.unit(w))
    half = math.hypot(limits[1] - limits[0], limits[3] - limits[2])
    center = np.array([(limits[0] + limits[1]) / 2, (limits[2] + limits[3]) / 2])
    t0 = float((center - anchor) @ direction)
    return np.stack([anchor + (t0 - half) * direction, anchor + (t0 + half) * direction])


def mirror_sweep(x: np.ndarray, thetas: np.ndarray, z_hat: np.ndarray) -> dict[str, np.ndarray]:
    """Projected image, mirror image and ||x - x_m|| of one image x through L_theta for each theta."""
    x = np.asarray(x, dtype=float)
    projected, mirrored = [], []
    for theta in np.asarray(thetas, dtype=float):
        w = boundary_normal(float(theta), z_hat)
        projected.append(geometry.projected_image(x, w, 0.0))
        mirrored.append(geometry.mirror_image(x, w, 0.0))
    projected = np.array(projected)
    mirrored = np.array(mirrored)
    return {
        "theta": np.asarray(thetas, dtype=float),
        "projected": projected,
        "mirror": mirrored,
        "distance": np.linalg.norm(mirrored - x, axis=1),
    }


# ---- the two learners -----------------------------------------------------------


@dataclass
class LinearModel:
    """A trained boundary and the certificate of its fit."""

    w: np.ndarray
    b: float
    objective: float
    dual_objective: float | None
    iterations: int
    bias_unique: bool = True
    gradient_norm: float | None = None  # max |gradient| at the solution (smooth losses)

    @property
    def gap(self) -> float | None:
        """Relative duality gap (primal - dual) / max(primal, tiny); None without a dual."""
        if self.dual_objective is None:
            return None
        return (self.objective - self.dual_objective) / max(abs(self.objective), 1e-300)


def hinge_objective(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lam: float) -> float:
    margins = y * geometry.raw_score(x, w, b)
    return float(np.mean(np.maximum(1.0 - margins, 0.0)) + lam * float(w @ w))


def logistic_objective(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lam: float) -> float:
    margins = y * geometry.raw_score(x, w, b)
    return float(np.mean(np.logaddexp(0.0, -margins)) + lam * float(w @ w))


def best_hinge_bias(scores: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """The exact minimiser over b of sum max(0, 1 - y (s + b)) for fixed scores s = w.x.

    The function is convex and piecewise linear with kinks at b = y_k - s_k; when it is
    flat on an interval, the midpoint of that interval is taken (libsvm's rule) and the
    bias is reported as not unique.
    """
    kinks = np.unique(y - scores)
    values = np.array([np.sum(np.maximum(0.0, 1.0 - y * (scores + k))) for k in kinks])
    best = values.min()
    tied = kinks[values <= best + 1e-12 * max(1.0, abs(best))]
    low, high = float(tied.min()), float(tied.max())
    # kinks that differ by rounding only (points on the margin together) are one kink
    unique = high - low <= 1e-9 * max(1.0, abs(low), abs(high))
    return 0.5 * (low + high), unique


def _hinge_kkt_polish(x, y, w, b, lam, tol=1e-6):
    """Solve the KKT system of the hinge problem on the active set of (w, b).

    Points with margin < 1 have alpha = 1/n, points with margin > 1 alpha = 0, and the
    points on the margin (|margin - 1| <= tol) get the alphas that solve
    2 lam w = sum alpha y x, sum alpha y = 0, y (w.x + b) = 1 on the margin.
    Returns (w, b, alpha) when the solution is consistent, else None.
    """
    n, d = x.shape
    margins = y * (x @ w + b)
    inside = margins < 1 - tol
    on = np.abs(margins - 1) <= tol
    k = int(on.sum())
    if k == 0:
        # no point on the margin: sum alpha y = 0 must hold with alpha = 1/n inside,
        # w follows, and the loss is flat in b (b from best_hinge_bias, not unique)
        if abs(float(np.sum(y[inside]))) > 1e-9:
            return None
        w_new = (x[inside].T @ y[inside]) / (2 * lam * n)
        b_new, _ = best_hinge_bias(x @ w_new, y)
        new_margins = y * (x @ w_new + b_new)
        if np.any(new_margins[inside] > 1 + 1e-9) or np.any(new_margins[~inside] < 1 - 1e-9):
            return None
        return w_new, b_new, np.where(inside, 1.0 / n, 0.0)
    xs, ys = x[on], y[on]
    # unknowns: w (d), b, alpha_on (k)
    rows, rhs = [], []
    for c in range(d):
        row = np.zeros(d + 1 + k)
        row[c] = 2 * lam
        row[d + 1 :] = -ys * xs[:, c]
        rows.append(row)
        rhs.append(float(np.sum(y[inside] * x[inside, c])) / n)
    row = np.zeros(d + 1 + k)
    row[d + 1 :] = ys
    rows.append(row)
    rhs.append(-float(np.sum(y[inside])) / n)
    for s in range(k):
        row = np.zeros(d + 1 + k)
        row[:d] = ys[s] * xs[s]
        row[d] = ys[s]
        rows.append(row)
        rhs.append(1.0)
    matrix, rhs = np.array(rows), np.array(rhs)
    solution, _, rank, _ = np.linalg.lstsq(matrix, rhs, rcond=None)
    if rank < d + 1 + k or np.max(np.abs(matrix @ solution - rhs)) > 1e-10:
        return None
    w_new, b_new, alpha_on = solution[:d], float(solution[d]), solution[d + 1 :]
    if np.any(alpha_on < -1e-12) or np.any(alpha_on > 1 / n + 1e-12):
        return None
    new_margins = y * (x @ w_new + b_new)
    if np.any(new_margins[inside] > 1 + 1e-9) or np.any(new_margins[~inside & ~on] < 1 - 1e-9):
        return None
    alpha = np.where(inside, 1.0 / n, 0.0)
    alpha[on] = np.clip(alpha_on, 0.0, 1.0 / n)
    return w_new, b_new, alpha


def fit_hinge(x: np.ndarray, y: np.ndarray, lam: float) -> LinearModel:
    """Linear SVM: minimise (1/n) sum max(0, 1 - y (w.x + b)) + lam ||w||^2 (b free).

    A quadratic programme in (w, b, slacks) solved by SLSQP, then made exact: the
    KKT system on the solution's active set gives (w, b) and the dual variables,
    whose dual objective certifies the fit. For tiny problems only (toy, tests).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    if lam <= 0:
        raise ValueError("lam must be > 0")

    def objective(v):
        w, xi = v[:d], v[d + 1 :]
        return float(xi.sum() / n + lam * (w @ w))

    def gradient(v):
        g = np.zeros_like(v)
        g[:d] = 2 * lam * v[:d]
        g[d + 1 :] = 1.0 / n
        return g

    design = np.hstack([y[:, None] * x, y[:, None], np.eye(n)])

    constraint = {
        "type": "ineq",
        "fun": lambda v: design @ v - 1.0,
        "jac": lambda v: design,
    }
    start = np.concatenate([np.zeros(d + 1), np.ones(n)])
    bounds = [(None, None)] * (d + 1) + [(0.0, None)] * n
    result = minimize(
        objective,
        start,
        jac=gradient,
        constraints=[constraint],
        bounds=bounds,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    w = result.x[:d].copy()
    b, bias_unique = best_hinge_bias(x @ w, y)
    dual = None
    polished = _hinge_kkt_polish(x, y, w, b, lam)
    if polished is not None:
        w_new, b_new, alpha = polished
        if hinge_objective(x, y, w_new, b_new, lam) <= hinge_objective(x, y, w, b, lam) + 1e-12:
            w = w_new
            b, bias_unique = best_hinge_bias(x @ w, y)
        v = alpha * y
        dual = float(alpha.sum() - (v @ x) @ (v @ x) / (4 * lam))
    return LinearModel(
        w=w,
        b=float(b),
        objective=hinge_objective(x, y, w, b, lam),
        dual_objective=dual,
        iterations=int(result.nit),
        bias_unique=bias_unique,
    )


def fit_logistic(
    x: np.ndarray, y: np.ndarray, lam: float, tolerance: float = 1e-12, max_iterations: int = 200
) -> LinearModel:
    """L2-regularised logistic regression by Newton's method with backtracking.

    Minimises (1/n) sum ln(1 + exp(-y (w.x + b))) + lam ||w||^2 (b free) until the
    gradient's max norm is below ``tolerance``; the objective is strictly convex when
    the rows (x, 1) span R^(d+1), as they do for the toy problem.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    if lam <= 0:
        raise ValueError("lam must be > 0")
    design = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(d + 1, 2.0 * lam)
    penalty[d] = 0.0

    def value(v):
        return logistic_objective(x, y, v[:d], float(v[d]), lam)

    v = np.zeros(d + 1)
    for iteration in range(1, max_iterations + 1):
        margins = y * (design @ v)
        p = expit(-margins)  # derivative of softplus(-m) w.r.t. -m
        grad = -(design.T @ (y * p)) / n + penalty * v
        if np.max(np.abs(grad)) <= tolerance:
            break
        curvature = p * (1.0 - p)
        hessian = (design.T * curvature) @ design / n + np.diag(penalty)
        step = np.linalg.solve(hessian, -grad)
        current, t = value(v), 1.0
        while value(v + t * step) > current + 1e-4 * t * float(grad @ step) and t > 1e-12:
            t *= 0.5
        v = v + t * step
    else:
        raise RuntimeError(f"logistic regression did not converge in {max_iterations} Newton steps")
    return LinearModel(
        w=v[:d].copy(),
        b=float(v[d]),
        objective=value(v),
        dual_objective=None,
        iterations=iteration,
        gradient_norm=float(np.max(np.abs(grad))),
    )


FITTERS = {"svm": fit_hinge, "logistic": fit_logistic}


def noisy_point_table(problem: ToyProblem, lambdas: dict[str, float]) -> tuple[list[dict], dict]:
    """Train each model at each regularization on ``problem`` (its last row is p).

    Returns the table rows and {(model, regularization): LinearModel}.
    """
    p, p_label = problem.x[-1], problem.y[-1]
    rows, models = [], {}
    for model_name, fit in FITTERS.items():
        for regime, lam in lambdas.items():
            model = fit(problem.x, problem.y, float(lam))
            models[(model_name, regime)] = model
            theta = geometry.tilting_angle(model.w, problem.z_hat)
            rows.append(
                {
                    "model": model_name,
                    "regularization": regime,
                    "lam": float(lam),
                    "w_norm": float(np.linalg.norm(model.w)),
                    "w_a": float(model.w[0]),
                    "w_b": float(model.w[1]),
                    "b": model.b,
                    "theta_deg": math.degrees(theta),
                    "d_adv": geometry.adversarial_distance(problem.x, problem.y, model.w, model.b),
                    "d_err": geometry.error_distance(problem.x, problem.y, model.w, model.b),
                    "err_train": geometry.error_rate(problem.x, problem.y, model.w, model.b),
                    "noisy_point_distance": float(p_label * geometry.signed_distance(p, model.w, model.b)),
                    "fits_noisy_point": bool(p_label * geometry.raw_score(p, model.w, model.b) > 0),
                    "objective": model.objective,
                    "duality_gap": model.gap,
                    "gradient_norm": model.gradient_norm,
                    "bias_unique": model.bias_unique,
                    "iterations": model.iterations,
                }
            )
    return rows, models


# ---- d_adv against the tilting angle ----------------------------------------------


def gaussian_balanced_set(
    dimension: int, points_per_class: int, rng: np.random.Generator, separation: float = 2.0
) -> ToyProblem:
    """Two isotropic unit-variance Gaussian classes, means -+ separation/2 along a random direction."""
    if dimension < 2:
        raise ValueError("dimension must be >= 2")
    direction = geometry.unit(rng.standard_normal(dimension))
    half = 0.5 * separation * direction
    x = np.vstack(
        [
            rng.standard_normal((points_per_class, dimension)) - half,
            rng.standard_normal((points_per_class, dimension)) + half,
        ]
    )
    y = np.repeat([-1.0, 1.0], points_per_class)
    return ToyProblem(x, y)


def random_classifiers(z_hat: np.ndarray, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, float]]:
    """``count`` random boundaries (w, b) whose tilting angles cover [0, 180] degrees.

    A uniformly random direction in high dimension is almost orthogonal to z_hat, so the
    angle is drawn first: theta uniform in [0, pi], w = r (cos theta z_hat + sin theta u)
    with u a random unit vector orthogonal to z_hat, r log-uniform in [0.1, 10] and the
    bias b normal with scale r (d_adv depends on neither r nor b).
    """
    z_hat = geometry.unit(z_hat)
    classifiers = []
    for _ in range(count):
        theta = rng.uniform(0.0, math.pi)
        u = rng.standard_normal(z_hat.size)
        u = geometry.unit(u - (u @ z_hat) * z_hat)
        scale = 10.0 ** rng.uniform(-1.0, 1.0)
        w = scale * (math.cos(theta) * z_hat + math.sin(theta) * u)
        classifiers.append((w, float(scale * rng.standard_normal())))
    return classifiers


def dadv_theta_table(problem: ToyProblem, classifiers) -> list[dict]:
    """d_adv, tilting angle and the identity 1/2 ||j - i|| cos(theta) of each classifier."""
    if not problem.balanced:
        raise ValueError("the identity d_adv = 1/2 ||j - i|| cos(theta) needs a balanced set")
    rows = []
    for w, b in classifiers:
        theta = geometry.tilting_angle(w, problem.z_hat)
        d_adv = geometry.adversarial_distance(problem.x, problem.y, w, b)
        identity = geometry.adversarial_distance_identity(problem.centroid_i, problem.centroid_j, theta)
        rows.append(
            {
                "theta_deg": math.degrees(theta),
                "d_adv": d_adv,
                "identity": identity,
                "residual": abs(d_adv - identity),
                "w_norm": float(np.linalg.norm(w)),
                "b": float(b),
            }
        )
    return rows
