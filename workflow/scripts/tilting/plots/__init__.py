"""Figures of the study: one module per stage (svm, toy, lenet), shared style here."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, *paths: str | os.PathLike, dpi: int = 120) -> None:
    """Save one figure under each path (format from the suffix: .png, .pdf, .svg), then close it."""
    for path in paths:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        os.replace(tmp, path)
    plt.close(fig)
