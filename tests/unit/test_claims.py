"""The claims table (tilting.claims) on small synthetic tables: every claim can PASS, FAIL and
be NOT RUN, and its measured value is computed from the table."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tilting import claims
from tilting.claims import FAIL, NOT_RUN, PASS

REPO = Path(__file__).resolve().parents[2]
CRITERIA = yaml.safe_load((REPO / "config.yaml").read_text())["claims"]


# ---- synthetic tables ----------------------------------------------------------------------


def svm_table(pairs=("0v1", "7v9", "1v8")) -> pd.DataFrame:
    """Models that behave as the article says: theta falls with lambda, err_train rises, err_test is U-shaped."""
    alphas = np.arange(-1.0, 7.01, 1.0)
    low_theta = {"0v1": 55.0, "7v9": 85.0, "1v8": 70.0}
    half_distance = {"0v1": 1500.0, "7v9": 700.0, "1v8": 1100.0}
    rows = []
    for pair in pairs:
        for k, alpha in enumerate(alphas):
            frac = k / (len(alphas) - 1)
            theta = low_theta[pair] * (1 - frac) ** 2
            d_adv = half_distance[pair] * math.cos(math.radians(theta))
            err_train = 0.001 + 0.01 * frac**2 + (0.25 if pair == "1v8" and k == len(alphas) - 1 else 0.0)
            err_test = 0.03 - 0.04 * frac + 0.05 * frac**2 + (0.25 if pair == "1v8" and k == len(alphas) - 1 else 0.0)
            rows.append(
                {
                    "pair": pair,
                    "alpha": alpha,
                    "lam": 10.0**alpha,
                    "theta_deg": theta,
                    "theta_rad": math.radians(theta),
                    "d_adv": d_adv,
                    "err_train": err_train,
                    "err_test": err_test,
                    "identity_residual": 1e-15 * (k + 1),
                    "gap": 1e-8 * (k + 1),
                    "bias_unique": k < len(alphas) - 1,
                }
            )
    return pd.DataFrame(rows)


def edit(table: pd.DataFrame, pair: str, alpha: float | None, column: str, value) -> pd.DataFrame:
    table = table.copy()
    mask = table["pair"] == pair
    if alpha is not None:
        mask &= np.isclose(table["alpha"], alpha)
    table.loc[mask, column] = value
    return table


def noisy_table(low_fits=True, high_fits=False) -> pd.DataFrame:
    rows = []
    for model in ("svm", "logistic"):
        rows.append(
            {
                "model": model,
                "regularization": "low",
                "lam": 1e-4,
                "w_norm": 30.0,
                "theta_deg": 60.0,
                "d_adv": 0.5,
                "fits_noisy_point": low_fits,
            }
        )
        rows.append(
            {
                "model": model,
                "regularization": "high",
                "lam": 1.0,
                "w_norm": 0.5,
                "theta_deg": 3.0,
                "d_adv": 0.99,
                "fits_noisy_point": high_fits,
            }
        )
    return pd.DataFrame(rows)


def asymptote_table() -> pd.DataFrame:
    rows = []
    norms = [0.1, 0.5, 1.0, 5.0, 50.0]
    for loss in ("hinge", "softplus"):
        for w in norms:
            rows.append({"loss": loss, "w_norm": w, "regime": "large", "max_abs_error": 0.7 / w})
            rows.append({"loss": loss, "w_norm": w, "regime": "small", "max_abs_error": 0.1 * w**2})
    return pd.DataFrame(rows)


def dadv_table(distance=2.0) -> pd.DataFrame:
    theta = np.linspace(0, 89, 30)
    identity = 0.5 * distance * np.cos(np.radians(theta))
    return pd.DataFrame({"theta_deg": theta, "d_adv": identity * (1 + 1e-14), "identity": identity})


def history_table(final=None) -> pd.DataFrame:
    final = final or {"low": (0.002, 0.016), "high": (0.011, 0.012)}
    rows = []
    for net, (train, test) in final.items():
        for epoch in range(1, 6):
            scale = 1 + (5 - epoch) * 0.5
            rows.append(
                {
                    "net": net,
                    "epoch": epoch,
                    "train_error": train * scale,
                    "train_loss": 0.1,
                    "test_error": test * scale,
                    "test_loss": 0.1,
                    "seconds": 1.0,
                }
            )
    return pd.DataFrame(rows)


LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def rms_table(low=(0.2, 0.1, 0.05, 0.2), high=(0.1, 0.02, 0.001, 0.002)) -> pd.DataFrame:
    rows = [{"net": "low", "layer": layer, "rms": v} for layer, v in zip(LAYERS, low)]
    rows += [{"net": "high", "layer": layer, "rms": v} for layer, v in zip(LAYERS, high)]
    return pd.DataFrame(rows)


def adversarial_table(low_l2=None, high_l2=None) -> pd.DataFrame:
    low_l2 = low_l2 if low_l2 is not None else [200.0 + 10 * d for d in range(10)]
    high_l2 = high_l2 if high_l2 is not None else [600.0 + 30 * d for d in range(10)]
    rows = []
    for net, values in (("low", low_l2), ("high", high_l2)):
        for digit, l2 in enumerate(values):
            rows.append(
                {
                    "net": net,
                    "digit": digit,
                    "target": (digit + 1) % 10,
                    "iterations": int(l2),
                    "p_target": 0.95,
                    "l2": l2,
                    "linf": 50.0,
                    "capped": False,
                    "temperature": 1.0,
                }
            )
    return pd.DataFrame(rows)


def all_tables() -> dict:
    return {
        "svm_metrics": svm_table(),
        "toy_noisy_point": noisy_table(),
        "toy_loss_asymptotes": asymptote_table(),
        "toy_dadv_theta": dadv_table(),
        "lenet_history": history_table(),
        "lenet_weights_rms": rms_table(),
        "lenet_adversarial": adversarial_table(),
    }


# ---- the whole table -------------------------------------------------------------------------


def test_config_criteria_match_defaults_and_schema():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    documented = schema["properties"]["claims"]["properties"]
    assert set(CRITERIA) == set(claims.DEFAULT_CRITERIA) == set(documented)
    assert all("description" in spec for spec in documented.values())


def test_evaluate_all_pass_on_article_like_tables():
    table = claims.evaluate(all_tables(), CRITERIA)
    assert list(table.columns) == claims.COLUMNS
    assert table["claim"].is_unique
    failing = table.loc[table["status"] != PASS, ["claim", "measured"]]
    assert failing.empty, failing.to_string()
    assert {"lenet_final_test_error_low", "lenet_final_test_error_high"} <= set(table["claim"])
    # every row's details is valid JSON
    for text in table["details"]:
        json.loads(text)
    # article order: toy, then SVM, then LeNet
    sections = list(dict.fromkeys(table["section"]))
    assert sections == [claims.TOY, claims.SVM, claims.LENET]


def test_evaluate_without_stages_is_all_not_run():
    table = claims.evaluate({}, CRITERIA)
    assert set(table["status"]) == {NOT_RUN}
    assert table["value"].isna().all()
    assert table["measured"].str.startswith("not run").all()


def test_evaluate_rejects_a_table_without_its_columns():
    with pytest.raises(claims.ClaimsError, match="identity_residual"):
        claims.evaluate({"svm_metrics": svm_table().drop(columns="identity_residual")}, CRITERIA)
    with pytest.raises(claims.ClaimsError, match="unknown table"):
        claims.evaluate({"svm": svm_table()}, CRITERIA)


# ---- SVM -----------------------------------------------------------------------------------


def test_trend_helpers():
    assert claims.trend_violation([0, 1, 1, 3]) == 0
    assert claims.trend_violation([0, 2, 1.5, 3]) == pytest.approx(0.5)
    assert claims.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1)
    assert math.isnan(claims.spearman([1, 2, 3], [0, 0, 0]))


def test_identity_and_gap_values_and_failures():
    table = svm_table()
    row = claims.svm_identity(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(table["identity_residual"].max())
    row = claims.svm_identity(edit(table, "7v9", 3.0, "identity_residual", 1e-6), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1e-6) and "7v9" in row["measured"]
    row = claims.svm_certified(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(table["gap"].max())
    row = claims.svm_certified(edit(table, "0v1", 1.0, "gap", 1e-3), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1e-3)
    assert claims.svm_identity(None, CRITERIA)["status"] == NOT_RUN


def test_err_train_falls_with_tolerance():
    table = svm_table()
    assert claims.svm_err_train_falls(table, CRITERIA)["status"] == PASS
    # a bump smaller than the tolerance (0.005) is allowed...
    bumped = edit(
        table,
        "7v9",
        0.0,
        "err_train",
        table.loc[(table.pair == "7v9") & (table.alpha == 1.0), "err_train"].iloc[0] + 0.003,
    )
    assert claims.svm_err_train_falls(bumped, CRITERIA)["status"] == PASS
    # ...a larger one is not, and the row says which pair
    broken = edit(table, "7v9", 0.0, "err_train", 0.2)
    row = claims.svm_err_train_falls(broken, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(2 / 3) and "7v9" in row["measured"]
    # a flat curve does not "fall"
    flat = edit(table, "0v1", None, "err_train", 0.0)
    assert claims.svm_err_train_falls(flat, CRITERIA)["status"] == FAIL
    # a lower share requirement lets 2 of 3 pairs pass
    assert claims.svm_err_train_falls(broken, {**CRITERIA, "trend_min_pair_share": 0.6})["status"] == PASS


def test_dadv_rises_relative_tolerance():
    table = svm_table()
    assert claims.svm_dadv_rises(table, CRITERIA)["status"] == PASS
    d = table.loc[(table.pair == "0v1") & (table.alpha == 5.0), "d_adv"].iloc[0]
    row = claims.svm_dadv_rises(edit(table, "0v1", 6.0, "d_adv", d - 100.0), CRITERIA)
    assert row["status"] == FAIL
    assert json.loads(row["details"])["0v1"]["largest_drop"] > 0


def test_theta_high_lambda():
    table = svm_table()
    row = claims.svm_theta_high_lambda(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(0.0)
    row = claims.svm_theta_high_lambda(edit(table, "1v8", 7.0, "theta_deg", 12.0), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(12.0) and "1v8" in row["measured"]


def test_test_error_intermediate():
    table = svm_table()
    row = claims.svm_test_error_intermediate(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(1.0)
    # optimum at the smallest lambda in two pairs of three: share 1/3 < 0.8
    worse = edit(edit(table, "0v1", -1.0, "err_test", 0.0), "7v9", -1.0, "err_test", 0.0)
    row = claims.svm_test_error_intermediate(worse, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1 / 3)
    details = json.loads(row["details"])
    assert details["0v1"]["lambda_optimal"] == pytest.approx(0.1)
    # a tie between an interior lambda and an end is not an interior optimum
    tie = edit(table, "1v8", -1.0, "err_test", table.loc[table.pair == "1v8", "err_test"].min())
    assert json.loads(claims.svm_test_error_intermediate(tie, CRITERIA)["details"])["1v8"]["pass"] is False


def test_poorly_adjusted_pair():
    table = svm_table()
    row = claims.svm_poorly_adjusted(table, CRITERIA)
    assert row["status"] == PASS
    top = table[(table.pair == "1v8") & (table.alpha == 7.0)].iloc[0]
    assert row["value"] == pytest.approx(min(top.err_train, top.err_test))
    row = claims.svm_poorly_adjusted(edit(table, "1v8", 7.0, "err_test", 0.05), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(0.05)
    row = claims.svm_poorly_adjusted(svm_table(pairs=("0v1", "7v9")), CRITERIA)
    assert row["status"] == NOT_RUN and "1v8" in row["measured"]


def test_hard_vs_easy_theta():
    table = svm_table()
    row = claims.svm_hard_vs_easy_theta(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(85.0 - 55.0)
    row = claims.svm_hard_vs_easy_theta(edit(table, "0v1", -1.0, "theta_deg", 80.0), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(5.0)
    row = claims.svm_hard_vs_easy_theta(svm_table(pairs=("0v1", "1v8")), CRITERIA)
    assert row["status"] == NOT_RUN and "7v9" in row["measured"]


# ---- toy -----------------------------------------------------------------------------------


def test_toy_noisy_point_claims():
    assert claims.toy_low_reg_tilts(noisy_table(), CRITERIA)["status"] == PASS
    assert claims.toy_high_reg_resists(noisy_table(), CRITERIA)["status"] == PASS
    assert claims.toy_low_reg_tilts(noisy_table(low_fits=False), CRITERIA)["status"] == FAIL
    row = claims.toy_high_reg_resists(noisy_table(high_fits=True), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1.0)
    # low regularization must also tilt more than high regularization
    less_tilted = noisy_table()
    less_tilted.loc[less_tilted.regularization == "low", "theta_deg"] = 1.0
    assert claims.toy_low_reg_tilts(less_tilted, CRITERIA)["status"] == FAIL
    # booleans read back from CSV as text still count
    as_text = noisy_table().astype({"fits_noisy_point": str})
    assert claims.toy_high_reg_resists(as_text, CRITERIA)["status"] == PASS
    assert claims.toy_low_reg_tilts(None, CRITERIA)["status"] == NOT_RUN


def test_toy_loss_asymptotes():
    row = claims.toy_loss_asymptotes(asymptote_table(), CRITERIA)
    assert row["status"] == PASS
    assert row["value"] == pytest.approx(max(0.7 / 50, 0.1 * 0.1**2))
    # the error growing toward the limit breaks the asymptote
    bad = asymptote_table()
    bad.loc[(bad.loss == "softplus") & (bad.regime == "large") & (bad.w_norm == 50.0), "max_abs_error"] = 1.0
    row = claims.toy_loss_asymptotes(bad, CRITERIA)
    assert row["status"] == FAIL and json.loads(row["details"])["softplus/large"]["pass"] is False
    with pytest.raises(claims.ClaimsError, match="regime"):
        claims.toy_loss_asymptotes(asymptote_table().replace({"regime": {"large": "medium"}}), CRITERIA)


def test_toy_dadv_identity():
    row = claims.toy_dadv_identity(dadv_table(), CRITERIA)
    assert row["status"] == PASS and row["value"] < 1e-12
    off = dadv_table()
    off.loc[5, "d_adv"] *= 1.01
    row = claims.toy_dadv_identity(off, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(
        0.01 * off.loc[5, "identity"] / off["identity"].max(), rel=1e-6
    )


# ---- LeNet ---------------------------------------------------------------------------------


def test_lenet_final_test_errors():
    history = history_table()
    for net, expected in (("low", 0.016), ("high", 0.012)):
        row = claims.lenet_final_test_error(history, CRITERIA, net)
        assert row["status"] == PASS and row["value"] == pytest.approx(expected)
    far = history_table({"low": (0.0, 0.03), "high": (0.011, 0.012)})
    row = claims.lenet_final_test_error(far, CRITERIA, "low")
    assert row["status"] == FAIL and row["value"] == pytest.approx(0.03)
    row = claims.lenet_final_test_error(history_table({"low": (0.0, 0.016)}), CRITERIA, "high")
    assert row["status"] == NOT_RUN


def test_lenet_high_better_and_train_equals_test():
    assert claims.lenet_high_better(history_table(), CRITERIA)["status"] == PASS
    assert (
        claims.lenet_high_better(history_table({"low": (0.0, 0.01), "high": (0.0, 0.012)}), CRITERIA)["status"] == FAIL
    )
    row = claims.lenet_high_train_equals_test(history_table(), CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(0.001)
    row = claims.lenet_high_train_equals_test(history_table({"low": (0.0, 0.016), "high": (0.001, 0.012)}), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(0.011)


def test_lenet_weight_rms():
    row = claims.lenet_weight_rms(rms_table(), CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(2.0)  # smallest low/high ratio (conv1)
    row = claims.lenet_weight_rms(rms_table(high=(0.3, 0.02, 0.001, 0.002)), CRITERIA)
    assert row["status"] == FAIL and "3/4" in row["measured"]
    depth = claims.lenet_weight_rms_depth(rms_table(), CRITERIA)
    assert depth["status"] == PASS and depth["value"] == 4  # fc2: ratio 100
    shallow = claims.lenet_weight_rms_depth(rms_table(high=(0.001, 0.02, 0.01, 0.1)), CRITERIA)
    assert shallow["status"] == FAIL and shallow["value"] == 1
    only_low = rms_table()[lambda t: t.net == "low"]
    assert claims.lenet_weight_rms(only_low, CRITERIA)["status"] == NOT_RUN


def test_lenet_adversarial_norms():
    adv = adversarial_table()
    row = claims.lenet_adversarial_median(adv, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(3.0)
    row = claims.lenet_adversarial_per_digit(adv, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(1.0)
    mixed = adversarial_table(high_l2=[100.0] + [600.0 + 30 * d for d in range(1, 10)])
    row = claims.lenet_adversarial_per_digit(mixed, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(0.9) and "digit(s) 0" in row["measured"]
    smaller = adversarial_table(high_l2=[100.0] * 10)
    assert claims.lenet_adversarial_median(smaller, CRITERIA)["status"] == FAIL
    assert claims.lenet_adversarial_median(None, CRITERIA)["status"] == NOT_RUN


# ---- renderings ----------------------------------------------------------------------------


def test_markdown_and_html_renderings(tmp_path):
    tables = all_tables()
    tables["svm_metrics"] = edit(tables["svm_metrics"], "7v9", 3.0, "identity_residual", 1e-3)
    table = claims.evaluate(tables, CRITERIA)
    markdown = claims.to_markdown(table)
    lines = markdown.splitlines()
    assert lines[0].startswith("| Claim |") and len([l for l in lines if l.startswith("| `")]) == len(table)
    assert "| **FAIL** |" in markdown and f"Summary: {len(table) - 1} PASS, 1 FAIL, 0 NOT RUN." in markdown
    page = claims.to_html(table)
    assert page.count('<tr class="PASS"') == len(table) - 1 and page.count('<tr class="FAIL"') == 1
    assert 'id="svm_identity"' in page and "&lt;=" in page  # escaped criterion text

    csv = tmp_path / "claims.csv"
    table.to_csv(csv, index=False)
    script = REPO / "workflow" / "scripts" / "claims_markdown.py"
    out = subprocess.run([sys.executable, str(script), str(csv)], capture_output=True, text=True, check=True)
    assert out.stdout == markdown
    missing = subprocess.run([sys.executable, str(script), str(tmp_path / "none.csv")], capture_output=True, text=True)
    assert missing.returncode == 1 and "not found" in missing.stderr
