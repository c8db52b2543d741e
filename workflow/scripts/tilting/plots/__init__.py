"""Figures of the study: one module per stage (svm, toy, lenet), shared style here."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..data import atomic_path  # noqa: E402


#: savefig metadata per format that leaves out what differs between identical runs
_NO_DATES = {
    ".pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
}


def save_figure(fig, *paths: str | os.PathLike, dpi: int = 120) -> None:
    """Save one figure under each path (format from the suffix: .png, .pdf, .svg), then close it.

    No creation date or software version in the files: identical runs write identical bytes.
    """
    for path in paths:
        suffix = Path(path).suffix.lower()
        metadata = _NO_DATES.get(suffix)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
