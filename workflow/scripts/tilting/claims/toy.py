"""Claims of the article's toy problem and of its section on scaling the loss function."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from .rows import Claim, ClaimsError, check_table, fmt, need, times_below, trend_violation, truthy

TOY = "A toy problem; scaling the loss function"

LOW_REG_TILTS = (
    "“Our working hypothesis is that the classification boundary defined by standard linear learning "
    "algorithms tilts by overfitting noisy data points in the training set.” "
    "“If we train an SVM or a logistic regression model on this training set, we observe two possible behaviours.”"
)
HIGH_REG_RESISTS = (
    "“techniques designed to reduce overfitting such as L2 regularization are expected to mitigate "
    "the adversarial example phenomenon.”"
)
ASYMPTOTES = (
    "“Remarkably, the hinge loss and the softplus loss behave in the same way for extreme values of the "
    "scaling parameter.” (f_‖w‖(y d) ≈ ‖w‖ max(−y d, 0) as ‖w‖ → ∞, ≈ α − β ‖w‖ y d as ‖w‖ → 0; "
    "hinge α = 1, β = 1; softplus α = ln 2, β = 1/2)"
)
DADV_IDENTITY = (
    "“d_adv = ½ ‖j − i‖ cos(θ)” … “Adversarial examples can be arbitrarily strong when θ → π/2 "
    "(as was the case with the classifier L_θ in the toy problem section).”"
)


def _split(noisy: pd.DataFrame):
    reg = noisy["regularization"].astype(str).str.lower()
    return noisy[reg == "low"], noisy[reg == "high"]


def low_reg_tilts(noisy: pd.DataFrame | None, criteria: Mapping) -> dict:
    claim = Claim(
        "toy_low_reg_tilts",
        TOY,
        LOW_REG_TILTS,
        "with low regularization, the SVM and the logistic regression both classify the noisy point as "
        "labelled, and each tilts more than with high regularization",
    )
    if noisy is None or noisy.empty:
        return claim.not_run("toy stage not in this run")
    check_table("toy_noisy_point", noisy)
    low, high = _split(noisy)
    if low.empty:
        return claim.not_run("no low-regularization model in the table")
    details, failing = {}, []
    for _, row in low.iterrows():
        model = str(row["model"])
        theta_high = high.loc[high["model"] == model, "theta_deg"]
        th_high = float(theta_high.iloc[0]) if len(theta_high) else math.nan
        fits = bool(truthy(pd.Series([row["fits_noisy_point"]])).iloc[0])
        tilts_more = bool(math.isfinite(th_high) and float(row["theta_deg"]) > th_high)
        details[model] = {"fits_noisy_point": fits, "theta_deg_low": float(row["theta_deg"]), "theta_deg_high": th_high}
        if not (fits and tilts_more):
            failing.append(model)
    fitted = sum(d["fits_noisy_point"] for d in details.values())
    measured = f"{fitted}/{len(details)} low-regularization models fit the point; theta low vs high: " + ", ".join(
        f"{m} {d['theta_deg_low']:.1f} vs {d['theta_deg_high']:.1f} deg" for m, d in details.items()
    )
    margin = ", ".join(
        f"{m} tilts {d['theta_deg_low'] - d['theta_deg_high']:.1f} deg more" for m, d in details.items()
    )
    if failing:
        margin += "; failing: " + ", ".join(failing)
    return claim.result(not failing, measured, fitted / len(details), margin, details)


def high_reg_resists(noisy: pd.DataFrame | None, criteria: Mapping) -> dict:
    claim = Claim(
        "toy_high_reg_resists",
        TOY,
        HIGH_REG_RESISTS,
        "no high-regularization model classifies the noisy point as labelled",
        0.0,
    )
    if noisy is None or noisy.empty:
        return claim.not_run("toy stage not in this run")
    check_table("toy_noisy_point", noisy)
    _, high = _split(noisy)
    if high.empty:
        return claim.not_run("no high-regularization model in the table")
    fits = truthy(high["fits_noisy_point"]).to_numpy()
    details = {
        str(m): {"fits_noisy_point": bool(f), "theta_deg": float(t)}
        for m, f, t in zip(high["model"], fits, high["theta_deg"])
    }
    measured = f"{int(fits.sum())}/{len(fits)} high-regularization models fit the point; theta " + ", ".join(
        f"{m} {d['theta_deg']:.1f} deg" for m, d in details.items()
    )
    margin = f"{int(fits.sum())} of {len(fits)} models fit the point, 0 allowed"
    return claim.result(not fits.any(), measured, float(fits.mean()), margin, details)


def _regime_limit(regime: str) -> str:
    """'large' when the regime describes ||w|| -> infinity, 'small' when ||w|| -> 0."""
    text = str(regime).lower()
    if any(key in text for key in ("large", "inf", "high", "big")):
        return "large"
    if any(key in text for key in ("small", "zero", "low", "0")):
        return "small"
    raise ClaimsError(f"toy_loss_asymptotes: regime {regime!r} is neither a large-||w|| nor a small-||w|| regime")


def loss_asymptotes(asymptotes: pd.DataFrame | None, criteria: Mapping) -> dict:
    limit = float(need(criteria, "toy_asymptote_max_error"))
    claim = Claim(
        "toy_loss_asymptotes",
        TOY,
        ASYMPTOTES,
        "per loss and regime: the error to the asymptote does not grow as ||w|| moves toward the limit, "
        f"and is <= {fmt(limit)} at the most extreme ||w||",
        limit,
    )
    if asymptotes is None or asymptotes.empty:
        return claim.not_run("toy stage not in this run")
    check_table("toy_loss_asymptotes", asymptotes)
    details, worst = {}, 0.0
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
        worst = max(worst, extreme)
    holding = sum(d["pass"] for d in details.values())
    measured = f"{holding}/{len(details)} loss/regime asymptotes hold; largest error at the extreme norm {fmt(worst)}"
    margin = f"largest error {times_below(worst, limit)}"
    return claim.result(holding == len(details), measured, worst, margin, details)


def dadv_identity(dadv: pd.DataFrame | None, criteria: Mapping) -> dict:
    tol = float(need(criteria, "identity_max_residual"))
    claim = Claim(
        "toy_dadv_identity",
        TOY,
        DADV_IDENTITY,
        f"over random boundaries: max |d_adv - 1/2 ||j - i|| cos(theta)| / max |1/2 ||j - i|| cos(theta)| "
        f"<= {fmt(tol)}, and d_adv decreases as theta grows",
        tol,
    )
    if dadv is None or dadv.empty:
        return claim.not_run("toy stage not in this run")
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
        f"relative residual {fmt(residual)} over {len(d)} angles; d_adv from {fmt(d[0])} at "
        f"{ordered['theta_deg'].iloc[0]:.1f} deg to {fmt(d[-1])} at {ordered['theta_deg'].iloc[-1]:.1f} deg"
    )
    margin = f"residual {times_below(residual, tol)}" + ("" if decreasing else f"; d_adv rises by {fmt(increase)}")
    details = {"max_relative_residual": residual, "d_adv_first": d[0], "d_adv_last": d[-1], "largest_increase": increase}
    return claim.result(residual <= tol and decreasing, measured, residual, margin, details)
