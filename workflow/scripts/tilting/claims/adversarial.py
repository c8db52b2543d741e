"""Claims of the article's LeNet adversarial examples: size and meaning of the perturbations.

Reads the lenet_adversarial table: per network and source digit, the L2 norm of the
perturbation x' - x and its target likeness (the cosine between x' - x and the difference
of the target digit's and the source digit's mean training images, tilting.likeness).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .lenet import LENET, networks
from .rows import Claim, check_table, distance, fmt, need, ratio, truthy

SUSCEPTIBLE = (
    "“We see that LeNet_high is less susceptible to adversarial examples than LeNet_low: the adversarial "
    "perturbations have higher L2 norms and are more meaningful for human observers.”"
)
ABOUT_THREE = SUSCEPTIBLE + " (the article's figure of the perturbations: L2 norms about 3 times larger in the mean)"


def _per_digit(adv, claim: Claim, criteria: Mapping, column: str):
    """(values per digit (rows) and network (columns low, high), None), or (None, a NOT RUN row)."""
    low, high = networks(criteria)
    if adv is None or adv.empty:
        return None, claim.not_run("LeNet stage not in this run")
    check_table("lenet_adversarial", adv)
    absent = [n for n in (low, high) if n not in set(adv["net"].astype(str))]
    if absent:
        return None, claim.not_run(f"network(s) {', '.join(absent)} not in this run")
    table = adv.assign(net=adv["net"].astype(str)).pivot_table(index="digit", columns="net", values=column)
    table = table[[low, high]].dropna()
    if table.empty:
        return None, claim.not_run("no digit has an adversarial example for both networks")
    return table, None


def _capped(adv: pd.DataFrame) -> dict[str, int]:
    if "capped" not in adv.columns:
        return {}
    return {str(net): int(truthy(group["capped"]).sum()) for net, group in adv.groupby("net")}


def _capped_note(capped: dict[str, int]) -> str:
    hit = {net: k for net, k in capped.items() if k}
    if not hit:
        return ""
    return "; iteration cap reached (L2 a lower bound): " + ", ".join(f"{net} {k}" for net, k in hit.items())


def per_digit_larger(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    share_needed = float(need(criteria, "adversarial_min_digit_share"))
    claim = Claim(
        "lenet_adversarial_per_digit",
        LENET,
        SUSCEPTIBLE + " (the article's figure: for each digit)",
        f"share of source digits with L2({high}) > L2({low}) >= {fmt(share_needed)}",
        share_needed,
    )
    l2, not_run = _per_digit(adv, claim, criteria, "l2")
    if not_run:
        return not_run
    larger = l2[high] > l2[low]
    share = float(larger.mean())
    not_larger = [str(d) for d in l2.index[~larger]]
    measured = f"larger for {int(larger.sum())}/{len(l2)} digits" + _capped_note(_capped(adv))
    if not_larger:
        measured += "; not for digit(s) " + ", ".join(not_larger)
    ratios = l2[high] / l2[low]
    margin = f"smallest per-digit ratio {high}/{low} (digit {ratios.idxmin()}) {distance(ratios.min(), 1.0, ratio)}"
    details = {str(d): {low: float(l2.loc[d, low]), high: float(l2.loc[d, high])} for d in l2.index}
    return claim.result(share >= share_needed, measured, share, margin, details)


def _mean_ratio(adv, criteria, claim: Claim, needed: float, strict: bool) -> dict:
    low, high = networks(criteria)
    l2, not_run = _per_digit(adv, claim, criteria, "l2")
    if not_run:
        return not_run
    mean = {net: float(l2[net].mean()) for net in (low, high)}
    value = mean[high] / mean[low] if mean[low] > 0 else np.inf
    measured = (
        f"mean L2 over {len(l2)} digits: {high} {mean[high]:.1f} vs {low} {mean[low]:.1f} grey levels "
        f"({mean[high] / 255:.2f} vs {mean[low] / 255:.2f} on [0, 1]); ratio {value:.2f}"
    ) + _capped_note(_capped(adv))
    margin = f"ratio {distance(value, needed, ratio)}"
    details = {"mean_l2": mean, "ratio": value, "median_l2": {net: float(l2[net].median()) for net in (low, high)}}
    return claim.result(value > needed if strict else value >= needed, measured, value, margin, details)


def mean_larger(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim(
        "lenet_adversarial_mean_larger",
        LENET,
        SUSCEPTIBLE,
        f"mean L2({high}) / mean L2({low}) over the source digits > 1",
        1.0,
    )
    return _mean_ratio(adv, criteria, claim, 1.0, strict=True)


def mean_about_three(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    needed = float(need(criteria, "adversarial_min_mean_ratio"))
    claim = Claim(
        "lenet_adversarial_mean_ratio",
        LENET,
        ABOUT_THREE,
        f"mean L2({high}) / mean L2({low}) over the source digits >= {fmt(needed)} (about 3 in the article)",
        needed,
    )
    return _mean_ratio(adv, criteria, claim, needed, strict=False)


def looks_like_target(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim(
        "lenet_adversarial_looks_like_target",
        LENET,
        SUSCEPTIBLE + " (the perturbations of LeNet_high look more like the target digit)",
        f"mean over the source digits of the target likeness cos(x' - x, mean target image - mean source image) "
        f"of {high} > that of {low}",
        0.0,
    )
    likeness, not_run = _per_digit(adv, claim, criteria, "target_likeness")
    if not_run:
        return not_run
    mean = {net: float(likeness[net].mean()) for net in (low, high)}
    diff = likeness[high] - likeness[low]
    value = mean[high] - mean[low]
    measured = (
        f"mean target likeness {high} {mean[high]:.3f} vs {low} {mean[low]:.3f}; "
        f"higher for {int((diff > 0).sum())}/{len(diff)} digits"
    )
    spread = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
    margin = (
        f"{high} - {low} = {value:+.3f} (per digit from {diff.min():+.3f} to {diff.max():+.3f}, "
        f"standard deviation {spread:.3f} over {len(diff)} digits)"
    )
    details = {
        "mean_likeness": mean,
        "difference": value,
        "per_digit": {str(d): {low: float(likeness.loc[d, low]), high: float(likeness.loc[d, high])} for d in likeness.index},
    }
    return claim.result(value > 0, measured, value, margin, details)
