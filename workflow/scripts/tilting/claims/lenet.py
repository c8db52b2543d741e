"""Claims of the article's LeNet example: final errors, overfitting, weight RMS.

The networks are the entries of lenet.networks named by the criteria lenet_low_network and
lenet_high_network. Error rates are compared with their sampling error on the test images
(the lenet_summary table gives their number).
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from . import sampling
from .rows import Claim, check_table, distance, fmt, need, pct, points, ratio, signed_points

LENET = "Adversarial examples in neural networks: LeNet on MNIST"

BETTER = (
    "“[LeNet_high] performs slightly better than LeNet_low (final test error of 1.2% versus 1.6%).”"
)
LESS_OVERFITTED = (
    "“We see that LeNet_high is less overfitted (the train and test errors are approximately equal at the "
    "end of the training)”"
)
MUCH_LOWER_RMS = "“As expected, the weights learnt with a higher weight decay have a much lower RMS.”"
DEEPEST = MUCH_LOWER_RMS + " (the article's per-layer RMS figure: the largest reductions in the deepest layers)"


def networks(criteria: Mapping) -> tuple[str, str]:
    """The names of LeNet_low and LeNet_high in lenet.networks."""
    return str(need(criteria, "lenet_low_network")), str(need(criteria, "lenet_high_network"))


def _final_epochs(history: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(net): group.sort_values("epoch").iloc[-1] for net, group in history.groupby("net")}


def _test_images(summary: pd.DataFrame | None) -> dict[str, int]:
    """Network -> number of test images its errors were measured on (empty when unknown)."""
    if summary is None:
        return {}
    check_table("lenet_summary", summary)
    return {str(net): int(n) for net, n in zip(summary["net"], summary["test_images"])}


def _difference_margin(summary, low: str, high: str, tests: dict[str, float], diff: float):
    """(words, 95 % half-width, test images) for a difference between the two networks whose
    sampling error is that of their test errors ``tests``."""
    n_test = _test_images(summary)
    n = min(n_test[low], n_test[high]) if low in n_test and high in n_test else None
    halfwidth = sampling.difference_halfwidth(tests[high], n, tests[low], n) if n else math.nan
    return f"{high} - {low} = {signed_points(diff)}, " + sampling.compare(diff, halfwidth, n), halfwidth, n


def _finals(history, claim: Claim, nets: list[str]):
    """(final epoch per network, None), or (None, a NOT RUN row)."""
    if history is None or history.empty:
        return None, claim.not_run("LeNet stage not in this run")
    check_table("lenet_history", history)
    final = _final_epochs(history)
    absent = [n for n in nets if n not in final]
    if absent:
        return None, claim.not_run(f"network(s) {', '.join(absent)} not in this run")
    return final, None


def final_test_errors(history: pd.DataFrame | None, summary: pd.DataFrame | None, criteria: Mapping) -> list[dict]:
    """One row per network of lenet_reference_test_error."""
    tol = float(need(criteria, "lenet_error_tolerance"))
    n_test = _test_images(summary)
    rows = []
    for network, reference in dict(need(criteria, "lenet_reference_test_error")).items():
        network, reference = str(network), float(reference)
        claim = Claim(
            f"lenet_final_test_error_{network}",
            LENET,
            BETTER,
            f"final test error of {network} within ±{points(tol)} of the article's {pct(reference)}",
            tol,
        )
        final, not_run = _finals(history, claim, [network])
        if not_run:
            rows.append(not_run)
            continue
        test = float(final[network]["test_error"])
        diff = test - reference
        n = n_test.get(network)
        margin = f"|{pct(test)} - {pct(reference)}| = {distance(abs(diff), tol, points)}"
        if n:
            margin += f"; 95 % sampling error of the measured error ±{points(sampling.binomial_halfwidth(test, n))} ({n:,} test images)"
        measured = f"final test error {pct(test)} after {int(final[network]['epoch'])} epochs (article {pct(reference)})"
        details = {"final_test_error": test, "reference": reference, "difference": diff, "test_images": n}
        rows.append(claim.result(abs(diff) <= tol, measured, test, margin, details))
    return rows


def high_better(history: pd.DataFrame | None, summary: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim("lenet_high_better", LENET, BETTER, f"final test error of {high} < that of {low}", 0.0)
    final, not_run = _finals(history, claim, [low, high])
    if not_run:
        return not_run
    t_low, t_high = float(final[low]["test_error"]), float(final[high]["test_error"])
    diff = t_high - t_low
    margin, halfwidth, n = _difference_margin(summary, low, high, {low: t_low, high: t_high}, diff)
    measured = f"final test error {high} {pct(t_high)} vs {low} {pct(t_low)}"
    details = {low: t_low, high: t_high, "difference": diff, "sampling_halfwidth_95": halfwidth, "test_images": n}
    return claim.result(t_high < t_low, measured, diff, margin, details)


def high_train_equals_test(history: pd.DataFrame | None, summary: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    tol = float(need(criteria, "lenet_train_test_tolerance"))
    claim = Claim(
        "lenet_high_train_equals_test",
        LENET,
        LESS_OVERFITTED,
        f"final |train error - test error| of {high} <= {points(tol)} (approximately equal)",
        tol,
    )
    final, not_run = _finals(history, claim, [high])
    if not_run:
        return not_run
    row = final[high]
    gap = abs(float(row["test_error"] - row["train_error"]))
    measured = f"{high}: train {pct(row['train_error'])}, test {pct(row['test_error'])} (|gap| {points(gap)})"
    margin = f"|gap| {distance(gap, tol, points)}"
    n = _test_images(summary).get(high)
    if n:
        margin += f"; 95 % sampling error of the test error ±{points(sampling.binomial_halfwidth(float(row['test_error']), n))}"
    return claim.result(gap <= tol, measured, gap, margin, {"abs_gap": gap, "test_images": n})


def high_less_overfitted(history: pd.DataFrame | None, summary: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim(
        "lenet_high_less_overfitted",
        LENET,
        LESS_OVERFITTED,
        f"final test error - train error of {high} < that of {low}",
        0.0,
    )
    final, not_run = _finals(history, claim, [low, high])
    if not_run:
        return not_run
    gaps = {net: float(final[net]["test_error"] - final[net]["train_error"]) for net in (low, high)}
    diff = gaps[high] - gaps[low]
    tests = {net: float(final[net]["test_error"]) for net in (low, high)}
    margin, halfwidth, n = _difference_margin(summary, low, high, tests, diff)
    measured = f"test - train: {high} {points(gaps[high])}, {low} {points(gaps[low])}"
    details = {"test_minus_train": gaps, "difference": diff, "sampling_halfwidth_95": halfwidth, "test_images": n}
    return claim.result(diff < 0, measured, diff, margin, details)


def _rms_ratios(rms, claim: Claim, criteria: Mapping):
    """(layers in depth order, RMS low/high per layer, None), or (None, None, a NOT RUN row)."""
    low, high = networks(criteria)
    if rms is None or rms.empty:
        return None, None, claim.not_run("LeNet stage not in this run")
    check_table("lenet_weights_rms", rms)
    absent = [n for n in (low, high) if n not in set(rms["net"].astype(str))]
    if absent:
        return None, None, claim.not_run(f"network(s) {', '.join(absent)} not in this run")
    layers = list(dict.fromkeys(rms["layer"].astype(str)))  # order of appearance = depth
    table = rms.assign(net=rms["net"].astype(str), layer=rms["layer"].astype(str)).pivot_table(
        index="layer", columns="net", values="rms"
    )
    return layers, {layer: float(table.loc[layer, low] / table.loc[layer, high]) for layer in layers}, None


def _ratio_text(ratios: dict[str, float]) -> str:
    return ", ".join(f"{layer} {value:.3g}" for layer, value in ratios.items())


def weight_rms_lower(rms: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim("lenet_weight_rms", LENET, MUCH_LOWER_RMS, f"RMS({high}) < RMS({low}) in every layer", 1.0)
    layers, ratios, not_run = _rms_ratios(rms, claim, criteria)
    if not_run:
        return not_run
    lower = [layer for layer in layers if ratios[layer] > 1]
    smallest = min(ratios, key=ratios.get)
    measured = f"lower in {len(lower)}/{len(layers)} layers; RMS ratio {low}/{high}: {_ratio_text(ratios)}"
    margin = f"smallest ratio ({smallest}) {distance(ratios[smallest], 1.0, ratio)}"
    details = {"ratio_low_over_high": ratios}
    return claim.result(len(lower) == len(layers), measured, ratios[smallest], margin, details)


def weight_rms_much_lower(rms: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    needed = float(need(criteria, "weight_rms_min_ratio"))
    claim = Claim(
        "lenet_weight_rms_much_lower",
        LENET,
        MUCH_LOWER_RMS,
        f"RMS({low}) / RMS({high}) >= {fmt(needed)} in every layer (much lower)",
        needed,
    )
    layers, ratios, not_run = _rms_ratios(rms, claim, criteria)
    if not_run:
        return not_run
    short = [layer for layer in layers if ratios[layer] < needed]
    smallest = min(ratios, key=ratios.get)
    measured = f"ratio >= {fmt(needed)} in {len(layers) - len(short)}/{len(layers)} layers: {_ratio_text(ratios)}"
    margin = f"smallest ratio ({smallest}) {distance(ratios[smallest], needed, ratio)}"
    if short:
        margin += "; short in " + ", ".join(short)
    return claim.result(not short, measured, ratios[smallest], margin, {"ratio_low_over_high": ratios})


def weight_rms_depth(rms: pd.DataFrame | None, criteria: Mapping) -> dict:
    low, high = networks(criteria)
    claim = Claim(
        "lenet_weight_rms_depth",
        LENET,
        DEEPEST,
        f"every layer of the deeper half has a larger RMS ratio {low}/{high} than every layer of the shallower half",
    )
    layers, ratios, not_run = _rms_ratios(rms, claim, criteria)
    if not_run:
        return not_run
    if len(layers) < 2:
        return claim.not_run("needs at least 2 layers")
    half = len(layers) // 2
    shallow, deep = layers[:half], layers[half:]
    weakest_deep = min(deep, key=ratios.get)
    strongest_shallow = max(shallow, key=ratios.get)
    value = ratios[weakest_deep] / ratios[strongest_shallow]
    measured = f"RMS ratio {low}/{high}: {_ratio_text(ratios)}"
    margin = (
        f"smallest deeper ratio ({weakest_deep} {ratios[weakest_deep]:.3g}) / largest shallower ratio "
        f"({strongest_shallow} {ratios[strongest_shallow]:.3g}) = {distance(value, 1.0, ratio)}"
    )
    details = {"ratio_low_over_high": ratios, "deeper_half": deep, "shallower_half": shallow}
    return claim.result(value > 1, measured, value, margin, details)
