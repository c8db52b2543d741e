"""tilting.losses: the three losses, their scaling by ||w|| and its asymptotes (method §2)."""

import math

import numpy as np
import pytest

from tilting import losses

MARGIN = np.linspace(-3.0, 3.0, 2401)


def test_loss_values():
    z = np.array([-2.0, 0.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(losses.zero_one(z), [1, 1, 0, 0, 0])
    np.testing.assert_allclose(losses.hinge(z), [3.0, 1.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(losses.softplus(z), np.log1p(np.exp(-z)))
    # no overflow far from the boundary
    assert losses.softplus(np.array([-1000.0]))[0] == pytest.approx(1000.0)
    assert losses.softplus(np.array([1000.0]))[0] == 0.0


def test_scaled_loss_is_the_loss_of_the_raw_score():
    for name in losses.LOSS_NAMES:
        np.testing.assert_allclose(losses.scaled_loss(name, MARGIN, 3.5), losses.get_loss(name)(3.5 * MARGIN))
    with pytest.raises(ValueError):
        losses.get_loss("squared")


def test_zero_one_loss_is_invariant_to_the_norm():
    for norm in (1e-3, 0.1, 1.0, 50.0, 1e4):
        assert losses.zero_one_invariance_error(norm, MARGIN) == 0.0
    # the hinge is not
    assert np.max(np.abs(losses.scaled_loss("hinge", MARGIN, 5.0) - losses.hinge(MARGIN))) > 1


def test_small_norm_coefficients_are_value_and_slope_at_zero():
    for name, (alpha, beta) in losses.SMALL_NORM_COEFFICIENTS.items():
        f = losses.get_loss(name)
        h = 1e-6
        assert f(np.array([0.0]))[0] == pytest.approx(alpha)
        slope = (f(np.array([h]))[0] - f(np.array([-h]))[0]) / (2 * h)
        assert -slope == pytest.approx(beta, rel=1e-6)
    assert losses.SMALL_NORM_COEFFICIENTS["softplus"] == (math.log(2), 0.5)


def _errors(name, norms, regime):
    out = []
    for norm in norms:
        rows = {row["regime"]: row for row in losses.asymptote_errors(name, norm, MARGIN)}
        out.append(rows[regime])
    return out


@pytest.mark.parametrize("name", ["hinge", "softplus"])
def test_large_norm_asymptote_error_vanishes_like_one_over_norm(name):
    norms = [1.0, 10.0, 100.0, 1000.0]
    rows = _errors(name, norms, "large")
    scaled = np.array([r["max_abs_error"] for r in rows])
    assert np.all(np.diff(scaled) < 0)
    assert scaled[-1] <= 1.0001e-3  # 1/1000 for the hinge, ln 2/1000 for the softplus
    # hinge: the raw gap is exactly 1 on misclassified points; softplus: ln 2 at y d = 0
    raw = np.array([r["raw_max_abs_error"] for r in rows])
    np.testing.assert_allclose(raw, 1.0 if name == "hinge" else math.log(2), rtol=1e-9)
    np.testing.assert_allclose(scaled * np.array(norms), raw)


@pytest.mark.parametrize("name", ["hinge", "softplus"])
def test_small_norm_asymptote_error_vanishes(name):
    norms = [1.0, 0.3, 0.1, 0.01, 0.001]
    errors = np.array([r["max_abs_error"] for r in _errors(name, norms, "small")])
    assert np.all(np.diff(errors) <= 0)
    assert errors[0] > 0.1  # far from the limit the asymptote is poor
    assert errors[-1] < 1e-5
    if name == "hinge":
        # exact as long as ||w|| y d <= 1 on the whole range (|y d| <= 3)
        assert errors[norms.index(0.3)] == 0.0
    else:
        # second order: softplus(t) = ln 2 - t/2 + t^2/8 + O(t^4), t = ||w|| y d
        for norm, error in zip(norms[2:], errors[2:]):
            assert error == pytest.approx((norm * 3.0) ** 2 / 8, rel=0.02)


def test_asymptote_rows_describe_themselves():
    rows = losses.asymptote_errors("softplus", 2.0, MARGIN)
    assert [r["regime"] for r in rows] == ["large", "small"]
    assert rows[0]["margin_min"] == -3.0 and rows[0]["margin_max"] == 3.0
    with pytest.raises(ValueError):
        losses.asymptote_errors("zero_one", 2.0, MARGIN)
    with pytest.raises(ValueError):
        losses.small_norm_asymptote("zero_one", MARGIN, 1.0)
