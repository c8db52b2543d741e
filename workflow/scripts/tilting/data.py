"""The data files: the MNIST archive and the per-pair samples, written atomically.

Readers and writers only (they hold no computation of the workflow's results): the MNIST
IDX files are read by :mod:`tilting.mnist_idx` and the samples drawn by :mod:`tilting.pairs`,
the modules whose code the data rules track.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DataError(Exception):
    """A bad or missing input file; the message names the file."""


@dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray  # (60000, 28, 28) uint8, 0-255
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray
    test_labels: np.ndarray


def save_mnist(path: str | os.PathLike, mnist: Mnist) -> None:
    """Write the compact uint8 archive (uncompressed .npz: loads in milliseconds)."""
    atomic_savez(path, **mnist.__dict__)


def read_mnist(path: str | os.PathLike) -> Mnist:
    with np.load(path) as archive:
        return Mnist(**{key: archive[key] for key in Mnist.__dataclass_fields__})


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary name beside ``path`` to write to; renamed to ``path`` only on success.

    A killed or failing job then leaves no half-written output. The temporary name keeps
    the suffix (matplotlib picks the format from it) and starts with '.<name>.tmp'.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_savez(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """np.savez through atomic_path, with a fixed date in the archive: identical arrays give
    identical bytes (np.savez stamps each member with the time of writing)."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(member, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(value), allow_pickle=False)


@dataclass(frozen=True)
class PairData:
    """One digit pair's training sample and test set; images as rows, 0-255 scale."""

    x_train: np.ndarray  # (n, 784) uint8
    y_train: np.ndarray  # (n,) int8, -1 for digit a, +1 for digit b
    index_train: np.ndarray  # position of each image in the MNIST training file
    x_test: np.ndarray
    y_test: np.ndarray
    centroid_i: np.ndarray  # mean of class a (float64, 0-255 scale)
    centroid_j: np.ndarray  # mean of class b
    mean_image: np.ndarray  # mu, mean of the pair's training images
    digits: np.ndarray  # [a, b]


def save_pair(path: str | os.PathLike, pair: PairData) -> None:
    atomic_savez(path, **pair.__dict__)


def read_pair(path: str | os.PathLike) -> PairData:
    with np.load(path) as archive:
        return PairData(**{key: archive[key] for key in PairData.__dataclass_fields__})
