"""Small synthetic stage tables for the claims tests: each builder makes a table on which every
claim it feeds PASSes (the article's behaviour and magnitudes); the tests edit one number to
build a counterexample."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
#: The criteria of config.yaml: the only source of the claims' numbers.
CRITERIA = yaml.safe_load((REPO / "config.yaml").read_text())["claims"]
LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def svm_table(pairs=("0v1", "7v9", "1v8"), alphas=None) -> pd.DataFrame:
    """Models that behave as the article says: theta falls with lambda, err_train rises, err_test is U-shaped."""
    alphas = np.arange(-1.0, 7.01, 1.0) if alphas is None else np.asarray(alphas, float)
    low_theta = {"0v1": 55.0, "7v9": 85.0, "1v8": 70.0}
    half_distance = {"0v1": 1500.0, "7v9": 700.0, "1v8": 1100.0}
    rows = []
    for pair in pairs:
        for k, alpha in enumerate(alphas):
            frac = k / max(len(alphas) - 1, 1)
            last = k == len(alphas) - 1 and len(alphas) > 1
            theta = low_theta[pair] * (1 - frac) ** 2
            err_train = 0.001 + 0.01 * frac**2 + (0.25 if pair == "1v8" and last else 0.0)
            err_test = 0.03 - 0.04 * frac + 0.05 * frac**2 + (0.25 if pair == "1v8" and last else 0.0)
            rows.append(
                {
                    "pair": pair,
                    "alpha": alpha,
                    "lam": 10.0**alpha,
                    "theta_deg": theta,
                    "theta_rad": math.radians(theta),
                    "d_adv": half_distance[pair] * math.cos(math.radians(theta)),
                    "err_train": err_train,
                    "err_test": err_test,
                    "identity_residual_rel": 1e-15 * (k + 1),
                    "gap": 1e-8 * (k + 1),
                    "bias_unique": not last,
                }
            )
    return pd.DataFrame(rows)


def edit(table: pd.DataFrame, pair: str, alpha: float | None, column: str, value) -> pd.DataFrame:
    """A copy with ``column`` set to ``value`` for one pair (at one alpha, or at all)."""
    table = table.copy()
    mask = table["pair"] == pair
    if alpha is not None:
        mask &= np.isclose(table["alpha"], alpha)
    table.loc[mask, column] = value
    return table


def value_at(table: pd.DataFrame, pair: str, alpha: float, column: str) -> float:
    return float(table.loc[(table["pair"] == pair) & np.isclose(table["alpha"], alpha), column].iloc[0])


def noisy_table(low_fits=True, high_fits=False) -> pd.DataFrame:
    rows = []
    for model in ("svm", "logistic"):
        for regularization, lam, theta, fits in (("low", 1e-4, 60.0, low_fits), ("high", 1.0, 3.0, high_fits)):
            rows.append(
                {
                    "model": model,
                    "regularization": regularization,
                    "lam": lam,
                    "theta_deg": theta,
                    "fits_noisy_point": fits,
                }
            )
    return pd.DataFrame(rows)


def asymptote_table() -> pd.DataFrame:
    rows = []
    for loss in ("hinge", "softplus"):
        for w in (0.1, 0.5, 1.0, 5.0, 50.0):
            rows.append({"loss": loss, "w_norm": w, "regime": "large", "max_abs_error": 0.7 / w})
            rows.append({"loss": loss, "w_norm": w, "regime": "small", "max_abs_error": 0.1 * w**2})
    return pd.DataFrame(rows)


def dadv_table(distance=2.0) -> pd.DataFrame:
    theta = np.linspace(0, 89, 30)
    identity = 0.5 * distance * np.cos(np.radians(theta))
    return pd.DataFrame({"theta_deg": theta, "d_adv": identity * (1 + 1e-14), "identity": identity})


def history_table(final=None) -> pd.DataFrame:
    """Five epochs per network, ending at final[net] = (train error, test error)."""
    final = final or {"low": (0.002, 0.016), "high": (0.011, 0.012)}
    rows = []
    for net, (train, test) in final.items():
        for epoch in range(1, 6):
            scale = 1 + (5 - epoch) * 0.5
            rows.append(
                {"net": net, "epoch": epoch, "train_error": train * scale, "test_error": test * scale, "seconds": 1.0}
            )
    return pd.DataFrame(rows)


def summary_table(test_images=10000, nets=("low", "high")) -> pd.DataFrame:
    return pd.DataFrame({"net": list(nets), "test_images": test_images})


def rms_table(low=(0.2, 0.1, 0.05, 0.2), high=(0.1, 0.02, 0.001, 0.002)) -> pd.DataFrame:
    """Ratios low/high 2, 5, 50, 100: much lower everywhere, most in the deepest layers."""
    rows = [{"net": "low", "layer": layer, "rms": v} for layer, v in zip(LAYERS, low)]
    rows += [{"net": "high", "layer": layer, "rms": v} for layer, v in zip(LAYERS, high)]
    return pd.DataFrame(rows)


def adversarial_table(low_l2=None, high_l2=None, low_likeness=None, high_likeness=None) -> pd.DataFrame:
    """LeNet_high's perturbations 3 times larger for every digit, and more like the target."""
    columns = {
        ("low", "l2"): low_l2 if low_l2 is not None else [200.0 + 10 * d for d in range(10)],
        ("high", "l2"): high_l2 if high_l2 is not None else [600.0 + 30 * d for d in range(10)],
        ("low", "target_likeness"): low_likeness if low_likeness is not None else [0.10 + 0.01 * d for d in range(10)],
        ("high", "target_likeness"): high_likeness if high_likeness is not None else [0.30 + 0.01 * d for d in range(10)],
    }
    rows = []
    for net in ("low", "high"):
        for digit in range(10):
            rows.append(
                {
                    "net": net,
                    "digit": digit,
                    "target": (digit + 1) % 10,
                    "iterations": int(columns[net, "l2"][digit]),
                    "p_target": 0.95,
                    "l2": columns[net, "l2"][digit],
                    "linf": 50.0,
                    "capped": False,
                    "temperature": 1.0,
                    "target_likeness": columns[net, "target_likeness"][digit],
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
        "lenet_summary": summary_table(),
        "lenet_weights_rms": rms_table(),
        "lenet_adversarial": adversarial_table(),
    }
