"""The toy stage (method §1-3) on the smoke run: tables recomputed and claims checked,
figures are real images."""

from __future__ import annotations

import math
import struct

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import with_defaults

from tilting import geometry, losses, toy

FIGURES = [
    "1_toy_boundaries",
    "1_toy_mirror",
    "1_toy_mirror_distance",
    "1_toy_noisy_point",
    "2_loss_scaling",
    "3_dadv_theta",
]


@pytest.fixture(scope="module")
def settings(smoke_run):
    """The toy settings of the smoke run: the repo defaults overridden by its config file."""
    return with_defaults(yaml.safe_load((smoke_run / "config.yaml").read_text()))["toy"]


def read(smoke_run, name):
    return pd.read_csv(smoke_run / "results" / "toy" / f"{name}.csv")


def test_noisy_point_table_low_fits_and_tilts_high_stays_near_nearest_centroid(smoke_run, settings):
    table = read(smoke_run, "noisy_point")
    assert {"model", "regularization", "lam", "w_norm", "theta_deg", "d_adv", "fits_noisy_point"} <= set(table)
    assert sorted(zip(table["model"], table["regularization"])) == [
        ("logistic", "high"),
        ("logistic", "low"),
        ("svm", "high"),
        ("svm", "low"),
    ]
    assert table["fits_noisy_point"].dtype == bool
    rows = {(r.model, r.regularization): r for r in table.itertuples()}
    for model in ("svm", "logistic"):
        low, high = rows[(model, "low")], rows[(model, "high")]
        assert low.lam == pytest.approx(settings["lambda_low"])
        assert high.lam == pytest.approx(settings["lambda_high"])
        assert low.fits_noisy_point and not high.fits_noisy_point
        assert low.theta_deg > 45.0 and high.theta_deg < 5.0
        assert high.d_adv > low.d_adv
    # the SVMs are certified (libsvm: single-precision kernel cache, gaps ~1e-9); the logistic
    # regressions are stationary points
    svm = table[table["model"] == "svm"]
    assert ((svm["duality_gap"] >= -1e-12) & (svm["duality_gap"] <= 1e-6)).all()
    assert (table.loc[table["model"] == "logistic", "gradient_norm"] < 1e-8).all()


def test_noisy_point_table_recomputes_from_its_boundaries(smoke_run, settings):
    table = read(smoke_run, "noisy_point")
    problem = toy.with_noisy_point(
        toy.make_toy_problem(settings["points_per_class"], settings["spread"]),
        settings["noisy_point"],
        settings["noisy_label"],
    )
    for row in table.itertuples():
        w = np.array([row.w_a, row.w_b])
        assert row.w_norm == pytest.approx(np.linalg.norm(w))
        assert row.theta_deg == pytest.approx(math.degrees(geometry.tilting_angle(w, problem.z_hat)), abs=1e-9)
        assert row.d_adv == pytest.approx(geometry.adversarial_distance(problem.x, problem.y, w, row.b), abs=1e-12)
        side = problem.y[-1] * geometry.raw_score(problem.x[-1], w, row.b)
        assert row.fits_noisy_point == bool(side > 0)


def test_dadv_theta_identity_holds_to_rounding(smoke_run, settings):
    table = read(smoke_run, "dadv_theta")
    assert {"theta_deg", "d_adv", "identity"} <= set(table)
    assert len(table) == settings["random_classifiers"]
    residual = (table["d_adv"] - table["identity"]).abs()
    assert residual.max() < 1e-12
    assert table["residual"].max() < 1e-12
    # the identity column is 1/2 ||j - i|| cos(theta) with one ||j - i|| for all rows
    gap = 2 * table["identity"] / np.cos(np.radians(table["theta_deg"]))
    far_from_90 = np.abs(table["theta_deg"] - 90) > 10
    assert gap[far_from_90].std() < 1e-9 * gap[far_from_90].mean()
    assert table["theta_deg"].min() < 20 and table["theta_deg"].max() > 160
    # d_adv does not depend on ||w|| nor on b: sorted by theta it only falls
    ordered = table.sort_values("theta_deg")["d_adv"].to_numpy()
    assert np.all(np.diff(ordered) <= 1e-12)


def test_loss_asymptotes_table_shrinks_toward_each_limit(smoke_run, settings):
    table = read(smoke_run, "loss_asymptotes")
    norms = sorted(float(n) for n in settings["loss_norms"])
    assert set(table["loss"]) == {"hinge", "softplus"}
    assert set(table["regime"]) == {"large", "small"}
    assert len(table) == 4 * len(norms)
    for (loss, regime), group in table.groupby(["loss", "regime"]):
        group = group.sort_values("w_norm", ascending=regime == "large")
        errors = group["max_abs_error"].to_numpy()
        assert np.all(np.diff(errors) <= 1e-12), (loss, regime, errors)
        assert errors[-1] < 0.05
        # recompute one row from tilting.losses
        last = group.iloc[-1]
        margin = np.linspace(last["margin_min"], last["margin_max"], 4001)
        rows = {r["regime"]: r for r in losses.asymptote_errors(loss, last["w_norm"], margin)}
        assert rows[regime]["max_abs_error"] == pytest.approx(last["max_abs_error"], rel=1e-6, abs=1e-12)


def test_mirror_table_distance_falls_to_zero(smoke_run, settings):
    table = read(smoke_run, "mirror")
    assert len(table) == settings["mirror_steps"]
    assert table["theta_deg"].iloc[0] == 0 and table["theta_deg"].iloc[-1] == pytest.approx(90)
    x = np.array(settings["mirror_image"], dtype=float)
    theta = np.radians(table["theta_deg"].to_numpy())
    expected = 2 * np.abs(x[0] * np.cos(theta) + x[1] * np.sin(theta))
    np.testing.assert_allclose(table["mirror_distance"], expected, atol=1e-12)
    assert table["mirror_distance"].iloc[-1] < 1e-12
    xm = table[["mirror_a", "mirror_b"]].to_numpy()
    np.testing.assert_allclose(np.linalg.norm(xm - x, axis=1), table["mirror_distance"], atol=1e-12)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", FIGURES)
def test_figures_are_real_png_and_pdf(smoke_run, name):
    import matplotlib.image

    png = smoke_run / "results" / "figures" / f"{name}.png"
    width, height = png_size(png)
    assert width > 300 and height > 200
    pixels = matplotlib.image.imread(png)
    assert pixels.std() > 0.01  # not a blank canvas
    pdf = smoke_run / "results" / "figures" / f"{name}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert (smoke_run / "logs" / "toy").is_dir()
