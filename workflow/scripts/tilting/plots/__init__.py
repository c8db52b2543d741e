"""Figures of the study: one module per stage (svm, toy, lenet), shared style here."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..data import atomic_path  # noqa: E402


def save_figure(fig, *paths: str | os.PathLike, dpi: int = 120) -> None:
    """Save one figure under each path (format from the suffix: .png, .pdf, .svg), then close it."""
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
