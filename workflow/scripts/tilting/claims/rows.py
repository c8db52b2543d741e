"""What every claim shares: the row it returns, its statuses, number formats, table checks.

A claim is one statement of the article, quoted, checked by one explicit criterion. Its row:

- ``claim``: a stable id, e.g. ``svm_identity``;
- ``section``: the part of the article it comes from;
- ``statement``: the article's sentence(s), quoted;
- ``measured``: the measured value(s) in words;
- ``value``: the headline number (NaN when not run);
- ``criterion``: the explicit test, with the article's magnitude where it states one;
- ``threshold``: the criterion's number (NaN when it has none);
- ``margin``: how far the value is from the criterion, in words, and where two networks or an
  error rate are compared, whether the difference exceeds the test set's sampling error;
- ``status``: ``PASS``, ``FAIL`` or ``NOT RUN`` (a pair, network or stage absent from the run,
  or too few lambda values to evaluate the criterion: the reason is in ``measured``);
- ``details``: JSON with every number the decision used (per pair, per network, per digit).

A FAIL is a scientific result: it is reported, never raised. Only a malformed table (a missing
column) or a missing criterion raises :class:`ClaimsError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

PASS, FAIL, NOT_RUN = "PASS", "FAIL", "NOT RUN"
STATUSES = (PASS, FAIL, NOT_RUN)
COLUMNS = [
    "claim",
    "section",
    "statement",
    "measured",
    "value",
    "criterion",
    "threshold",
    "margin",
    "status",
    "details",
]

#: Columns each table must have (the stage tables' fixed names).
REQUIRED_COLUMNS = {
    "svm_metrics": ["pair", "alpha", "lam", "theta_deg", "d_adv", "err_train", "err_test", "identity_residual_rel", "gap"],
    "toy_noisy_point": ["model", "regularization", "theta_deg", "fits_noisy_point"],
    "toy_loss_asymptotes": ["loss", "w_norm", "regime", "max_abs_error"],
    "toy_dadv_theta": ["theta_deg", "d_adv", "identity"],
    "lenet_history": ["net", "epoch", "train_error", "test_error"],
    "lenet_summary": ["net", "test_images"],
    "lenet_weights_rms": ["net", "layer", "rms"],
    "lenet_adversarial": ["net", "digit", "l2", "target_likeness"],
}


class ClaimsError(ValueError):
    """A stage table or a criterion that the claims cannot use (the message names it)."""


def check_table(name: str, table: pd.DataFrame | None) -> None:
    if table is None:
        return
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in table.columns]
    if missing:
        raise ClaimsError(f"table {name} lacks column(s) {missing}; it has {list(table.columns)}")


def need(criteria: Mapping, key: str):
    """A criterion of config["claims"]; config.yaml states every one (no default here)."""
    try:
        return criteria[key]
    except KeyError:
        raise ClaimsError(f"config claims.{key} is missing (config.yaml sets every criterion)") from None


@dataclass(frozen=True)
class Claim:
    """The fixed part of a row: what is checked, against which sentence, by which criterion."""

    id: str
    section: str
    statement: str
    criterion: str
    threshold: float = math.nan

    def not_run(self, reason: str) -> dict:
        return self._row(f"not run: {reason}", math.nan, "", NOT_RUN, {"reason": reason})

    def result(self, passed: bool, measured: str, value: float, margin: str, details: Mapping) -> dict:
        return self._row(measured, value, margin, PASS if passed else FAIL, details)

    def _row(self, measured, value, margin, status, details) -> dict:
        return {
            "claim": self.id,
            "section": self.section,
            "statement": self.statement,
            "measured": measured,
            "value": number(value),
            "criterion": self.criterion,
            "threshold": number(self.threshold),
            "margin": margin,
            "status": status,
            "details": json.dumps(clean(details), sort_keys=True),
        }


# ---- numbers --------------------------------------------------------------------------------


def number(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def clean(obj):
    """JSON-safe copy: numpy scalars to Python, NaN to None, floats rounded to 6 significant digits."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return None if not math.isfinite(value) else float(f"{value:.6g}")
    return obj


def fmt(x: float, digits: int = 3) -> str:
    x = number(x)
    if not math.isfinite(x):
        return "nan"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def pct(x: float) -> str:
    return f"{100 * number(x):.2f} %"


def points(x: float) -> str:
    """A difference of two error rates, in percentage points."""
    return f"{100 * number(x):.2f} points"


def signed_points(x: float) -> str:
    return ("+" if number(x) >= 0 else "-") + points(abs(number(x)))


def lam_text(lam: float) -> str:
    return f"10^{math.log10(lam):.2f}" if lam > 0 else str(lam)


def distance(value: float, limit: float, show=fmt, gap_show=None) -> str:
    """'1.19: 0.81 below 2': a value, and how far it lies from its limit, either side."""
    gap = number(value) - number(limit)
    side = "above" if gap > 0 else "below"
    where = f"{(gap_show or show)(abs(gap))} {side} {show(limit)}" if gap else f"at {show(limit)}"
    return f"{show(value)}: {where}"


def ratio(x: float) -> str:
    return f"{number(x):.2f}"


def times_below(value: float, limit: float) -> str:
    """For a value that must stay under a small tolerance: how many times below (or above) it."""
    if value <= 0:
        return f"0, below {fmt(limit)}"
    factor = limit / value
    return f"{fmt(factor)}x below {fmt(limit)}" if factor >= 1 else f"{fmt(1 / factor)}x above {fmt(limit)}"


def share_margin(passing: int, total: int, share_needed: float) -> str:
    """'2 pairs short of the required 45/45' or '1 pair to spare'."""
    needed = math.ceil(share_needed * total - 1e-9)
    spare = passing - needed
    if spare >= 0:
        return f"{passing}/{total} passing, {needed} required: {spare} to spare"
    return f"{passing}/{total} passing, {needed} required: {-spare} short"


def truthy(series: pd.Series) -> pd.Series:
    """Booleans, also when read back from a CSV as text."""
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "1.0"])


def trend_violation(values) -> float:
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
