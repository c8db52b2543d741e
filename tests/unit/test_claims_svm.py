"""The toy and SVM claims (tilting.claims.toy, tilting.claims.svm): measured values computed
from the tables, PASS and FAIL either side of each criterion, NOT RUN when they cannot be
evaluated."""

from __future__ import annotations

import json

import numpy as np
import pytest
from claims_examples import (
    CRITERIA,
    asymptote_table,
    dadv_table,
    edit,
    noisy_table,
    svm_table,
    value_at,
)

from tilting import svm_analysis
from tilting.claims import FAIL, NOT_RUN, PASS, ClaimsError, svm, toy
from tilting.claims.rows import share_margin, spearman, trend_violation


def test_trend_helpers():
    assert trend_violation([0, 1, 1, 3]) == 0
    assert trend_violation([0, 2, 1.5, 3]) == pytest.approx(0.5)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1)
    assert np.isnan(spearman([1, 2, 3], [0, 0, 0]))
    assert share_margin(44, 45, 1.0) == "44/45 passing, 45 required: 1 short"
    assert share_margin(44, 45, 0.8) == "44/45 passing, 36 required: 8 to spare"


def test_identity_and_gap_values_and_failures():
    table = svm_table()
    row = svm.identity(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(table["identity_residual_rel"].max())
    row = svm.identity(edit(table, "7v9", 3.0, "identity_residual_rel", 1e-6), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1e-6) and "7v9" in row["measured"]
    assert "x above" in row["margin"]
    row = svm.certified(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(table["gap"].max())
    row = svm.certified(edit(table, "0v1", 1.0, "gap", 1e-3), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1e-3)
    assert svm.identity(None, CRITERIA)["status"] == NOT_RUN


def test_err_train_falls_with_tolerance():
    table = svm_table()
    assert svm.err_train_falls(table, CRITERIA)["status"] == PASS
    # a bump smaller than the tolerance (0.5 points) is allowed...
    bumped = edit(table, "7v9", 0.0, "err_train", value_at(table, "7v9", 1.0, "err_train") + 0.004)
    assert svm.err_train_falls(bumped, CRITERIA)["status"] == PASS
    # ...a larger one is not, and the row says which pair, by how much, and where
    broken = edit(table, "7v9", 0.0, "err_train", 0.2)
    row = svm.err_train_falls(broken, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(2 / 3) and "7v9" in row["measured"]
    assert "1 short" in row["margin"] and "7v9: drop" in row["margin"] and "after lambda = 10^0.00" in row["margin"]
    # a flat curve does not "fall"
    flat = edit(table, "0v1", None, "err_train", 0.0)
    assert svm.err_train_falls(flat, CRITERIA)["status"] == FAIL
    # a lower share requirement lets 2 of 3 pairs pass
    assert svm.err_train_falls(broken, {**CRITERIA, "trend_min_pair_share": 0.6})["status"] == PASS


def test_dadv_rises_relative_tolerance():
    table = svm_table()
    assert svm.dadv_rises(table, CRITERIA)["status"] == PASS
    d = value_at(table, "0v1", 5.0, "d_adv")
    row = svm.dadv_rises(edit(table, "0v1", 6.0, "d_adv", d - 100.0), CRITERIA)
    assert row["status"] == FAIL
    assert json.loads(row["details"])["0v1"]["largest_drop"] > 0


def test_trends_need_two_lambdas():
    one = svm_table(alphas=[3.0])
    for claim in (svm.err_train_falls, svm.dadv_rises):
        row = claim(one, CRITERIA)
        assert row["status"] == NOT_RUN and "at least 2 lambda values" in row["measured"]
        assert claim(svm_table(alphas=[1.0, 3.0]), CRITERIA)["status"] == PASS


def test_theta_high_lambda():
    table = svm_table()
    row = svm.theta_high_lambda(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(0.0)
    row = svm.theta_high_lambda(edit(table, "1v8", 7.0, "theta_deg", 12.0), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(12.0) and "1v8" in row["measured"]


def test_test_error_intermediate_uses_the_one_lambda_optimal():
    table = svm_table()
    row = svm.test_error_intermediate(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(1.0)
    # optimum at the smallest lambda in two pairs of three: share 1/3 < 0.8
    worse = edit(edit(table, "0v1", -1.0, "err_test", 0.0), "7v9", -1.0, "err_test", 0.0)
    row = svm.test_error_intermediate(worse, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1 / 3)
    assert "0v1 (lambda_optimal = 10^-1.00)" in row["measured"]
    # lambda_optimal is svm_analysis.optimal_index's: a tie between the smallest lambda and an
    # interior one goes to the larger lambda, an interior optimum
    pair = table[table.pair == "1v8"].sort_values("lam")
    tie = edit(table, "1v8", -1.0, "err_test", pair["err_test"].min())
    k = svm_analysis.optimal_index(tie[tie.pair == "1v8"]["err_test"], tie[tie.pair == "1v8"]["lam"])
    details = json.loads(svm.test_error_intermediate(tie, CRITERIA)["details"])["1v8"]
    assert details["pass"] is True and details["lambda_optimal"] == pytest.approx(pair["lam"].iloc[k])
    # ...and a tie between the largest lambda and an interior one is at the largest: not interior
    tie_top = edit(table, "1v8", 7.0, "err_test", pair["err_test"].min())
    assert json.loads(svm.test_error_intermediate(tie_top, CRITERIA)["details"])["1v8"]["pass"] is False


@pytest.mark.parametrize("alphas", [[3.0], [1.0, 3.0]])
def test_test_error_intermediate_needs_three_lambdas(alphas):
    row = svm.test_error_intermediate(svm_table(alphas=alphas), CRITERIA)
    assert row["status"] == NOT_RUN
    assert f"needs at least 3 lambda values per pair, the run has {len(alphas)}" in row["measured"]
    assert svm.test_error_intermediate(svm_table(alphas=[1.0, 2.0, 3.0]), CRITERIA)["status"] == PASS


def test_poorly_adjusted_pair():
    table = svm_table()
    row = svm.poorly_adjusted(table, CRITERIA)
    assert row["status"] == PASS
    top = table[(table.pair == "1v8") & (table.alpha == 7.0)].iloc[0]
    assert row["value"] == pytest.approx(min(top.err_train, top.err_test))
    row = svm.poorly_adjusted(edit(table, "1v8", 7.0, "err_test", 0.05), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(0.05)
    row = svm.poorly_adjusted(svm_table(pairs=("0v1", "7v9")), CRITERIA)
    assert row["status"] == NOT_RUN and "1v8" in row["measured"]


def test_hard_pair_approaches_90_degrees():
    table = svm_table()
    row = svm.hard_pair_near_90(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(85.0)
    assert row["threshold"] == CRITERIA["hard_pair_min_theta_deg"] == 80.0
    assert "85.0 deg: 5.0 deg above 80.0 deg" == row["margin"]
    row = svm.hard_pair_near_90(edit(table, "7v9", -1.0, "theta_deg", 61.0), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(61.0)
    row = svm.hard_pair_near_90(svm_table(pairs=("0v1", "1v8")), CRITERIA)
    assert row["status"] == NOT_RUN and "7v9" in row["measured"]


def test_hard_vs_easy_theta():
    table = svm_table()
    row = svm.hard_vs_easy_theta(table, CRITERIA)
    assert row["status"] == PASS and row["value"] == pytest.approx(85.0 - 55.0)
    row = svm.hard_vs_easy_theta(edit(table, "0v1", -1.0, "theta_deg", 80.0), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(5.0)
    row = svm.hard_vs_easy_theta(svm_table(pairs=("7v9", "1v8")), CRITERIA)
    assert row["status"] == NOT_RUN and "0v1" in row["measured"]


# ---- toy -----------------------------------------------------------------------------------


def test_toy_noisy_point_claims():
    assert toy.low_reg_tilts(noisy_table(), CRITERIA)["status"] == PASS
    assert toy.high_reg_resists(noisy_table(), CRITERIA)["status"] == PASS
    row = toy.low_reg_tilts(noisy_table(low_fits=False), CRITERIA)
    assert row["status"] == FAIL and "failing: svm, logistic" in row["margin"]
    row = toy.high_reg_resists(noisy_table(high_fits=True), CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(1.0)
    # booleans read back from CSV as text still count
    as_text = noisy_table().astype({"fits_noisy_point": str})
    assert toy.high_reg_resists(as_text, CRITERIA)["status"] == PASS
    assert toy.low_reg_tilts(None, CRITERIA)["status"] == NOT_RUN
    only_high = noisy_table()[lambda t: t.regularization == "high"]
    assert toy.low_reg_tilts(only_high, CRITERIA)["status"] == NOT_RUN


def test_toy_loss_asymptotes():
    row = toy.loss_asymptotes(asymptote_table(), CRITERIA)
    assert row["status"] == PASS
    assert row["value"] == pytest.approx(max(0.7 / 50, 0.1 * 0.1**2))
    # the error growing toward the limit breaks the asymptote
    bad = asymptote_table()
    bad.loc[(bad.loss == "softplus") & (bad.regime == "large") & (bad.w_norm == 50.0), "max_abs_error"] = 1.0
    row = toy.loss_asymptotes(bad, CRITERIA)
    assert row["status"] == FAIL and json.loads(row["details"])["softplus/large"]["pass"] is False
    with pytest.raises(ClaimsError, match="regime"):
        toy.loss_asymptotes(asymptote_table().replace({"regime": {"large": "medium"}}), CRITERIA)


def test_toy_dadv_identity():
    row = toy.dadv_identity(dadv_table(), CRITERIA)
    assert row["status"] == PASS and row["value"] < 1e-12
    off = dadv_table()
    off.loc[5, "d_adv"] *= 1.01
    row = toy.dadv_identity(off, CRITERIA)
    assert row["status"] == FAIL and row["value"] == pytest.approx(
        0.01 * off.loc[5, "identity"] / off["identity"].max(), rel=1e-6
    )
    # d_adv must fall as theta grows, even where it matches the identity
    rising = dadv_table().assign(identity=lambda t: t["theta_deg"], d_adv=lambda t: t["theta_deg"])
    assert toy.dadv_identity(rising, CRITERIA)["status"] == FAIL
