"""The 2-D toy problem and the tilting-angle experiments (method §1 and 3).

Image space R^2 with coordinates (a, b). The data manifold is the a axis (b = 0):
class I (y = -1) is a segment of it centred on a = -1, class J (y = +1) a segment
centred on a = +1, so the class centroids are i = (-1, 0) and j = (1, 0) and the
nearest-centroid direction is z_hat = (1, 0). L_theta is the boundary through the
origin whose unit normal is cos(theta) z_hat + sin(theta) z_perp: every L_theta with
theta in [0, pi/2) separates the two segments perfectly, and it lies on the data
manifold in the limit theta -> pi/2.

All distances, projections and mirror images come from :mod:`tilting.geometry`.
The two learners (a hinge-loss SVM and a logistic regression) minimise

    (1/n) sum loss(y (w.x + b)) + lam ||w||^2,   b not penalised,

the objective of the SVM stage (method §4), solved by scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from . import geometry
from .svm import bias_interval

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


def library_c(lam: float, n: int) -> float:
    """scikit-learn's C for our lam: its C sum loss + ||w||^2 / 2 (intercept not penalised)
    is n C times (1/n) sum loss + lam ||w||^2 when lam = 1 / (2 n C)."""
    if not lam > 0:
        raise ValueError(f"lam {lam!r} must be > 0")
    return 1.0 / (2.0 * lam * n)


#: A bias interval narrower than this (relative) is one bias: libsvm's solution is accurate to
#: ~1e-7 (its kernel cache is single precision).
BIAS_INTERVAL_TOLERANCE = 1e-6


def fit_hinge(x: np.ndarray, y: np.ndarray, lam: float) -> LinearModel:
    """Linear SVM: (1/n) sum max(0, 1 - y (w.x + b)) + lam ||w||^2 with b free, by libsvm
    (scikit-learn's SVC with a linear kernel).

    Where the objective is flat in b (no support vector strictly inside the bounds), libsvm
    takes the midpoint of the optimal interval, the SVM stage's rule; ``bias_unique`` says
    whether that interval is a point. libsvm's dual variables (alpha_i in [0, C]) are
    2 lam alpha_i in our dual, max sum a - ||sum a y x||^2 / (4 lam), 0 <= a <= 1/n, whose
    value certifies the fit (``dual_objective``).
    """
    from sklearn.svm import SVC

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    fitted = SVC(kernel="linear", C=library_c(lam, n), tol=1e-12).fit(x, y)
    w, b = fitted.coef_[0].copy(), float(fitted.intercept_[0])
    alpha_y = np.zeros(n)
    alpha_y[fitted.support_] = 2.0 * lam * fitted.dual_coef_[0]
    low, high = bias_interval(x @ w, y)
    return LinearModel(
        w=w,
        b=b,
        objective=hinge_objective(x, y, w, b, lam),
        dual_objective=float(alpha_y @ y - np.sum((alpha_y @ x) ** 2) / (4.0 * lam)),
        iterations=int(fitted.n_iter_[0]),
        bias_unique=bool(high - low <= BIAS_INTERVAL_TOLERANCE * max(1.0, abs(b))),
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, lam: float) -> LinearModel:
    """L2-regularised logistic regression: (1/n) sum ln(1 + exp(-y (w.x + b))) + lam ||w||^2
    with b free, by scikit-learn's LogisticRegression (lbfgs, intercept not penalised).
    ``gradient_norm``: the largest |partial derivative| of that objective at the solution."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    fitted = LogisticRegression(C=library_c(lam, n), tol=1e-12, max_iter=10_000).fit(x, y)
    w, b = fitted.coef_[0].copy(), float(fitted.intercept_[0])
    weight = y * expit(-y * geometry.raw_score(x, w, b))  # -d loss / d score, per point
    gradient = np.append(-(weight @ x) / n + 2.0 * lam * w, -np.mean(weight))
    return LinearModel(
        w=w,
        b=b,
        objective=logistic_objective(x, y, w, b, lam),
        dual_objective=None,
        iterations=int(fitted.n_iter_[0]),
        gradient_norm=float(np.max(np.abs(gradient))),
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
