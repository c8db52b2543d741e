"""The claims table (SPEC section 6): one row per claim of the article, measured on the results.

Every claim is a pure function of the stage tables (pandas DataFrames, or ``None`` when the
stage is not part of the run) and of the criteria of ``config["claims"]``. It returns one row
(a dict with the keys of :data:`COLUMNS`):

- ``claim``: a stable id, e.g. ``svm_identity``;
- ``section``: the SPEC section / article part it belongs to;
- ``statement``: what the article says;
- ``measured``: the measured value(s) in words;
- ``value``: the headline number (NaN when not run);
- ``criterion``: the explicit test, with its numbers;
- ``threshold``: the criterion's number (NaN when it has none);
- ``status``: ``PASS``, ``FAIL`` or ``NOT RUN`` (a pair, network or stage absent from the run);
- ``details``: JSON with every number the decision used (per pair, per network, per digit).

A FAIL is a scientific result: it is reported, never raised. Only a malformed table
(a missing column) raises :class:`ClaimsError`.
"""

from __future__ import annotations

import html
import json
import math
from typing import Callable, Mapping

import numpy as np
import pandas as pd

PASS, FAIL, NOT_RUN = "PASS", "FAIL", "NOT RUN"
STATUSES = (PASS, FAIL, NOT_RUN)
COLUMNS = ["claim", "section", "statement", "measured", "value", "criterion", "threshold", "status", "details"]

#: Criteria used when config["claims"] omits a key (config.yaml states every one explicitly).
DEFAULT_CRITERIA: dict = {
    "identity_max_residual": 1.0e-9,
    "max_gap": 1.0e-6,
    "trend_tolerance": 0.005,
    "dadv_trend_tolerance": 0.01,
    "trend_min_pair_share": 1.0,
    "theta_high_lambda_max_deg": 5.0,
    "optimum_min_pair_share": 0.8,
    "hard_pair": "7v9",
    "easy_pair": "0v1",
    "hard_easy_min_theta_difference_deg": 15.0,
    "poorly_adjusted_pair": "1v8",
    "poorly_adjusted_min_error": 0.15,
    "toy_asymptote_max_error": 0.05,
    "lenet_low_network": "low",
    "lenet_high_network": "high",
    "lenet_reference_test_error": {"low": 0.016, "high": 0.012},
    "lenet_error_tolerance": 0.006,
    "lenet_train_test_tolerance": 0.005,
    "adversarial_min_median_ratio": 1.0,
    "adversarial_min_digit_share": 1.0,
}

#: Columns each table must have (the stage helpers' fixed names).
REQUIRED_COLUMNS = {
    "svm_metrics": ["pair", "alpha", "lam", "theta_deg", "d_adv", "err_train", "err_test", "identity_residual", "gap"],
    "toy_noisy_point": ["model", "regularization", "theta_deg", "fits_noisy_point"],
    "toy_loss_asymptotes": ["loss", "w_norm", "regime", "max_abs_error"],
    "toy_dadv_theta": ["theta_deg", "d_adv", "identity"],
    "lenet_history": ["net", "epoch", "train_error", "test_error"],
    "lenet_weights_rms": ["net", "layer", "rms"],
    "lenet_adversarial": ["net", "digit", "l2"],
}


class ClaimsError(ValueError):
    """A stage table that cannot be read as the claims expect (the message names it)."""


# ---- helpers ---------------------------------------------------------------------------


def criteria_with_defaults(criteria: Mapping | None) -> dict:
    merged = dict(DEFAULT_CRITERIA)
    merged.update(dict(criteria or {}))
    return merged


def check_table(name: str, table: pd.DataFrame | None) -> None:
    if table is None:
        return
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in table.columns]
    if missing:
        raise ClaimsError(f"table {name} lacks column(s) {missing}; it has {list(table.columns)}")


def _num(x) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return math.nan
    return value


def _clean(obj):
    """JSON-safe copy: numpy scalars to Python, NaN to None, floats rounded to 6 significant digits."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return None if not math.isfinite(value) else float(f"{value:.6g}")
    return obj


def _fmt(x: float, digits: int = 3) -> str:
    x = _num(x)
    if not math.isfinite(x):
        return "nan"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _pct(x: float) -> str:
    return f"{100 * _num(x):.2f} %"


def _row(claim, section, statement, measured, value, criterion, threshold, passed, details) -> dict:
    return {
        "claim": claim,
        "section": section,
        "statement": statement,
        "measured": measured,
        "value": _num(value),
        "criterion": criterion,
        "threshold": _num(threshold),
        "status": PASS if passed else FAIL,
        "details": json.dumps(_clean(details), sort_keys=True),
    }


def _not_run(claim, section, statement, criterion, threshold, reason) -> dict:
    return {
        "claim": claim,
        "section": section,
        "statement": statement,
        "measured": f"not run: {reason}",
        "value": math.nan,
        "criterion": criterion,
        "threshold": _num(threshold),
        "status": NOT_RUN,
        "details": json.dumps({"reason": reason}),
    }


def _per_pair(metrics: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each pair's models sorted by increasing lambda."""
    return {str(pair): group.sort_values("lam").reset_index(drop=True) for pair, group in metrics.groupby("pair")}


