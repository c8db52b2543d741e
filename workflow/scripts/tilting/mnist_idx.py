"""MNIST's IDX files: parsing, md5 checks, the torchvision download (the ``mnist`` rule's code).

An edit here reruns the ``mnist`` rule and so everything downstream (its ``code`` param); the
archive's reader and writer live in :mod:`tilting.data`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from .data import DataError, Mnist

#: The four MNIST files, named as torchvision and the original site name them.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_IDX_UBYTE = 0x08


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header of a uint8 array: magic 0x0000 08 ndim, then big-endian dimensions."""
    return bytes([0, 0, _IDX_UBYTE, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)


def _idx_candidates(path: Path) -> list[Path]:
    """Where IDX file ``path`` may lie: itself, or compressed beside it."""
    return [path] if path.suffix == ".gz" else [path, path.with_name(path.name + ".gz")]


def idx_file(path: str | os.PathLike) -> Path:
    """The file that holds IDX file ``path``: itself or ``path.gz``, whichever exists."""
    path = Path(path)
    for candidate in _idx_candidates(path):
        if candidate.exists():
            return candidate
    raise DataError(f"{path}: file not found (nor {path.name}.gz)")


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    """The decompressed bytes of an IDX file, ``path`` or ``path.gz`` (whichever exists)."""
    source = idx_file(path)
    try:
        if source.suffix != ".gz":
            return source.read_bytes()
        with gzip.open(source, "rb") as handle:
            return handle.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{source}: corrupted or truncated gzip file ({err})") from err
    except OSError as err:
        raise DataError(f"{source}: cannot be read ({err.strerror or err})") from err


def parse_idx(raw: bytes, name: str = "<idx>") -> np.ndarray:
    """Parse IDX bytes of unsigned bytes into an array of the declared shape."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{name}: not an IDX file (bad magic number)")
    if raw[2] != _IDX_UBYTE:
        raise DataError(f"{name}: IDX type 0x{raw[2]:02x} is not unsigned byte")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(f"{name}: IDX size {len(raw)} bytes, expected {expected} for shape {shape} (truncated?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def load_idx(path: str | os.PathLike, md5: str | None = None) -> np.ndarray:
    """Read one IDX file (plain or .gz), checking the md5 of its decompressed bytes."""
    source = idx_file(path)
    raw = read_idx_bytes(source)  # finds source itself
    if md5 is not None:
        actual = hashlib.md5(raw).hexdigest()
        if actual != md5:
            raise DataError(f"{source}: md5 mismatch, expected {md5}, got {actual} (corrupted or truncated file)")
    return parse_idx(raw, str(source))


def load_mnist_raw(raw_dir: str | os.PathLike, checksums: dict[str, str]) -> Mnist:
    """The four MNIST files from a folder of IDX files (plain or .gz), each checked against its
    md5 in ``checksums`` (file name -> md5 of the decompressed file; config.yaml's
    data.checksums holds the published ones)."""
    arrays = {}
    for key, name in MNIST_FILES.items():
        if name not in checksums:
            raise DataError(f"{name}: no md5 given to check it against (data.checksums)")
        arrays[key] = load_idx(Path(raw_dir) / name, checksums[name])
    mnist = Mnist(**arrays)
    for split in ("train", "test"):
        images, labels = getattr(mnist, f"{split}_images"), getattr(mnist, f"{split}_labels")
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{raw_dir}: {split} images {images.shape} and labels {labels.shape} do not match")
        if labels.size and labels.max() > 9:
            raise DataError(f"{raw_dir}: {split} labels outside 0-9")
    return mnist


def download_mnist(root: str | os.PathLike) -> Path:
    """root/MNIST/raw, downloaded there with torchvision (which checks the archives' md5) unless
    the four files already are (the md5 checks of :func:`load_mnist_raw` follow either way).

    Files already there are not parsed by torchvision: a damaged one is then reported by
    load_mnist_raw, by name. A failed download is one line naming the folder.
    """
    raw = Path(root) / "MNIST" / "raw"
    if all(any(c.exists() for c in _idx_candidates(raw / name)) for name in MNIST_FILES.values()):
        return raw
    from torchvision.datasets import MNIST  # heavy import, only for this path

    try:
        MNIST(str(root), train=True, download=True)  # downloads all four files
    except Exception as err:  # torchvision raises RuntimeError, URLError, OSError, ...
        reason = " ".join(str(err).split())[:300]
        raise DataError(
            f"{raw}: MNIST download failed ({reason}); without internet, set data.offline_dir to a "
            "folder holding MNIST/raw/ (make run MNIST_DIR=...)"
        ) from err
    return raw
