"""The claims table: every claim, in the article's order, evaluated on the run's tables."""

from __future__ import annotations

from typing import Callable, Mapping

import pandas as pd

from . import adversarial, lenet, svm, toy
from .rows import COLUMNS, REQUIRED_COLUMNS, ClaimsError, check_table

#: (function, the tables it reads) in the article's order: toy, SVM, LeNet. A function returns
#: one row, or a list of rows (the final test errors: one per network with a reference).
CLAIMS: list[tuple[Callable, tuple[str, ...]]] = [
    (toy.low_reg_tilts, ("toy_noisy_point",)),
    (toy.high_reg_resists, ("toy_noisy_point",)),
    (toy.loss_asymptotes, ("toy_loss_asymptotes",)),
    (toy.dadv_identity, ("toy_dadv_theta",)),
    (svm.identity, ("svm_metrics",)),
    (svm.certified, ("svm_metrics",)),
    (svm.err_train_falls, ("svm_metrics",)),
    (svm.dadv_rises, ("svm_metrics",)),
    (svm.theta_high_lambda, ("svm_metrics",)),
    (svm.test_error_intermediate, ("svm_metrics",)),
    (svm.poorly_adjusted, ("svm_metrics",)),
    (svm.hard_pair_near_90, ("svm_metrics",)),
    (svm.hard_vs_easy_theta, ("svm_metrics",)),
    (lenet.final_test_errors, ("lenet_history", "lenet_summary")),
    (lenet.high_better, ("lenet_history", "lenet_summary")),
    (lenet.high_train_equals_test, ("lenet_history", "lenet_summary")),
    (lenet.high_less_overfitted, ("lenet_history", "lenet_summary")),
    (lenet.weight_rms_lower, ("lenet_weights_rms",)),
    (lenet.weight_rms_much_lower, ("lenet_weights_rms",)),
    (lenet.weight_rms_depth, ("lenet_weights_rms",)),
    (adversarial.per_digit_larger, ("lenet_adversarial",)),
    (adversarial.mean_larger, ("lenet_adversarial",)),
    (adversarial.mean_about_three, ("lenet_adversarial",)),
    (adversarial.looks_like_target, ("lenet_adversarial",)),
]


def evaluate(tables: Mapping[str, pd.DataFrame | None], criteria: Mapping) -> pd.DataFrame:
    """Every claim on ``tables`` (name -> DataFrame, or None/absent for a stage not run),
    with the criteria of config["claims"]."""
    for name, table in tables.items():
        if name not in REQUIRED_COLUMNS:
            raise ClaimsError(f"unknown table {name!r}; expected one of {sorted(REQUIRED_COLUMNS)}")
        check_table(name, table)
    rows = []
    for function, names in CLAIMS:
        result = function(*(tables.get(name) for name in names), criteria)
        rows.extend(result if isinstance(result, list) else [result])
    return pd.DataFrame(rows, columns=COLUMNS)