def trend_violation(values: np.ndarray) -> float:
    """Largest step DOWN of a sequence that should be non-decreasing (0 when it never drops)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return 0.0
    return float(max(0.0, np.max(values[:-1] - values[1:])))


def spearman(x, y) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either side is constant."""
    rx = pd.Series(np.asarray(x, float)).rank().to_numpy()
    ry = pd.Series(np.asarray(y, float)).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _lam_text(lam: float) -> str:
    return f"10^{math.log10(lam):.2f}" if lam > 0 else str(lam)


# ---- SVM (SPEC sections 3-4) -----------------------------------------------------------

SVM = "Linear SVM on MNIST (SPEC 3-4)"


def svm_identity(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    tol = float(c["identity_max_residual"])
    claim, statement = "svm_identity", "d_adv = 1/2 ||j - i|| cos(theta) holds for every model (balanced training set)"
    criterion = f"max relative residual over all models <= {_fmt(tol)}"
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, tol, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    residual = metrics["identity_residual"].astype(float)
    worst = metrics.loc[residual.idxmax()]
    value = float(residual.max())
    measured = f"max residual {_fmt(value)} over {len(metrics)} models (worst: {worst['pair']}, lambda={_lam_text(worst['lam'])})"
    return _row(
        claim,
        SVM,
        statement,
        measured,
        value,
        criterion,
        tol,
        value <= tol,
        {"models": len(metrics), "worst_pair": worst["pair"], "worst_lam": worst["lam"], "max_residual": value},
    )


def svm_certified(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    tol = float(c["max_gap"])
    claim, statement = "svm_certified", "every SVM model is an optimum of the article's objective (certified by a dual)"
    criterion = f"max relative duality gap over all models <= {_fmt(tol)}"
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, tol, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    gap = metrics["gap"].astype(float)
    worst = metrics.loc[gap.idxmax()]
    value = float(gap.max())
    measured = (
        f"max gap {_fmt(value)} over {len(metrics)} models (worst: {worst['pair']}, lambda={_lam_text(worst['lam'])})"
    )
    return _row(
        claim,
        SVM,
        statement,
        measured,
        value,
        criterion,
        tol,
        value <= tol,
        {"models": len(metrics), "worst_pair": worst["pair"], "worst_lam": worst["lam"], "max_gap": value},
    )


def _rising_with_lambda(metrics, criteria, column, tolerance, relative, claim, statement, what):
    c = criteria_with_defaults(criteria)
    share_needed = float(c["trend_min_pair_share"])
    tol_text = f"{_fmt(tolerance)} x its range over lambda" if relative else _fmt(tolerance)
    criterion = (
        f"per pair, over increasing lambda: no drop of {column} larger than {tol_text}, and {column} at the "
        f"largest lambda > at the smallest; share of pairs passing >= {_fmt(share_needed)}"
    )
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, share_needed, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    per_pair = {}
    for pair, group in _per_pair(metrics).items():
        values = group[column].to_numpy(float)
        drop = trend_violation(values)
        scale = float(np.ptp(values)) if relative else 1.0
        allowed = tolerance * scale
        ok = bool(len(values) >= 2 and drop <= allowed and values[-1] > values[0])
        per_pair[pair] = {
            "pass": ok,
            "largest_drop": drop,
            "at_smallest_lambda": values[0],
            "at_largest_lambda": values[-1],
            "spearman": spearman(group["lam"], values),
        }
    passing = [p for p, d in per_pair.items() if d["pass"]]
    share = len(passing) / len(per_pair)
    failing = sorted(set(per_pair) - set(passing))
    measured = f"{what} in {len(passing)}/{len(per_pair)} pairs ({100 * share:.0f} %)"
    if failing:
        measured += "; not in " + ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
    return _row(claim, SVM, statement, measured, share, criterion, share_needed, share >= share_needed, per_pair)


def svm_err_train_falls(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    return _rising_with_lambda(
        metrics,
        criteria,
        "err_train",
        float(c["trend_tolerance"]),
        False,
        "svm_err_train_falls",
        "err_train is minimized when lambda is small: it falls as lambda falls",
        "err_train falls with lambda",
    )


def svm_dadv_rises(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    return _rising_with_lambda(
        metrics,
        criteria,
        "d_adv",
        float(c["dadv_trend_tolerance"]),
        True,
        "svm_dadv_rises",
        "d_adv is maximized when lambda is large: it rises with lambda",
        "d_adv rises with lambda",
    )


def svm_theta_high_lambda(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    limit = float(c["theta_high_lambda_max_deg"])
    claim = "svm_theta_high_lambda"
    statement = (
        "for high regularization (lambda = 10^7) the model is parallel to the nearest centroid classifier: theta -> 0"
    )
    criterion = f"theta at the largest lambda of the run <= {_fmt(limit)} deg in every pair"
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, limit, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    at_top = {pair: group.iloc[-1] for pair, group in _per_pair(metrics).items()}
    thetas = {pair: float(row["theta_deg"]) for pair, row in at_top.items()}
    worst = max(thetas, key=thetas.get)
    lam = float(at_top[worst]["lam"])
    value = thetas[worst]
    measured = f"max theta {value:.2f} deg ({worst}) at lambda = {_lam_text(lam)}, over {len(thetas)} pairs"
    details = {"theta_deg": thetas, "lambda": {p: float(r["lam"]) for p, r in at_top.items()}}
    return _row(claim, SVM, statement, measured, value, criterion, limit, value <= limit, details)


def svm_test_error_intermediate(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    share_needed = float(c["optimum_min_pair_share"])
    claim = "svm_test_error_intermediate"
    statement = "the test error is minimized for an intermediate level of regularization lambda_optimal"
    criterion = (
        "per pair: the smallest err_test over the interior lambdas is strictly below err_test at both "
        f"the smallest and the largest lambda; share of pairs passing >= {_fmt(share_needed)}"
    )
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, share_needed, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    per_pair = {}
    for pair, group in _per_pair(metrics).items():
        err = group["err_test"].to_numpy(float)
        if len(err) < 3:
            per_pair[pair] = {"pass": False, "reason": "fewer than 3 lambda values"}
            continue
        interior = err[1:-1]
        k = int(np.argmin(interior)) + 1
        ok = bool(interior.min() < min(err[0], err[-1]))
        per_pair[pair] = {
            "pass": ok,
            "lambda_optimal": float(group["lam"].iloc[int(np.argmin(err))]),
            "best_interior_err_test": float(err[k]),
            "err_test_smallest_lambda": float(err[0]),
            "err_test_largest_lambda": float(err[-1]),
        }
    passing = [p for p, d in per_pair.items() if d["pass"]]
    share = len(passing) / len(per_pair)
    failing = sorted(set(per_pair) - set(passing))
    measured = f"interior optimum in {len(passing)}/{len(per_pair)} pairs ({100 * share:.0f} %)"
    if failing:
        measured += "; not in " + ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
    return _row(claim, SVM, statement, measured, share, criterion, share_needed, share >= share_needed, per_pair)


def svm_poorly_adjusted(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    pair = str(c["poorly_adjusted_pair"])
    limit = float(c["poorly_adjusted_min_error"])
    claim = "svm_poorly_adjusted"
    statement = f"at lambda = 10^7 the bias is poorly adjusted: {pair} has very high training and test errors"
    criterion = f"{pair} at the largest lambda: err_train >= {_pct(limit)} and err_test >= {_pct(limit)}"
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, limit, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    groups = _per_pair(metrics)
    if pair not in groups:
        return _not_run(claim, SVM, statement, criterion, limit, f"pair {pair} is not in this run")
    top = groups[pair].iloc[-1]
    train, test = float(top["err_train"]), float(top["err_test"])
    value = min(train, test)
    measured = f"{pair} at lambda = {_lam_text(float(top['lam']))}: err_train {_pct(train)}, err_test {_pct(test)}"
    details = {"pair": pair, "lambda": float(top["lam"]), "err_train": train, "err_test": test}
    if "bias_unique" in top.index:
        details["bias_unique"] = bool(top["bias_unique"])
    return _row(claim, SVM, statement, measured, value, criterion, limit, value >= limit, details)


def svm_hard_vs_easy_theta(metrics: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    hard, easy = str(c["hard_pair"]), str(c["easy_pair"])
    gap = float(c["hard_easy_min_theta_difference_deg"])
    claim = "svm_hard_vs_easy_theta"
    statement = f"at low lambda theta approaches pi/2 for a hard pair ({hard}) but much less for an easy one ({easy})"
    criterion = f"at the smallest lambda: theta({hard}) - theta({easy}) >= {_fmt(gap)} deg"
    if metrics is None or metrics.empty:
        return _not_run(claim, SVM, statement, criterion, gap, "no SVM models in this run")
    check_table("svm_metrics", metrics)
    groups = _per_pair(metrics)
    absent = [p for p in (hard, easy) if p not in groups]
    if absent:
        return _not_run(claim, SVM, statement, criterion, gap, f"pair(s) {', '.join(absent)} not in this run")
    low_hard, low_easy = groups[hard].iloc[0], groups[easy].iloc[0]
    t_hard, t_easy = float(low_hard["theta_deg"]), float(low_easy["theta_deg"])
    value = t_hard - t_easy
    measured = (
        f"theta {hard} {t_hard:.1f} deg vs {easy} {t_easy:.1f} deg at lambda = {_lam_text(float(low_hard['lam']))} "
        f"(difference {value:.1f} deg)"
    )
    details = {
        f"theta_deg_{hard}": t_hard,
        f"theta_deg_{easy}": t_easy,
        "lambda_hard": float(low_hard["lam"]),
        "lambda_easy": float(low_easy["lam"]),
    }
    return _row(claim, SVM, statement, measured, value, criterion, gap, value >= gap, details)


# ---- Toy problem (SPEC sections 1-3) ---------------------------------------------------

TOY = "Toy problem and loss scaling (SPEC 1-3)"


def _truthy(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "1.0"])


def _toy_split(noisy: pd.DataFrame):
    reg = noisy["regularization"].astype(str).str.lower()
    return noisy[reg == "low"], noisy[reg == "high"]


def toy_low_reg_tilts(noisy: pd.DataFrame | None, criteria: Mapping) -> dict:
    claim = "toy_low_reg_tilts"
    statement = "low regularization tilts the boundary to fit the noisy point (SVM and logistic regression)"
    criterion = "every low-regularization model classifies the noisy point as labelled, and tilts more than the same model with high regularization"
    if noisy is None or noisy.empty:
        return _not_run(claim, TOY, statement, criterion, math.nan, "toy stage not in this run")
    check_table("toy_noisy_point", noisy)
    low, high = _toy_split(noisy)
    if low.empty:
        return _not_run(claim, TOY, statement, criterion, math.nan, "no low-regularization model in the table")
    details, ok_all = {}, True
    for _, row in low.iterrows():
        model = str(row["model"])
        theta_high = high.loc[high["model"] == model, "theta_deg"]
        th_high = float(theta_high.iloc[0]) if len(theta_high) else math.nan
        fits = bool(_truthy(pd.Series([row["fits_noisy_point"]])).iloc[0])
        tilts_more = bool(math.isfinite(th_high) and float(row["theta_deg"]) > th_high)
        details[model] = {"fits_noisy_point": fits, "theta_deg_low": float(row["theta_deg"]), "theta_deg_high": th_high}
        ok_all &= fits and tilts_more
    fitted = sum(d["fits_noisy_point"] for d in details.values())
    measured = f"{fitted}/{len(details)} low-regularization models fit the point; theta low vs high: " + ", ".join(
        f"{m} {d['theta_deg_low']:.1f} vs {d['theta_deg_high']:.1f} deg" for m, d in details.items()
    )
    return _row(claim, TOY, statement, measured, fitted / len(details), criterion, math.nan, ok_all, details)


def toy_high_reg_resists(noisy: pd.DataFrame | None, criteria: Mapping) -> dict:
    claim = "toy_high_reg_resists"
    statement = (
        "high regularization does not fit the noisy point: the boundary stays close to the nearest centroid classifier"
    )
    criterion = "no high-regularization model classifies the noisy point as labelled"
    if noisy is None or noisy.empty:
        return _not_run(claim, TOY, statement, criterion, math.nan, "toy stage not in this run")
    check_table("toy_noisy_point", noisy)
    _, high = _toy_split(noisy)
    if high.empty:
        return _not_run(claim, TOY, statement, criterion, math.nan, "no high-regularization model in the table")
    fits = _truthy(high["fits_noisy_point"]).to_numpy()
    details = {
        str(m): {"fits_noisy_point": bool(f), "theta_deg": float(t)}
        for m, f, t in zip(high["model"], fits, high["theta_deg"])
    }
    measured = f"{int(fits.sum())}/{len(fits)} high-regularization models fit the point; theta " + ", ".join(
        f"{m} {d['theta_deg']:.1f} deg" for m, d in details.items()
    )
    return _row(claim, TOY, statement, measured, float(fits.mean()), criterion, 0.0, not fits.any(), details)


def _regime_limit(regime: str) -> str:
    """'large' when the regime describes ||w|| -> infinity, 'small' when ||w|| -> 0."""
    text = str(regime).lower()
    if any(key in text for key in ("large", "inf", "high", "big")):
        return "large"
    if any(key in text for key in ("small", "zero", "low", "0")):
        return "small"
    raise ClaimsError(f"toy_loss_asymptotes: regime {regime!r} is neither a large-||w|| nor a small-||w|| regime")


def toy_loss_asymptotes(asymptotes: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    limit = float(c["toy_asymptote_max_error"])
    claim = "toy_loss_asymptotes"
    statement = (
        "hinge and softplus approach ||w|| max(-y d, 0) as ||w|| -> infinity and alpha - beta ||w|| y d as ||w|| -> 0 "
        "(hinge alpha=1, beta=1; softplus alpha=ln 2, beta=1/2)"
    )
    criterion = (
        "per loss and regime: the error to the asymptote does not grow as ||w|| moves toward the limit, "
        f"and is <= {_fmt(limit)} at the most extreme ||w||"
    )
    if asymptotes is None or asymptotes.empty:
        return _not_run(claim, TOY, statement, criterion, limit, "toy stage not in this run")
    check_table("toy_loss_asymptotes", asymptotes)
    details, ok_all, worst = {}, True, 0.0
    for (loss, regime), group in asymptotes.groupby(["loss", "regime"]):
        toward_limit = group.sort_values("w_norm", ascending=_regime_limit(regime) == "large")
        errors = toward_limit["max_abs_error"].to_numpy(float)
        growth = trend_violation(-errors)  # largest increase of the error toward the limit
        extreme = float(errors[-1])
        ok = bool(growth <= 1e-12 + 1e-9 * float(np.max(np.abs(errors))) and extreme <= limit)
        details[f"{loss}/{regime}"] = {
            "pass": ok,
            "error_at_extreme_norm": extreme,
            "extreme_norm": float(toward_limit["w_norm"].iloc[-1]),
            "largest_growth": growth,
        }
        ok_all &= ok
        worst = max(worst, extreme)
    holding = sum(d["pass"] for d in details.values())
    measured = f"{holding}/{len(details)} loss/regime asymptotes hold; largest error at the extreme norm {_fmt(worst)}"
    return _row(claim, TOY, statement, measured, worst, criterion, limit, ok_all, details)


def toy_dadv_identity(dadv: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    tol = float(c["identity_max_residual"])
    claim = "toy_dadv_identity"
    statement = "in the toy problem d_adv = 1/2 ||j - i|| cos(theta): adversarial examples become arbitrarily strong as theta -> pi/2"
    criterion = f"max |d_adv - identity| / max |identity| <= {_fmt(tol)}, and d_adv decreases as theta grows"
    if dadv is None or dadv.empty:
        return _not_run(claim, TOY, statement, criterion, tol, "toy stage not in this run")
    check_table("toy_dadv_theta", dadv)
    ordered = dadv.sort_values("theta_deg")
    d = ordered["d_adv"].to_numpy(float)
    if ordered["identity"].dtype == bool:
        residual = 0.0 if bool(ordered["identity"].all()) else math.inf
    else:
        ident = ordered["identity"].to_numpy(float)
        residual = float(np.max(np.abs(d - ident)) / max(float(np.max(np.abs(ident))), 1e-300))
    increase = trend_violation(-d)  # largest increase of d_adv as theta grows
    decreasing = increase <= 1e-9 * max(float(np.max(np.abs(d))), 1e-300)
    measured = (
        f"relative residual {_fmt(residual)} over {len(d)} angles; d_adv from {_fmt(d[0])} at "
        f"{ordered['theta_deg'].iloc[0]:.1f} deg to {_fmt(d[-1])} at {ordered['theta_deg'].iloc[-1]:.1f} deg"
    )
    details = {
        "max_relative_residual": residual,
        "d_adv_first": d[0],
        "d_adv_last": d[-1],
        "largest_increase": increase,
    }
    return _row(claim, TOY, statement, measured, residual, criterion, tol, residual <= tol and decreasing, details)


# ---- LeNet (SPEC section 5) ------------------------------------------------------------

LENET = "LeNet on MNIST (SPEC 5)"


def _final_epochs(history: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(net): group.sort_values("epoch").iloc[-1] for net, group in history.groupby("net")}


def lenet_final_test_error(history: pd.DataFrame | None, criteria: Mapping, network: str) -> dict:
    c = criteria_with_defaults(criteria)
    tol = float(c["lenet_error_tolerance"])
    reference = dict(c["lenet_reference_test_error"])
    claim = f"lenet_final_test_error_{network}"
    ref = _num(reference.get(network))
    statement = f"LeNet_{network} reaches a final test error of {_pct(ref)}"
    criterion = f"|final test error - {_pct(ref)}| <= {_pct(tol)}"
    if history is None or history.empty:
        return _not_run(claim, LENET, statement, criterion, tol, "LeNet stage not in this run")
    check_table("lenet_history", history)
    final = _final_epochs(history)
    if network not in final:
        return _not_run(claim, LENET, statement, criterion, tol, f"network {network} is not in this run")
    test = float(final[network]["test_error"])
    diff = abs(test - ref)
    measured = f"final test error {_pct(test)} after {int(final[network]['epoch'])} epochs (reference {_pct(ref)})"
    details = {"final_test_error": test, "reference": ref, "epochs": int(final[network]["epoch"]), "difference": diff}
    return _row(claim, LENET, statement, measured, test, criterion, tol, diff <= tol, details)


def lenet_high_better(history: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    claim = "lenet_high_better"
    statement = f"LeNet_{high} performs slightly better than LeNet_{low} (final test error 1.2 % vs 1.6 %)"
    criterion = f"final test error of {high} < that of {low}"
    if history is None or history.empty:
        return _not_run(claim, LENET, statement, criterion, math.nan, "LeNet stage not in this run")
    check_table("lenet_history", history)
    final = _final_epochs(history)
    absent = [n for n in (low, high) if n not in final]
    if absent:
        return _not_run(claim, LENET, statement, criterion, math.nan, f"network(s) {', '.join(absent)} not in this run")
    t_low, t_high = float(final[low]["test_error"]), float(final[high]["test_error"])
    measured = f"final test error {high} {_pct(t_high)} vs {low} {_pct(t_low)}"
    return _row(
        claim, LENET, statement, measured, t_high - t_low, criterion, 0.0, t_high < t_low, {low: t_low, high: t_high}
    )


def lenet_high_train_equals_test(history: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    tol = float(c["lenet_train_test_tolerance"])
    claim = "lenet_high_train_equals_test"
    statement = (
        f"LeNet_{high} is less overfitted: its train and test errors are approximately equal at the end of training"
    )
    criterion = f"final |train error - test error| of {high} <= {_pct(tol)}"
    if history is None or history.empty:
        return _not_run(claim, LENET, statement, criterion, tol, "LeNet stage not in this run")
    check_table("lenet_history", history)
    final = _final_epochs(history)
    if high not in final:
        return _not_run(claim, LENET, statement, criterion, tol, f"network {high} is not in this run")
    gaps = {net: float(row["test_error"] - row["train_error"]) for net, row in final.items()}
    gap = abs(gaps[high])
    row = final[high]
    measured = f"{high}: train {_pct(row['train_error'])}, test {_pct(row['test_error'])} (|gap| {_pct(gap)})"
    if low in gaps:
        measured += f"; {low}: gap {_pct(gaps[low])}"
    return _row(claim, LENET, statement, measured, gap, criterion, tol, gap <= tol, {"test_minus_train": gaps})


def lenet_weight_rms(rms: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    claim = "lenet_weight_rms"
    statement = f"the weights of LeNet_{high} have a much lower RMS than those of LeNet_{low}, in every layer"
    criterion = f"RMS({high}) < RMS({low}) in every layer"
    if rms is None or rms.empty:
        return _not_run(claim, LENET, statement, criterion, 1.0, "LeNet stage not in this run")
    check_table("lenet_weights_rms", rms)
    nets = set(rms["net"].astype(str))
    absent = [n for n in (low, high) if n not in nets]
    if absent:
        return _not_run(claim, LENET, statement, criterion, 1.0, f"network(s) {', '.join(absent)} not in this run")
    layers = list(dict.fromkeys(rms["layer"].astype(str)))  # order of appearance = depth
    table = rms.assign(net=rms["net"].astype(str), layer=rms["layer"].astype(str)).pivot_table(
        index="layer", columns="net", values="rms"
    )
    ratios = {layer: float(table.loc[layer, low] / table.loc[layer, high]) for layer in layers}
    lower = [layer for layer in layers if table.loc[layer, high] < table.loc[layer, low]]
    smallest = min(ratios.values())
    measured = f"lower in {len(lower)}/{len(layers)} layers; RMS ratio {low}/{high}: " + ", ".join(
        f"{k} {v:.3g}" for k, v in ratios.items()
    )
    details = {
        "ratio_low_over_high": ratios,
        "rms": {layer: {low: table.loc[layer, low], high: table.loc[layer, high]} for layer in layers},
    }
    return _row(claim, LENET, statement, measured, smallest, criterion, 1.0, len(lower) == len(layers), details)


def lenet_weight_rms_depth(rms: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    claim = "lenet_weight_rms_depth"
    statement = "the RMS is reduced by the largest factors in the deepest layers"
    criterion = f"the largest RMS ratio {low}/{high} is in the deeper half of the layers (table order)"
    if rms is None or rms.empty:
        return _not_run(claim, LENET, statement, criterion, math.nan, "LeNet stage not in this run")
    check_table("lenet_weights_rms", rms)
    nets = set(rms["net"].astype(str))
    absent = [n for n in (low, high) if n not in nets]
    if absent:
        return _not_run(claim, LENET, statement, criterion, math.nan, f"network(s) {', '.join(absent)} not in this run")
    layers = list(dict.fromkeys(rms["layer"].astype(str)))
    table = rms.assign(net=rms["net"].astype(str), layer=rms["layer"].astype(str)).pivot_table(
        index="layer", columns="net", values="rms"
    )
    ratios = [float(table.loc[layer, low] / table.loc[layer, high]) for layer in layers]
    k = int(np.argmax(ratios))
    deeper = k >= len(layers) / 2
    measured = f"largest ratio {ratios[k]:.3g} in {layers[k]} (layer {k + 1} of {len(layers)})"
    return _row(
        claim,
        LENET,
        statement,
        measured,
        k + 1,
        criterion,
        math.nan,
        deeper and len(layers) > 1,
        {"ratio_low_over_high": dict(zip(layers, ratios))},
    )


def _adversarial_l2(adv: pd.DataFrame, low: str, high: str):
    table = adv.assign(net=adv["net"].astype(str)).pivot_table(
        index="digit", columns="net", values="l2", aggfunc="median"
    )
    return table[low], table[high]


def lenet_adversarial_median(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    ratio_needed = float(c["adversarial_min_median_ratio"])
    claim = "lenet_adversarial_median"
    statement = f"the adversarial perturbations of LeNet_{high} have higher L2 norms than those of LeNet_{low} (about 3x in the article's figure)"
    criterion = f"median L2({high}) / median L2({low}) > {_fmt(ratio_needed)}"
    if adv is None or adv.empty:
        return _not_run(claim, LENET, statement, criterion, ratio_needed, "LeNet stage not in this run")
    check_table("lenet_adversarial", adv)
    nets = set(adv["net"].astype(str))
    absent = [n for n in (low, high) if n not in nets]
    if absent:
        return _not_run(
            claim, LENET, statement, criterion, ratio_needed, f"network(s) {', '.join(absent)} not in this run"
        )
    l2 = {net: adv.loc[adv["net"].astype(str) == net, "l2"].astype(float) for net in (low, high)}
    med = {net: float(values.median()) for net, values in l2.items()}
    ratio = med[high] / med[low] if med[low] > 0 else math.inf
    measured = f"median L2 {high} {med[high]:.1f} vs {low} {med[low]:.1f} grey levels ({med[high] / 255:.2f} vs {med[low] / 255:.2f} on [0, 1]); ratio {ratio:.2f}"
    details = {"median_l2": med, "ratio": ratio}
    if "capped" in adv.columns:
        details["capped"] = {
            net: int(_truthy(adv.loc[adv["net"].astype(str) == net, "capped"]).sum()) for net in (low, high)
        }
    return _row(claim, LENET, statement, measured, ratio, criterion, ratio_needed, ratio > ratio_needed, details)


def lenet_adversarial_per_digit(adv: pd.DataFrame | None, criteria: Mapping) -> dict:
    c = criteria_with_defaults(criteria)
    low, high = str(c["lenet_low_network"]), str(c["lenet_high_network"])
    share_needed = float(c["adversarial_min_digit_share"])
    claim = "lenet_adversarial_per_digit"
    statement = (
        f"for each digit, the adversarial perturbation of LeNet_{high} has a larger L2 norm than that of LeNet_{low}"
    )
    criterion = f"share of digits with L2({high}) > L2({low}) >= {_fmt(share_needed)}"
    if adv is None or adv.empty:
        return _not_run(claim, LENET, statement, criterion, share_needed, "LeNet stage not in this run")
    check_table("lenet_adversarial", adv)
    nets = set(adv["net"].astype(str))
    absent = [n for n in (low, high) if n not in nets]
    if absent:
        return _not_run(
            claim, LENET, statement, criterion, share_needed, f"network(s) {', '.join(absent)} not in this run"
        )
    l2_low, l2_high = _adversarial_l2(adv, low, high)
    both = l2_low.notna() & l2_high.notna()
    larger = (l2_high > l2_low) & both
    share = float(larger.sum() / both.sum()) if both.any() else 0.0
    not_larger = [str(d) for d in l2_low.index[both & ~larger]]
    measured = f"larger for {int(larger.sum())}/{int(both.sum())} digits"
    if not_larger:
        measured += "; not for digit(s) " + ", ".join(not_larger)
    details = {str(d): {low: float(l2_low[d]), high: float(l2_high[d])} for d in l2_low.index[both]}
    return _row(
        claim, LENET, statement, measured, share, criterion, share_needed, both.any() and share >= share_needed, details
    )


# ---- the table ---------------------------------------------------------------------------

#: claim id -> (table name it reads, function), in the article's order: toy, SVM, LeNet.
#: The final-test-error claims (one per network of ``lenet_reference_test_error``) open the LeNet part.
CLAIMS: dict[str, tuple[str, Callable]] = {
    "toy_low_reg_tilts": ("toy_noisy_point", toy_low_reg_tilts),
    "toy_high_reg_resists": ("toy_noisy_point", toy_high_reg_resists),
    "toy_loss_asymptotes": ("toy_loss_asymptotes", toy_loss_asymptotes),
    "toy_dadv_identity": ("toy_dadv_theta", toy_dadv_identity),
    "svm_identity": ("svm_metrics", svm_identity),
    "svm_certified": ("svm_metrics", svm_certified),
    "svm_err_train_falls": ("svm_metrics", svm_err_train_falls),
    "svm_dadv_rises": ("svm_metrics", svm_dadv_rises),
    "svm_theta_high_lambda": ("svm_metrics", svm_theta_high_lambda),
    "svm_test_error_intermediate": ("svm_metrics", svm_test_error_intermediate),
    "svm_poorly_adjusted": ("svm_metrics", svm_poorly_adjusted),
    "svm_hard_vs_easy_theta": ("svm_metrics", svm_hard_vs_easy_theta),
    "lenet_high_better": ("lenet_history", lenet_high_better),
    "lenet_high_train_equals_test": ("lenet_history", lenet_high_train_equals_test),
    "lenet_weight_rms": ("lenet_weights_rms", lenet_weight_rms),
    "lenet_weight_rms_depth": ("lenet_weights_rms", lenet_weight_rms_depth),
    "lenet_adversarial_median": ("lenet_adversarial", lenet_adversarial_median),
    "lenet_adversarial_per_digit": ("lenet_adversarial", lenet_adversarial_per_digit),
}


def evaluate(tables: Mapping[str, pd.DataFrame | None], criteria: Mapping | None = None) -> pd.DataFrame:
    """Every claim on ``tables`` (name -> DataFrame, or None/absent for a stage not run)."""
    c = criteria_with_defaults(criteria)
    for name, table in tables.items():
        if name not in REQUIRED_COLUMNS:
            raise ClaimsError(f"unknown table {name!r}; expected one of {sorted(REQUIRED_COLUMNS)}")
        check_table(name, table)
    rows = []
    for claim, (table_name, function) in CLAIMS.items():
        if claim == "lenet_high_better":
            for network in c["lenet_reference_test_error"]:
                rows.append(lenet_final_test_error(tables.get("lenet_history"), c, str(network)))
        rows.append(function(tables.get(table_name), c))
    return pd.DataFrame(rows, columns=COLUMNS)


# ---- renderings --------------------------------------------------------------------------


def summary(claims: pd.DataFrame) -> str:
    counts = claims["status"].value_counts()
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def to_markdown(claims: pd.DataFrame) -> str:
    """The claims table as GitHub Markdown (for the README)."""

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    marks = {PASS: "**PASS**", FAIL: "**FAIL**", NOT_RUN: "not run"}
    lines = [
        "| Claim | Article | Measured | Criterion | Result |",
        "|---|---|---|---|---|",
    ]
    for _, row in claims.iterrows():
        lines.append(
            f"| `{cell(row['claim'])}` | {cell(row['statement'])} | {cell(row['measured'])} | "
            f"{cell(row['criterion'])} | {marks.get(row['status'], row['status'])} |"
        )
    lines.append("")
    lines.append(f"Summary: {summary(claims)}.")
    return "\n".join(lines) + "\n"


_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.status { font-weight: bold; text-align: center; white-space: nowrap; }
tr.PASS td.status { background: #d7f5d7; color: #14591a; }
tr.FAIL td.status { background: #fbd9d9; color: #8a1111; }
tr.NOT-RUN td.status { background: #eeeeee; color: #666; }
tr.section th { background: #dde6f3; }
details pre { white-space: pre-wrap; font-size: 0.85em; max-width: 40em; }
"""


def to_html(claims: pd.DataFrame, title: str = "Claims of the article, measured") -> str:
    """A self-contained HTML page of the claims table (embedded in the Snakemake report)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_HTML_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p id="summary">{esc(summary(claims))}. A FAIL is a scientific result of this run, not an error; '
        "NOT RUN means the pair, network or stage is not part of this configuration.</p>",
        "<table><thead><tr><th>Claim</th><th>Article</th><th>Measured</th><th>Criterion</th>"
        "<th>Result</th><th>Details</th></tr></thead><tbody>",
    ]
    section = None
    for _, row in claims.iterrows():
        if row["section"] != section:
            section = row["section"]
            parts.append(f'<tr class="section"><th colspan="6">{esc(str(section))}</th></tr>')
        try:
            details = json.dumps(json.loads(row["details"]), indent=1, sort_keys=True)
        except (TypeError, ValueError):
            details = str(row["details"])
        css = str(row["status"]).replace(" ", "-")
        parts.append(
            f'<tr class="{esc(css)}" id="{esc(str(row["claim"]))}">'
            f"<td><code>{esc(str(row['claim']))}</code></td>"
            f"<td>{esc(str(row['statement']))}</td>"
            f"<td>{esc(str(row['measured']))}</td>"
            f"<td>{esc(str(row['criterion']))}</td>"
            f'<td class="status">{esc(str(row["status"]))}</td>'
            f"<td><details><summary>numbers</summary><pre>{esc(details)}</pre></details></td></tr>"
        )
    parts.append("</tbody></table></body></html>")
    return "\n".join(parts) + "\n"
