"""Claims of the article's linear part: the d_adv identity and the SVMs on MNIST pairs.

Every claim reads the metrics table of the SVM stage (results/svm/metrics.csv), one row per
pair and lambda.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..svm_analysis import optimal_index
from .rows import (
    Claim,
    check_table,
    distance,
    fmt,
    lam_text,
    need,
    pct,
    points,
    share_margin,
    spearman,
    times_below,
    trend_violation,
)

SVM = "Adversarial examples in linear classification: SVM on MNIST"

IDENTITY = (
    "“If T_I and T_J are balanced (n = 2n_I = 2n_J): […] d_adv = ½ ‖j − i‖ cos(θ)” "
    "“On a given training set T where the distance between the two centroids ‖j − i‖ is fixed, "
    "d_adv depends only on the tilting angle θ.”"
)
CERTIFIED = (
    "(check of this workflow) “In practice, the value of ‖w‖ can be controlled by adding a regularization "
    "term to the empirical risk, yielding the regularized loss”: every model minimizes it"
)
CONFLICTING = (
    "“minimising the training error and maximizing the adversarial distance are conflicting goals: "
    "err_train is minimized when λ is small and d_adv is maximized when λ is large.”"
)
FALLS = CONFLICTING + (
    " “As λ decreases, the classification boundary improves its fit of the training data by tilting "
    "towards directions of low variance.”"
)
PARALLEL = (
    "“For high regularization levels, the model is parallel to the nearest centroid classifier and the "
    "adversarial distance is maximized.”"
)
INTERMEDIATE = (
    "“Note that the test error is minimized for an intermediate level of regularization λ_optimal. "
    "When λ < λ_optimal, the classifier is overfitted and when λ > λ_optimal, the classifier is underfitted.”"
)
POORLY_ADJUSTED = (
    "“the models defined by SVM are poorly adjusted when regularization is high, resulting in very high "
    "training and test errors (see for instance the classification of 1s vs 8s when λ = 10^7 in the next section).”"
)
NEAR_90 = (
    "“The model is sensitive to strong adversarial examples (‖x_m − x‖ → 0 and ‖y_m − y‖ → 0) when the "
    "tilting angle approaches π/2. This is a symptom of strong overfitting”"
)
HARD_VS_EASY = (
    "“whether it occurs or not depends on the difficulty to separate the two classes (compare for instance "
    "the classification of 7s versus 9s and the classification of 0s versus 1s).”"
)


def _per_pair(metrics: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each pair's models sorted by increasing lambda."""
    return {str(pair): group.sort_values("lam").reset_index(drop=True) for pair, group in metrics.groupby("pair")}


def _too_few_lambdas(metrics: pd.DataFrame, needed: int) -> str | None:
    """The reason a claim over lambda cannot be evaluated, or None."""
    fewest = int(metrics.groupby("pair")["lam"].nunique().min())
    if fewest < needed:
        return f"needs at least {needed} lambda values per pair, the run has {fewest}"
    return None


def _failing_pairs(per_pair: dict) -> list[str]:
    return sorted(p for p, d in per_pair.items() if not d["pass"])


def _listing(pairs: list[str]) -> str:
    return ", ".join(pairs[:10]) + (" ..." if len(pairs) > 10 else "")


