"""Figures of the linear SVMs on MNIST (method §4).

Every function takes plain arrays and returns a matplotlib figure; the caller saves it
with :func:`tilting.plots.save_figure`. Distances are grey levels of the 0-255 scale.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from . import plt
from ..svm_analysis import line_points

CLASS_COLORS = ("tab:orange", "tab:blue")  # class I (digit a, y = -1), class J (digit b, y = +1)
LOSS_COLOR = "tab:blue"


def _lambda_label(alpha: float) -> str:
    return rf"$\lambda = 10^{{{alpha:g}}}$"


def histogram_figure(panels: list[dict], pair: str):
    """y d(x) histograms with the scaled hinge loss f_||w||(z) = max(0, 1 - ||w|| z).

    ``panels``: one dict per lambda with alpha, margins (y d(x) over the training set),
    w_norm (0-255 scale) and d_adv.
    """
    count = len(panels)
    fig, axes = plt.subplots(1, count, figsize=(3.2 * count, 3.0), squeeze=False, sharey=False)
    for ax, panel in zip(axes[0], panels):
        margins = np.asarray(panel["margins"], dtype=float)
        low, high = np.percentile(margins, [0.5, 99.5])
        span = max(high - low, 1e-9)
        low, high = low - 0.1 * span, high + 0.1 * span
        sns.histplot(x=np.clip(margins, low, high), bins=60, binrange=(low, high), stat="density", color="0.6", ax=ax)
        ax.set_ylabel("")
        ax.axvline(0.0, color="k", lw=0.6)
        ax.axvline(panel["d_adv"], color="tab:red", lw=0.8, ls="--", label=r"$d_{adv}$")
        ax.set_xlim(low, high)
        ax.set_xlabel(r"$y\,d(x)$ (grey levels)")
        ax.set_title(_lambda_label(panel["alpha"]) + f", $\\|w\\|$ = {panel['w_norm']:.3g}", fontsize=9)
        loss_ax = ax.twinx()
        z = np.linspace(low, high, 400)
        loss_ax.plot(z, np.maximum(0.0, 1.0 - panel["w_norm"] * z), color=LOSS_COLOR, lw=1.2)
        loss_ax.set_ylim(bottom=0.0)
        loss_ax.tick_params(axis="y", colors=LOSS_COLOR, labelsize=7)
        if ax is axes[0][-1]:
            loss_ax.set_ylabel(r"scaled hinge loss $f_{\|w\|}$", color=LOSS_COLOR)
    axes[0][0].set_ylabel("density of training images")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{pair}: distances of the training images to the boundary", fontsize=10)
    fig.tight_layout()
    return fig


def curves_figure(lam, err_train, err_test, d_adv, theta_deg, pair: str, optimal: int):
    """err_train, err_test, d_adv and theta against lambda (log scale), lambda_optimal marked."""
    lam = np.asarray(lam, dtype=float)
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.2))
    axes[0].plot(lam, 100 * np.asarray(err_train), label=r"err$_{train}$", color="tab:green")
    axes[0].plot(lam, 100 * np.asarray(err_test), label=r"err$_{test}$", color="tab:purple")
    axes[0].set_ylabel("error (%)")
    axes[1].plot(lam, d_adv, color="tab:red")
    axes[1].set_ylabel(r"$d_{adv}$ (grey levels)")
    axes[2].plot(lam, theta_deg, color="tab:blue")
    axes[2].set_ylabel(r"tilting angle $\theta$ (degrees)")
    axes[2].set_ylim(0, 90)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel(r"$\lambda$")
        ax.axvline(lam[optimal], color="k", ls="--", lw=0.8, label=r"$\lambda_{optimal}$")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{pair}: error, adversarial distance and tilting angle against $\\lambda$", fontsize=10)
    fig.tight_layout()
    return fig


def _plane_limits(coords: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    low = np.percentile(coords, 0.5, axis=0)
    high = np.percentile(coords, 99.5, axis=0)
    pad = 0.08 * (high - low)
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def _draw_boundary(ax, line, u_range, v_range):
    ends = line_points(line, u_range, v_range)
    ax.plot(ends[:, 0], ends[:, 1], color="k", lw=1.2)


def plane_figure(panels: list[dict], y_train, pair: str, max_points: int = 1500, seed: int = 0):
    """Training data projected on (z_hat, n_hat) with the boundary line, one panel per lambda.

    ``panels``: dicts with alpha, coords (n, 2), line (c1, c2, k), centroids (2, 2),
    theta_deg. At most ``max_points`` images per class are drawn (a fixed subsample).
    """
    y_train = np.asarray(y_train)
    rng = np.random.default_rng(seed)
    shown = np.concatenate([rng.permutation(np.flatnonzero(y_train == label))[:max_points] for label in (-1, 1)])
    count = len(panels)
    fig, axes = plt.subplots(1, count, figsize=(3.3 * count, 3.4), squeeze=False)
    digits = pair.split("v")
    for ax, panel in zip(axes[0], panels):
        coords = np.asarray(panel["coords"], dtype=float)
        u_range, v_range = _plane_limits(coords)
        for k, label in enumerate((-1, 1)):
            points = coords[shown][y_train[shown] == label]
            ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.35, color=CLASS_COLORS[k], lw=0, label=digits[k])
        ax.scatter(*np.asarray(panel["centroids"]).T, marker="x", color="k", s=30, zorder=3)
        _draw_boundary(ax, panel["line"], u_range, v_range)
        ax.set_xlim(*u_range)
        ax.set_ylim(*v_range)
        ax.set_xlabel(r"$\hat z$ (grey levels)")
        ax.set_title(_lambda_label(panel["alpha"]) + rf", $\theta$ = {panel['theta_deg']:.1f}°", fontsize=9)
    axes[0][0].set_ylabel(r"$\hat n$ (grey levels)")
    axes[0][0].legend(fontsize=7, markerscale=4, loc="upper left")
    fig.suptitle(f"{pair}: training images in the tilting plane (origin: mean image)", fontsize=10)
    fig.tight_layout()
    return fig


def mirror_figure(
    images,
    panels: list[dict],
    lam,
    distances,
    pair: str,
):
    """Representative images x (class a), y (class b) and their mirror images.

    Top two rows: x, x_m and y, y_m for each selected lambda (pixels clipped to 0-255
    for display). Third row: the four points in each tilting plane with the boundary,
    and ||x_m - x||, ||y_m - y|| against lambda. ``panels``: dicts with alpha, mirrors
    (2, d), points (2, 2), mirror_points (2, 2), line.
    """
    images = np.asarray(images, dtype=float)
    side = int(round(math.sqrt(images.shape[1])))
    count = len(panels)
    columns = count + 1
    fig, axes = plt.subplots(3, columns, figsize=(2.3 * columns, 7.2), squeeze=False)
    names = (("x", "x_m"), ("y", "y_m"))
    for row in range(2):
        axes[row][0].imshow(images[row].reshape(side, side), cmap="gray", vmin=0, vmax=255)
        axes[row][0].set_title(f"${names[row][0]}$ (digit {pair.split('v')[row]})", fontsize=9)
        for k, panel in enumerate(panels):
            mirrored = np.clip(np.asarray(panel["mirrors"])[row], 0, 255).reshape(side, side)
            axes[row][k + 1].imshow(mirrored, cmap="gray", vmin=0, vmax=255)
            axes[row][k + 1].set_title(f"${names[row][1]}$, " + _lambda_label(panel["alpha"]), fontsize=8)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    for k, panel in enumerate(panels):
        ax = axes[2][k + 1]
        points = np.asarray(panel["points"])
        mirror_points = np.asarray(panel["mirror_points"])
        both = np.vstack([points, mirror_points])
        low, high = both.min(axis=0), both.max(axis=0)
        center, half = (low + high) / 2, 0.5 * max(float((high - low).max()), 1.0) * 1.15
        u_range, v_range = (center[0] - half, center[0] + half), (center[1] - half, center[1] + half)
        for c in range(2):
            ax.plot(*np.vstack([points[c], mirror_points[c]]).T, color=CLASS_COLORS[c], lw=0.8, ls=":")
            ax.scatter(*points[c], color=CLASS_COLORS[c], s=25, zorder=3)
            ax.scatter(*mirror_points[c], color=CLASS_COLORS[c], s=25, marker="s", facecolor="none", zorder=3)
        _draw_boundary(ax, panel["line"], u_range, v_range)
        ax.set_xlim(*u_range)
        ax.set_ylim(*v_range)
        ax.set_aspect("equal", adjustable="box")  # a square box: equal scales on both axes
        ax.set_xlabel(r"$\hat z$ (grey levels)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[2][1].set_ylabel(r"$\hat n$ (grey levels)", fontsize=8)
    ax = axes[2][0]
    distances = np.asarray(distances, dtype=float)
    ax.plot(lam, distances[:, 0], color=CLASS_COLORS[0], label=r"$\|x_m - x\|$")
    ax.plot(lam, distances[:, 1], color=CLASS_COLORS[1], label=r"$\|y_m - y\|$")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\lambda$", fontsize=8)
    ax.set_ylabel("grey levels", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    fig.suptitle(f"{pair}: mirror images through the boundary (dots: images, squares: mirrors)", fontsize=10)
    fig.tight_layout()
    return fig


def overview_figure(table: pd.DataFrame, highlight: tuple[str, ...] = ()):
    """theta and test error against lambda, one line per pair of the metrics ``table`` (columns
    pair, lam, theta_deg, err_test); the pairs of ``highlight`` bold. The legend names every
    pair when there are at most 12, else the highlighted ones."""
    names = sorted(table["pair"].unique())
    palette = dict(zip(names, sns.color_palette("viridis", len(names))))
    data = table.assign(err_test_pct=100 * table["err_test"], bold=table["pair"].isin(highlight))
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    for ax, column in zip(axes, ("theta_deg", "err_test_pct")):
        for bold, rows in data.groupby("bold"):
            sns.lineplot(
                rows,
                x="lam",
                y=column,
                hue="pair",
                palette=palette,
                units="pair",
                estimator=None,
                lw=2.0 if bold else 0.8,
                alpha=1.0 if bold else 0.6,
                legend=False,
                ax=ax,
            )
        ax.set_xscale("log")
        ax.set_xlabel(r"$\lambda$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(r"tilting angle $\theta$ (degrees)")
    axes[0].set_ylim(0, 90)
    axes[1].set_ylabel("test error (%)")
    axes[1].set_yscale("log")
    labelled = [name for name in names if name in highlight or len(names) <= 12]
    if labelled:
        handles = [Line2D([], [], color=palette[name], lw=2.0 if name in highlight else 0.8) for name in labelled]
        axes[1].legend(handles, labelled, fontsize=7, ncol=2)
    fig.suptitle(f"Linear SVMs on MNIST: {len(names)} digit pairs", fontsize=10)
    fig.tight_layout()
    return fig
