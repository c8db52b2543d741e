"""MNIST IDX files, their checksums, and the per-pair training samples (method §4)."""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The four MNIST files, named as torchvision and the original site name them.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_IDX_UBYTE = 0x08


class DataError(Exception):
    """A bad or missing input file; the message names the file."""


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header of a uint8 array: magic 0x0000 08 ndim, then big-endian dimensions."""
    return bytes([0, 0, _IDX_UBYTE, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    """The decompressed bytes of an IDX file, ``path`` or ``path.gz`` (whichever exists)."""
    path = Path(path)
    candidates = [path] if path.suffix == ".gz" else [path, path.with_name(path.name + ".gz")]
    for candidate in candidates:
        if candidate.exists():
            if candidate.suffix != ".gz":
                return candidate.read_bytes()
            try:
                with gzip.open(candidate, "rb") as handle:
                    return handle.read()
            except (EOFError, OSError, zlib.error) as err:
                raise DataError(f"{candidate}: corrupted or truncated gzip file ({err})") from err
    raise DataError(f"{path}: file not found (nor {path.name}.gz)")


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
    raw = read_idx_bytes(path)
    if md5 is not None:
        actual = hashlib.md5(raw).hexdigest()
        if actual != md5:
            raise DataError(f"{path}: md5 mismatch, expected {md5}, got {actual} (corrupted or truncated file)")
    return parse_idx(raw, str(path))


@dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray  # (60000, 28, 28) uint8, 0-255
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray
    test_labels: np.ndarray


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
    """Download MNIST with torchvision (which checks the archives' md5); returns MNIST/raw."""
    from torchvision.datasets import MNIST  # heavy import, only for this path

    for train in (True, False):
        MNIST(str(root), train=train, download=True)
    return Path(root) / "MNIST" / "raw"


def save_mnist(path: str | os.PathLike, mnist: Mnist) -> None:
    """Write the compact uint8 archive (uncompressed .npz: loads in milliseconds)."""
    atomic_savez(path, **mnist.__dict__)


def read_mnist(path: str | os.PathLike) -> Mnist:
    with np.load(path) as archive:
        return Mnist(**{key: archive[key] for key in MNIST_FILES})


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


def parse_pair(pair: str) -> tuple[int, int]:
    """'7v9' -> (7, 9); requires digits a < b."""
    try:
        a_text, b_text = pair.split("v")
        a, b = int(a_text), int(b_text)
    except ValueError as err:
        raise ValueError(f"pair {pair!r}: expected 'AvB' with digits A < B") from err
    if not (0 <= a < b <= 9 and len(a_text) == len(b_text) == 1):
        raise ValueError(f"pair {pair!r}: expected 'AvB' with digits 0 <= A < B <= 9")
    return a, b


def all_pairs() -> list[str]:
    return [f"{a}v{b}" for a in range(10) for b in range(a + 1, 10)]


def sample_digit(labels: np.ndarray, digit: int, count: int, method: str, seed: int | None = None) -> np.ndarray:
    """Indices (into the training file) of ``count`` images of ``digit``.

    ``first``: the first ``count`` in file order (the authors' sample).
    ``random``: a sample drawn with a generator seeded by (seed, digit) alone, so a
    digit's sample is the same whichever pair or set of pairs asks for it; returned
    in file order.
    """
    positions = np.flatnonzero(labels == digit)
    if count > positions.size:
        raise DataError(f"digit {digit}: {count} images per class requested, only {positions.size} available")
    if method == "first":
        return positions[:count]
    if method == "random":
        if seed is None:
            raise ValueError("sample.method 'random' needs sample.seed")
        rng = np.random.default_rng([seed, digit])
        return np.sort(rng.choice(positions, size=count, replace=False))
    raise ValueError(f"sample.method {method!r}: expected 'first' or 'random'")


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
    z_hat: np.ndarray  # (j - i)/||j - i||
    digits: np.ndarray  # [a, b]


def make_pair(mnist: Mnist, a: int, b: int, images_per_class: int, method: str, seed: int | None = None) -> PairData:
    """Balanced training sample of digits a (y=-1) and b (y=+1) plus their test images
    (``seed``: only the random sample uses it)."""
    from .geometry import nearest_centroid_direction

    index_a = sample_digit(mnist.train_labels, a, images_per_class, method, seed)
    index_b = sample_digit(mnist.train_labels, b, images_per_class, method, seed)
    index_train = np.concatenate([index_a, index_b])
    x_train = mnist.train_images[index_train].reshape(len(index_train), -1)
    y_train = np.concatenate([-np.ones(index_a.size, np.int8), np.ones(index_b.size, np.int8)])
    test = np.flatnonzero((mnist.test_labels == a) | (mnist.test_labels == b))
    x_test = mnist.test_images[test].reshape(len(test), -1)
    y_test = np.where(mnist.test_labels[test] == a, -1, 1).astype(np.int8)
    centroid_i = x_train[: index_a.size].mean(axis=0, dtype=np.float64)
    centroid_j = x_train[index_a.size :].mean(axis=0, dtype=np.float64)
    return PairData(
        x_train=x_train,
        y_train=y_train,
        index_train=index_train,
        x_test=x_test,
        y_test=y_test,
        centroid_i=centroid_i,
        centroid_j=centroid_j,
        mean_image=x_train.mean(axis=0, dtype=np.float64),
        z_hat=nearest_centroid_direction(centroid_i, centroid_j),
        digits=np.array([a, b]),
    )


def save_pair(path: str | os.PathLike, pair: PairData) -> None:
    atomic_savez(path, **pair.__dict__)


def read_pair(path: str | os.PathLike) -> PairData:
    with np.load(path) as archive:
        return PairData(**{key: archive[key] for key in PairData.__dataclass_fields__})
