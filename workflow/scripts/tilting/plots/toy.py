"""Figures of method §1-3: the toy problem, the loss scaling and d_adv against theta."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .. import geometry, losses, toy

CLASS_STYLE = {
    -1.0: {"color": "tab:blue", "marker": "o", "label": "class I (y = -1)"},
    1.0: {"color": "tab:orange", "marker": "s", "label": "class J (y = +1)"},
}
TOY_LIMITS = (-2.2, 2.2, -1.6, 1.6)


def _plane_axes(ax, limits=TOY_LIMITS):
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_aspect("equal")
    ax.set_xlabel("pixel a (arbitrary intensity units)")
    ax.set_ylabel("pixel b (arbitrary intensity units)")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)


def _draw_classes(ax, problem: toy.ToyProblem, size: float = 22, centroids: bool = True):
    for label, style in CLASS_STYLE.items():
        rows = problem.y == label
        ax.scatter(
            *problem.x[rows].T, s=size, color=style["color"], marker=style["marker"], label=style["label"], zorder=3
        )
    if centroids:
        for name, c in (("i", problem.centroid_i), ("j", problem.centroid_j)):
            ax.scatter(*c, s=90, facecolor="none", edgecolor="k", lw=1.2, zorder=4)
            ax.annotate(name, c, xytext=(4, -14), textcoords="offset points", fontsize=11)


def _draw_line(ax, w, b, limits=TOY_LIMITS, **style):
    ends = toy.boundary_segment(w, b, limits)
    ax.plot(ends[:, 0], ends[:, 1], **style)


def boundaries_figure(problem: toy.ToyProblem, thetas_deg: list[float]):
    """The two classes and the boundaries L_theta for each theta (degrees)."""
    fig, ax = plt.subplots(figsize=(6.4, 5.0), constrained_layout=True)
    _plane_axes(ax)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(thetas_deg)))
    for theta_deg, color in zip(thetas_deg, colors):
        w = toy.boundary_normal(math.radians(theta_deg), problem.z_hat)
        _draw_line(ax, w, 0.0, color=color, lw=1.8, label=f"$L_\\theta$, θ = {theta_deg:g}°")
    _draw_classes(ax, problem)
    ax.set_title("Toy problem: every $L_\\theta$ separates I and J")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return fig


def mirror_figure(problem: toy.ToyProblem, image: np.ndarray, sweep: dict, thetas_deg_shown: list[float]):
    """An image x and its mirror image x_m through L_theta as theta sweeps 0 -> 90 deg.

    Left: the image plane, with the trajectory of x_m coloured by theta and a few L_theta.
    Right: x and x_m drawn as two-pixel images (a, b) for the angles shown.
    """
    fig, (ax, ax_img) = plt.subplots(
        1, 2, figsize=(11.0, 4.8), constrained_layout=True, gridspec_kw={"width_ratios": [1.35, 1]}
    )
    _plane_axes(ax)
    theta_deg = np.degrees(sweep["theta"])
    for shown in thetas_deg_shown:
        w = toy.boundary_normal(math.radians(shown), problem.z_hat)
        _draw_line(ax, w, 0.0, color=plt.cm.plasma(shown / 90.0), lw=0.9, alpha=0.6)
    _draw_classes(ax, problem, size=12, centroids=False)
    points = ax.scatter(*sweep["mirror"].T, c=theta_deg, cmap="plasma", vmin=0, vmax=90, s=10, zorder=5)
    ax.scatter(*image, s=110, marker="*", color="k", zorder=6, label="x")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("mirror image $x_m$ of x through $L_\\theta$")
    fig.colorbar(points, ax=ax, label="tilting angle θ (degrees)", shrink=0.8)

    # two-pixel images: rows x, x_m; columns the angles shown
    mirrors = []
    for shown in thetas_deg_shown:
        w = toy.boundary_normal(math.radians(shown), problem.z_hat)
        mirrors.append(geometry.mirror_image(np.asarray(image, dtype=float), w, 0.0))
    mirrors = np.array(mirrors)
    vmax = float(max(np.abs(mirrors).max(), np.abs(image).max()))
    count = len(thetas_deg_shown)
    canvas = np.full((5, 3 * count), np.nan)
    for k, xm in enumerate(mirrors):
        canvas[0:2, 3 * k : 3 * k + 2] = np.tile(np.asarray(image, dtype=float), (2, 1))
        canvas[3:5, 3 * k : 3 * k + 2] = np.tile(xm, (2, 1))
    cmap = plt.cm.gray.copy()
    cmap.set_bad((1.0, 1.0, 1.0, 0.0))
    shown_img = ax_img.imshow(canvas, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    for k in range(count):
        for top in (0, 3):  # a frame around each two-pixel image (white is a pixel value)
            ax_img.add_patch(plt.Rectangle((3 * k - 0.5, top - 0.5), 2, 2, fill=False, lw=1.0, color="tab:blue"))
    ax_img.set_xticks([3 * k + 0.5 for k in range(count)], [f"{t:g}°" for t in thetas_deg_shown])
    ax_img.set_yticks([0.5, 3.5], ["x", "$x_m$"])
    ax_img.set_xlabel("tilting angle θ (each image: pixels a | b)")
    ax_img.set_title("x and $x_m$ as two-pixel images")
    fig.colorbar(shown_img, ax=ax_img, label="pixel intensity", shrink=0.6, orientation="horizontal")
    return fig


def mirror_distance_figure(image: np.ndarray, sweep: dict):
    """||x - x_m|| against theta, with the closed form 2 |x_a cos(theta) + x_b sin(theta)|."""
    theta = sweep["theta"]
    closed_form = 2 * np.abs(image[0] * np.cos(theta) + image[1] * np.sin(theta))
    fig, ax = plt.subplots(figsize=(6.0, 4.0), constrained_layout=True)
    ax.plot(np.degrees(theta), sweep["distance"], lw=2.2, label="$\\|x - x_m\\|$ (geometry.mirror_image)")
    ax.plot(np.degrees(theta), closed_form, "k--", lw=1.0, label="$2\\,|x_a\\cos\\theta + x_b\\sin\\theta|$")
    ax.set_xlabel("tilting angle θ (degrees)")
    ax.set_ylabel("$\\|x - x_m\\|$ (image-space distance)")
    ax.set_xlim(0, 90)
    ax.set_ylim(bottom=0)
    ax.set_title(f"distance between x = ({image[0]:g}, {image[1]:g}) and its mirror image")
    ax.legend(fontsize=8)
    return fig


def noisy_point_figure(problem: toy.ToyProblem, rows: list[dict]):
    """Both models, both regularization levels, over the training set with its noisy point."""
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.6), constrained_layout=True, sharey=True)
    titles = {"svm": "linear SVM (hinge loss)", "logistic": "logistic regression (softplus loss)"}
    styles = {"low": {"color": "tab:red", "ls": "-"}, "high": {"color": "tab:green", "ls": "--"}}
    p = problem.x[-1]
    clean = toy.ToyProblem(problem.x[:-1], problem.y[:-1])
    for ax, model in zip(axes, ("svm", "logistic")):
        _plane_axes(ax)
        _draw_line(
            ax,
            problem.z_hat,
            -float(problem.z_hat @ (problem.centroid_i + problem.centroid_j)) / 2,
            color="0.5",
            ls=":",
            lw=1.2,
            label="nearest-centroid boundary",
        )
        for row in rows:
            if row["model"] != model:
                continue
            label = (
                f"{row['regularization']} λ = {row['lam']:.0e}: θ = {row['theta_deg']:.1f}°, "
                f"$d_{{adv}}$ = {row['d_adv']:.2f}"
            )
            _draw_line(
                ax, np.array([row["w_a"], row["w_b"]]), row["b"], lw=1.8, label=label, **styles[row["regularization"]]
            )
        _draw_classes(ax, clean, size=14, centroids=False)
        style = CLASS_STYLE[float(problem.y[-1])]
        ax.scatter(*p, s=160, marker="*", color=style["color"], edgecolor="k", zorder=6, label="noisy point p")
        ax.set_title(titles[model])
        ax.legend(loc="lower left", fontsize=7, framealpha=0.9)
    axes[1].set_ylabel("")
    return fig


def loss_scaling_figure(norms: list[float], margin_range: float):
    """The 0-1, hinge and softplus losses of y d(x) scaled by ||w||, asymptotes dashed.

    Dashed: ||w|| max(-y d, 0) for ||w|| > 1 and alpha - beta ||w|| y d for ||w|| < 1.
    """
    margin = np.linspace(-margin_range, margin_range, 1201)
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 4.2), constrained_layout=True, sharey=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(norms)))
    for ax, name in zip(axes, losses.LOSS_NAMES):
        for norm, color in zip(norms, colors):
            ax.plot(margin, losses.scaled_loss(name, margin, norm), color=color, lw=1.8, label=f"‖w‖ = {norm:g}")
            if name == "zero_one":
                continue
            if norm > 1:
                ax.plot(margin, losses.large_norm_asymptote(margin, norm), color=color, ls="--", lw=1.0)
            elif norm < 1:
                ax.plot(margin, losses.small_norm_asymptote(name, margin, norm), color=color, ls="--", lw=1.0)
        ax.set_title(f"{losses.LABELS[name]} loss $f_{{\\|w\\|}}(y\\,d(x))$")
        ax.set_xlabel("signed margin y d(x) (distance to the boundary)")
        ax.set_xlim(-margin_range, margin_range)
        ax.set_ylim(-0.2, 4.0)
        ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=8)
    axes[2].text(
        0.98,
        0.97,
        "dashed: ‖w‖·max(−y d, 0) for ‖w‖ > 1\nα − β‖w‖ y d for ‖w‖ < 1",
        transform=axes[2].transAxes,
        ha="right",
        va="top",
        fontsize=8,
    )
    return fig


def dadv_theta_figure(rows: list[dict], centroid_gap: float, dimension: int):
    """d_adv of random classifiers against their tilting angle, with 1/2 ||j - i|| cos(theta)."""
    theta = np.array([r["theta_deg"] for r in rows])
    d_adv = np.array([r["d_adv"] for r in rows])
    residual = np.array([r["residual"] for r in rows])
    fig, (ax, ax_res) = plt.subplots(
        2, 1, figsize=(6.4, 6.0), constrained_layout=True, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    grid = np.linspace(0, 180, 361)
    ax.plot(grid, 0.5 * centroid_gap * np.cos(np.radians(grid)), "k-", lw=1.2, label="½‖j − i‖ cos θ", zorder=2)
    ax.scatter(theta, d_adv, s=10, color="tab:red", alpha=0.7, label=f"{len(rows)} random classifiers", zorder=3)
    ax.set_ylabel("adversarial distance $d_{adv}$ (distance units)")
    ax.set_title(f"$d_{{adv}}$ against θ, balanced Gaussian set in $R^{{{dimension}}}$")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.legend(fontsize=8)
    ax_res.scatter(theta, np.maximum(residual, 1e-18), s=6, color="0.3")
    ax_res.set_yscale("log")
    ax_res.set_ylim(1e-18, 1e-12)
    ax_res.set_ylabel("|residual|\n(0 drawn at 1e-18)", fontsize=8)
    ax_res.set_xlabel("tilting angle θ (degrees)")
    ax_res.set_xlim(0, 180)
    ax_res.set_title(f"max |d_adv − ½‖j − i‖ cos θ| = {residual.max():.1e}", fontsize=9)
    return fig