def identity(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    tol = float(need(criteria, "identity_max_residual"))
    claim = Claim("svm_identity", SVM, IDENTITY, f"max relative residual over all models <= {fmt(tol)}", tol)
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    residual = metrics["identity_residual_rel"].astype(float)
    worst = metrics.loc[residual.idxmax()]
    value = float(residual.max())
    measured = f"max relative residual {fmt(value)} over {len(metrics)} models (worst: {worst['pair']}, lambda={lam_text(worst['lam'])})"
    details = {"models": len(metrics), "worst_pair": worst["pair"], "worst_lam": worst["lam"], "max_residual": value}
    return claim.result(value <= tol, measured, value, times_below(value, tol), details)


def certified(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    tol = float(need(criteria, "max_gap"))
    claim = Claim("svm_certified", SVM, CERTIFIED, f"max relative duality gap over all models <= {fmt(tol)}", tol)
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    gap = metrics["gap"].astype(float)
    worst = metrics.loc[gap.idxmax()]
    value = float(gap.max())
    measured = f"max gap {fmt(value)} over {len(metrics)} models (worst: {worst['pair']}, lambda={lam_text(worst['lam'])})"
    details = {"models": len(metrics), "worst_pair": worst["pair"], "worst_lam": worst["lam"], "max_gap": value}
    return claim.result(value <= tol, measured, value, times_below(value, tol), details)


def _rising_with_lambda(metrics, criteria, claim_id, statement, column, tolerance, relative, what):
    share_needed = float(need(criteria, "trend_min_pair_share"))
    tol_text = f"{fmt(tolerance)} x its range over lambda" if relative else fmt(tolerance)
    claim = Claim(
        claim_id,
        SVM,
        statement,
        f"per pair, over increasing lambda: no drop of {column} larger than {tol_text}, and {column} at the "
        f"largest lambda > at the smallest; share of pairs passing >= {fmt(share_needed)}",
        share_needed,
    )
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    reason = _too_few_lambdas(metrics, 2)
    if reason:
        return claim.not_run(reason)
    per_pair = {}
    for pair, group in _per_pair(metrics).items():
        values = group[column].to_numpy(float)
        drop = trend_violation(values)
        allowed = tolerance * (float(np.ptp(values)) if relative else 1.0)
        k = int(np.argmax(values[:-1] - values[1:])) if drop > 0 else -1
        per_pair[pair] = {
            "pass": bool(drop <= allowed and values[-1] > values[0]),
            "largest_drop": drop,
            "allowed_drop": allowed,
            "largest_drop_at_lambda": float(group["lam"].iloc[k]) if k >= 0 else None,
            "at_smallest_lambda": values[0],
            "at_largest_lambda": values[-1],
            "spearman": spearman(group["lam"], values),
        }
    failing = _failing_pairs(per_pair)
    passing = len(per_pair) - len(failing)
    share = passing / len(per_pair)
    measured = f"{what} in {passing}/{len(per_pair)} pairs ({100 * share:.0f} %)"
    if failing:
        measured += "; not in " + _listing(failing)
    margin = share_margin(passing, len(per_pair), share_needed)
    show = fmt if relative else points
    for pair in failing[:3]:
        d = per_pair[pair]
        margin += f"; {pair}: drop {show(d['largest_drop'])} vs {show(d['allowed_drop'])} allowed"
        if d["largest_drop_at_lambda"] is not None:
            margin += f" (after lambda = {lam_text(d['largest_drop_at_lambda'])})"
    return claim.result(share >= share_needed, measured, share, margin, per_pair)


def err_train_falls(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    return _rising_with_lambda(
        metrics,
        criteria,
        "svm_err_train_falls",
        FALLS,
        "err_train",
        float(need(criteria, "trend_tolerance")),
        False,
        "err_train falls with lambda",
    )


def dadv_rises(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    return _rising_with_lambda(
        metrics,
        criteria,
        "svm_dadv_rises",
        CONFLICTING,
        "d_adv",
        float(need(criteria, "dadv_trend_tolerance")),
        True,
        "d_adv rises with lambda",
    )


def theta_high_lambda(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    limit = float(need(criteria, "theta_high_lambda_max_deg"))
    claim = Claim(
        "svm_theta_high_lambda",
        SVM,
        PARALLEL,
        f"theta at the largest lambda of the run (10^7 in the article) <= {fmt(limit)} deg in every pair",
        limit,
    )
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    at_top = {pair: group.iloc[-1] for pair, group in _per_pair(metrics).items()}
    thetas = {pair: float(row["theta_deg"]) for pair, row in at_top.items()}
    worst = max(thetas, key=thetas.get)
    value = thetas[worst]
    measured = f"max theta {value:.2f} deg ({worst}) at lambda = {lam_text(float(at_top[worst]['lam']))}, over {len(thetas)} pairs"
    margin = f"largest theta {distance(value, limit, lambda x: f'{x:.2f} deg')}"
    details = {"theta_deg": thetas, "lambda": {p: float(r["lam"]) for p, r in at_top.items()}}
    return claim.result(value <= limit, measured, value, margin, details)


def test_error_intermediate(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    share_needed = float(need(criteria, "optimum_min_pair_share"))
    claim = Claim(
        "svm_test_error_intermediate",
        SVM,
        INTERMEDIATE,
        "per pair: lambda_optimal (the lambda of the lowest err_test, ties to the largest lambda) is neither the "
        f"smallest nor the largest lambda of the run; share of pairs passing >= {fmt(share_needed)}",
        share_needed,
    )
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    reason = _too_few_lambdas(metrics, 3)
    if reason:
        return claim.not_run(reason)
    per_pair = {}
    for pair, group in _per_pair(metrics).items():
        err, lam = group["err_test"].to_numpy(float), group["lam"].to_numpy(float)
        k = optimal_index(err, lam)
        per_pair[pair] = {
            "pass": 0 < k < len(lam) - 1,
            "lambda_optimal": float(lam[k]),
            "err_test_optimal": float(err[k]),
            "err_test_smallest_lambda": float(err[0]),
            "err_test_largest_lambda": float(err[-1]),
        }
    failing = _failing_pairs(per_pair)
    passing = len(per_pair) - len(failing)
    share = passing / len(per_pair)
    measured = f"interior optimum in {passing}/{len(per_pair)} pairs ({100 * share:.0f} %)"
    if failing:
        measured += "; not in " + ", ".join(
            f"{p} (lambda_optimal = {lam_text(per_pair[p]['lambda_optimal'])})" for p in failing[:10]
        )
    margin = share_margin(passing, len(per_pair), share_needed)
    return claim.result(share >= share_needed, measured, share, margin, per_pair)


def poorly_adjusted(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    pair = str(need(criteria, "poorly_adjusted_pair"))
    limit = float(need(criteria, "poorly_adjusted_min_error"))
    claim = Claim(
        "svm_poorly_adjusted",
        SVM,
        POORLY_ADJUSTED,
        f"{pair} at the largest lambda of the run: err_train >= {pct(limit)} and err_test >= {pct(limit)} (very high)",
        limit,
    )
    if metrics is None or metrics.empty:
        return claim.not_run("no SVM models in this run")
    check_table("svm_metrics", metrics)
    groups = _per_pair(metrics)
    if pair not in groups:
        return claim.not_run(f"pair {pair} is not in this run")
    top = groups[pair].iloc[-1]
    train, test = float(top["err_train"]), float(top["err_test"])
    value = min(train, test)
    measured = f"{pair} at lambda = {lam_text(float(top['lam']))}: err_train {pct(train)}, err_test {pct(test)}"
    margin = f"the lower of the two {distance(value, limit, pct, points)}"
    details = {"pair": pair, "lambda": float(top["lam"]), "err_train": train, "err_test": test}
    if "bias_unique" in top.index:
        details["bias_unique"] = bool(top["bias_unique"])
    return claim.result(value >= limit, measured, value, margin, details)


def _absent(metrics, pairs: list[str]) -> str | None:
    """The reason a claim about given pairs cannot be evaluated, or None."""
    if metrics is None or metrics.empty:
        return "no SVM models in this run"
    check_table("svm_metrics", metrics)
    absent = [p for p in pairs if p not in set(metrics["pair"].astype(str))]
    return f"pair(s) {', '.join(absent)} not in this run" if absent else None


def _at_smallest_lambda(metrics: pd.DataFrame, pair: str) -> pd.Series:
    return _per_pair(metrics[metrics["pair"].astype(str) == pair])[pair].iloc[0]


def hard_pair_near_90(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    hard = str(need(criteria, "hard_pair"))
    limit = float(need(criteria, "hard_pair_min_theta_deg"))
    claim = Claim(
        "svm_hard_pair_theta_near_90",
        SVM,
        NEAR_90,
        f"theta of the hard pair {hard} at the smallest lambda of the run (10^-1 in the article) >= {fmt(limit)} deg "
        "(approaches 90 deg)",
        limit,
    )
    reason = _absent(metrics, [hard])
    if reason:
        return claim.not_run(reason)
    low = _at_smallest_lambda(metrics, hard)
    value, lam = float(low["theta_deg"]), float(low["lam"])
    measured = f"theta {hard} {value:.1f} deg at lambda = {lam_text(lam)}"
    margin = distance(value, limit, lambda x: f"{x:.1f} deg")
    return claim.result(value >= limit, measured, value, margin, {"theta_deg": value, "lambda": lam})


def hard_vs_easy_theta(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    hard, easy = str(need(criteria, "hard_pair")), str(need(criteria, "easy_pair"))
    gap = float(need(criteria, "hard_easy_min_theta_difference_deg"))
    claim = Claim(
        "svm_hard_vs_easy_theta",
        SVM,
        HARD_VS_EASY,
        f"at the smallest lambda: theta({hard}) - theta({easy}) >= {fmt(gap)} deg (the easy pair tilts much less)",
        gap,
    )
    reason = _absent(metrics, [hard, easy])
    if reason:
        return claim.not_run(reason)
    low = {pair: _at_smallest_lambda(metrics, pair) for pair in (hard, easy)}
    thetas = {pair: float(row["theta_deg"]) for pair, row in low.items()}
    lams = {pair: float(row["lam"]) for pair, row in low.items()}
    value = thetas[hard] - thetas[easy]
    measured = (
        f"theta {hard} {thetas[hard]:.1f} deg vs {easy} {thetas[easy]:.1f} deg at lambda = {lam_text(lams[hard])} "
        f"(difference {value:.1f} deg)"
    )
    margin = f"difference {distance(value, gap, lambda x: f'{x:.1f} deg')}"
    details = {f"theta_deg_{hard}": thetas[hard], f"theta_deg_{easy}": thetas[easy], "lambda": lams}
    return claim.result(value >= gap, measured, value, margin, details)
