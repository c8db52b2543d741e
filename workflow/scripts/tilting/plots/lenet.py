"""Figures of method §5: LeNet errors, filters, adversarial examples, perturbation norms.

Networks are passed as an ordered mapping name -> weight decay (lowest decay first).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

NET_COLORS = ["tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown"]


def network_label(net: str, weight_decay: float) -> str:
    return f"LeNet_{net} (λ = {weight_decay:g})"


def _color(k: int) -> str:
    return NET_COLORS[k % len(NET_COLORS)]


# ---- errors --------------------------------------------------------------------------


def errors_figure(
    histories: dict[str, pd.DataFrame], weight_decays: dict[str, float], article_test_error: dict[str, float]
):
    """Running training error and test error (%) against the epoch, every network; a star at the
    article's final test error of the networks that have one (network name -> error)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6), constrained_layout=True)
    for k, (net, history) in enumerate(histories.items()):
        color = _color(k)
        label = network_label(net, weight_decays[net])
        epochs = history["epoch"].to_numpy()
        ax.plot(epochs, 100 * history["train_error"], color=color, ls="--", lw=1.4, label=f"{label}: train")
        ax.plot(epochs, 100 * history["test_error"], color=color, ls="-", lw=1.8, label=f"{label}: test")
        if net in article_test_error:
            error = article_test_error[net]
            ax.scatter(
                [epochs.max()],
                [100 * error],
                marker="*",
                s=140,
                color=color,
                edgecolor="k",
                zorder=5,
                label=f"article, final test error of LeNet_{net}: {100 * error:.1f} %",
            )
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("top-1 error (%, log scale)")
    ax.set_title("LeNet on MNIST: running training error (dashed) and test error (solid)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# ---- filters ----------------------------------------------------------------------------


def tile(blocks: np.ndarray, rows: int, cols: int, gap: int = 1) -> np.ndarray:
    """Blocks (k, h, w) -> one (rows*h + gaps, cols*w + gaps) image, NaN between blocks."""
    k, h, w = blocks.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i in range(min(k, rows * cols)):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = blocks[i]
    return out


#: Per layer: how one filter becomes an image, and how the selected filters are tiled.
FILTER_LAYOUT = {
    # layer: (filters shown, grid rows, grid cols, slice rows, slice cols)
    "conv1": (16, 4, 4, 1, 1),  # 5x5 filters
    "conv2": (16, 4, 4, 4, 5),  # each 5x5x20 filter as 4x5 slices of 5x5
    "fc1": (12, 4, 3, 5, 10),  # each 4x4x50 block as 5x10 slices of 4x4
}
LAYER_TITLES = {"conv1": "Conv1 (5×5×1)", "conv2": "Conv2 (5×5×20)", "fc1": "FC1 (4×4×50)"}


def select_filters(n_filters: dict[str, int], seed: int) -> dict[str, np.ndarray]:
    """The same random selection of filter indices for every network."""
    rng = np.random.default_rng(seed)
    return {
        layer: np.sort(rng.choice(n_filters[layer], size=min(FILTER_LAYOUT[layer][0], n_filters[layer]), replace=False))
        for layer in FILTER_LAYOUT
    }


def filter_mosaic(weight: np.ndarray, layer: str, indices: np.ndarray) -> np.ndarray:
    """Selected filters of one layer (weights (out, in, h, w)) as one image."""
    _, grid_rows, grid_cols, slice_rows, slice_cols = FILTER_LAYOUT[layer]
    images = [tile(weight[i], slice_rows, slice_cols, gap=1) for i in indices]
    return tile(np.stack(images), grid_rows, grid_cols, gap=2)


def filters_figure(weights: dict[str, dict[str, np.ndarray]], weight_decays: dict[str, float], seed: int):
    """Rows: Conv1, Conv2, FC1; columns: networks. Grey = 0, shared symmetric scale per panel."""
    nets = list(weights)
    first = weights[nets[0]]
    chosen = select_filters({layer: first[layer].shape[0] for layer in FILTER_LAYOUT}, seed)
    fig, axes = plt.subplots(
        len(FILTER_LAYOUT), len(nets), figsize=(3.6 * len(nets) + 1.0, 10.5), constrained_layout=True, squeeze=False
    )
    cmap = plt.get_cmap("gray").copy()
    cmap.set_bad("white")
    for row, layer in enumerate(FILTER_LAYOUT):
        for col, net in enumerate(nets):
            ax = axes[row, col]
            mosaic = filter_mosaic(weights[net][layer], layer, chosen[layer])
            limit = float(np.nanmax(np.abs(mosaic))) or 1.0
            image = ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(network_label(net, weight_decays[net]), fontsize=10)
            if col == 0:
                ax.set_ylabel(LAYER_TITLES[layer], fontsize=10)
            bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
            bar.set_label("weight", fontsize=8)
            bar.ax.tick_params(labelsize=7)
    fig.suptitle(
        "Random selection of LeNet filters (same filters for every network; grey = 0,\n"
        "symmetric grey scale per panel; Conv2 and FC1 filters shown as tiles of their input-channel slices)",
        fontsize=9,
    )
    return fig


# ---- adversarial examples ---------------------------------------------------------------


def adversarial_figure(
    examples: dict[str, list[dict]], weight_decays: dict[str, float], templates: dict[int, np.ndarray]
):
    """10 columns (source digits); rows: OI, the target's minus the source's mean training image,
    then AE and Pert for each network.

    ``examples[net]`` holds per digit a dict with original, adversarial (28x28, 0-255), digit,
    target, l2, iterations, capped, target_likeness; ``templates[digit]`` is the mean training
    image of its target minus that of the digit. The perturbations share one symmetric colour
    scale; each template has its own (only its pattern matters to the cosine).
    """
    nets = list(examples)
    columns = len(examples[nets[0]])
    limit = max(float(np.abs(e["adversarial"] - e["original"]).max()) for net in nets for e in examples[net]) or 1.0
    rows = 2 + 2 * len(nets)
    fig, axes = plt.subplots(rows, columns, figsize=(1.25 * columns + 1.6, 1.35 * rows + 0.7), squeeze=False)
    fig.subplots_adjust(left=0.12, right=0.9, top=0.9, bottom=0.03, wspace=0.06, hspace=0.4)
    pert_image = None
    for col in range(columns):
        first = examples[nets[0]][col]
        axes[0, col].imshow(first["original"], cmap="gray", vmin=0, vmax=255)
        axes[0, col].set_title(f"{first['digit']} → {first['target']}", fontsize=9)
        template = templates[first["digit"]]
        scale = float(np.abs(template).max()) or 1.0
        axes[1, col].imshow(template, cmap="RdBu_r", vmin=-scale, vmax=scale)
        for k, net in enumerate(nets):
            e = examples[net][col]
            ae, pert = axes[2 + 2 * k, col], axes[3 + 2 * k, col]
            ae.imshow(e["adversarial"], cmap="gray", vmin=0, vmax=255)
            pert_image = pert.imshow(e["adversarial"] - e["original"], cmap="RdBu_r", vmin=-limit, vmax=limit)
            note = f"L2 {e['l2'] / 255:.2f}" + (" capped" if e["capped"] else "") + f"\ncos {e['target_likeness']:.2f}"
            pert.set_xlabel(note, fontsize=7, labelpad=1, color="red" if e["capped"] else "black")
    labels = ["OI", "mean\ntarget −\nsource"] + [f"{name}\n{net}" for net in nets for name in ("AE", "Pert")]
    for row in range(rows):
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(labels[row], fontsize=9, rotation=0, ha="right", va="center")
    cax = fig.add_axes([0.92, 0.1, 0.015, 0.6])
    bar = fig.colorbar(pert_image, cax=cax)
    bar.set_label("x′ − x (grey levels, 0–255 scale)", fontsize=8)
    decays = ", ".join(f"{net}: λ = {weight_decays[net]:g}" for net in nets)
    fig.suptitle(
        f"Targeted adversarial examples (label l → l+1 mod 10, p ≥ target under the calibrated temperature)\n"
        f"OI original image, AE adversarial example, Pert perturbation; L2 on the [0, 1] scale ({decays});\n"
        "cos: target likeness, the cosine between Pert and the target's minus the source's mean training image",
        fontsize=9,
    )
    return fig


def norms_figure(table: pd.DataFrame, weight_decays: dict[str, float]):
    """Per source digit, one bar per network: the perturbation's L2 norm (0-1 scale, means
    dashed) and its target likeness (means dashed)."""
    nets = list(weight_decays)
    labels = {net: network_label(net, weight_decays[net]) for net in nets}
    targets = table.groupby("digit")["target"].first()
    order = [f"{d}→{targets[d]}" for d in sorted(table["digit"].unique())]
    data = table.assign(
        l2_unit=table["l2"] / 255,
        transition=[f"{d}→{t}" for d, t in zip(table["digit"], table["target"])],
        network=table["net"].map(labels),
    )
    fig, (ax_norm, ax_like) = plt.subplots(2, 1, figsize=(10.0, 7.6), sharex=True, constrained_layout=True)
    for ax, column, unit in ((ax_norm, "l2_unit", ".2f"), (ax_like, "target_likeness", ".3f")):
        sns.barplot(
            data,
            x="transition",
            y=column,
            hue="network",
            order=order,
            hue_order=[labels[net] for net in nets],
            palette=[_color(k) for k in range(len(nets))],
            saturation=1.0,
            errorbar=None,
            ax=ax,
        )
        for k, (net, bars) in enumerate(zip(nets, ax.containers)):
            rows = data[data["net"] == net].set_index("transition").reindex(order)
            for bar, capped in zip(bars, rows["capped"].fillna(False).astype(bool)):
                if capped:
                    bar.set_hatch("//")
                    bar.set_edgecolor("k")
            mean = float(np.nanmean(rows[column]))
            ax.axhline(mean, color=_color(k), ls="--", lw=1, label=f"mean {net}: {mean:{unit}}")
    ax_like.set_xlabel("source digit → target digit")
    ax_norm.set_xlabel("")
    ax_norm.set_ylabel("‖x′ − x‖₂ (pixel scale [0, 1])")
    ax_like.set_ylabel("target likeness\ncos(x′ − x, m_target − m_source)")
    ax_like.axhline(0, color="k", lw=0.8)
    title = "L2 norm of the adversarial perturbations"
    if table["capped"].astype(bool).any():
        title += " (hatched: iteration cap reached)"
    ax_norm.set_title(title)
    ax_like.set_title("Do the perturbations look like the target digit? (m: mean training image of a digit)")
    for ax in (ax_norm, ax_like):
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
