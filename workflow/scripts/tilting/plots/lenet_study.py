"""Figure of the weight-decay study (tilting.lenet_study): every measure against weight decay,
one point per seed, the seeds' mean as a line and their min-max range as a band."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..lenet import LAYERS
from ..lenet_study import ATTACKS

RATE_COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
LAYER_COLORS = dict(zip(LAYERS, ["tab:blue", "tab:orange", "tab:green", "tab:red"]))
RATE_STYLES = ["-", "--", ":", "-."]

PANELS = [
    ("l2_article", "article's attack: median L2\n(p_target ≥ 0.95, grey levels)"),
    ("l2_ddn_targeted", "DDN minimal L2 to the target\n(median, grey levels)"),
    ("l2_ddn_untargeted", "DDN minimal L2, untargeted\n(median, grey levels)"),
    ("test_error", "final test error (%)"),
    ("train_test_gap", "test − train error (%)"),
]


def decay_positions(decays) -> tuple[dict[float, float], list[float], list[str]]:
    """x position of each weight decay: log10, with 0 one decade left of the smallest positive."""
    decays = sorted(set(float(d) for d in decays))
    positive = [d for d in decays if d > 0]
    zero_at = (math.log10(min(positive)) - 1) if positive else 0.0
    position = {d: (math.log10(d) if d > 0 else zero_at) for d in decays}
    labels = [f"{d:g}" for d in decays]
    return position, [position[d] for d in decays], labels


def _seed_band(ax, table: pd.DataFrame, column: str, position: dict, color: str, style: str, label: str, scale=1.0):
    x = table["weight_decay"].map(position)
    ax.scatter(x, scale * table[column], s=12, color=color, alpha=0.6, zorder=3)
    stats = table.groupby("weight_decay")[column].agg(["mean", "min", "max"]).sort_index()
    xs = [position[d] for d in stats.index]
    ax.plot(xs, scale * stats["mean"], color=color, ls=style, lw=1.6, marker="o", ms=3, label=label)
    ax.fill_between(xs, scale * stats["min"], scale * stats["max"], color=color, alpha=0.15, lw=0)


def seed_count(seeds: pd.Series) -> str:
    low, high = int(seeds.min()), int(seeds.max())
    return f"{low} seed{'s' if low > 1 else ''}" if low == high else f"{low}-{high} seeds"


def study_figure(networks: pd.DataFrame, reference: float):
    """Perturbation L2 (both attacks), test error, train-test gap and weight RMS per layer
    against weight decay; colors: learning rates (layers in the RMS panel)."""
    position, ticks, tick_labels = decay_positions(networks["weight_decay"])
    rates = sorted(networks["learning_rate"].unique())
    fig, axes = plt.subplots(2, 3, figsize=(14.0, 8.0), constrained_layout=True)
    seeds = networks.groupby(["learning_rate", "weight_decay"]).size()
    for ax, (column, title) in zip(axes.flat, PANELS):
        scale = 100.0 if column in ("test_error", "train_test_gap") else 1.0
        for k, rate in enumerate(rates):
            rows = networks[networks["learning_rate"] == rate]
            _seed_band(ax, rows, column, position, RATE_COLORS[k % len(RATE_COLORS)], "-", f"learning rate {rate:g}", scale)
            if column in ATTACKS:
                ceiling = rows.loc[rows["weight_decay"] == reference, column].max()
                ax.axhline(ceiling, color=RATE_COLORS[k % len(RATE_COLORS)], ls=":", lw=1)
        ax.set_title(title, fontsize=10)
    rms_ax = axes.flat[5]
    for k, rate in enumerate(rates):
        rows = networks[networks["learning_rate"] == rate]
        for layer in LAYERS:
            label = layer if k == 0 else None
            _seed_band(rms_ax, rows, f"rms_{layer}", position, LAYER_COLORS[layer], RATE_STYLES[k % len(RATE_STYLES)], label)
    rms_ax.set_yscale("log")
    rms_ax.set_title("weight RMS per layer" + (" (line style: learning rate)" if len(rates) > 1 else ""), fontsize=10)
    rms_ax.legend(fontsize=8)
    for ax in axes.flat:
        ax.set_xticks(ticks, tick_labels, rotation=45, fontsize=8)
        ax.axvline(position[reference], color="0.5", ls="--", lw=1)
        ax.set_xlabel("weight decay λ")
        ax.grid(True, alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(
        f"LeNet on MNIST against weight decay: {networks['net'].nunique()} networks, "
        f"{seed_count(seeds)} per point (dots), mean (line), min–max over seeds (band); "
        f"dashed: reference λ = {reference:g}, dotted: its largest seed",
        fontsize=10,
    )
    return fig
