"""How a LeNet (:mod:`tilting.lenet`) is trained: MatConvNet's ``cnn_train`` (method §5).

The optimiser is ``cnn_train``'s (2016)::

    g <- dL/dW (L: summed log-loss of the batch / batch size) + lambda W
    m <- mu m - g ;  W <- W + eta m

with learning-rate and weight-decay multipliers 1 on every parameter, biases included.
PyTorch's ``SGD(lr=eta, momentum=mu, weight_decay=lambda, dampening=0)`` is the same
update with its buffer equal to -m. Like ``cnn_train``, the summed loss of a batch is
divided by the nominal batch size, also for a last, shorter batch (the mean loss when
the batch size divides the training set, as it does for MNIST: 60000 = 200 x 300).

Training batches are reshuffled every epoch with a seeded generator. The reported
training error and loss are the running values over the epoch's mini-batches (each batch
scored by the forward pass that computes its gradient), as MatConvNet reports them; the
test error and loss are computed on the test set after each epoch.

Every epoch ends with an atomically written checkpoint (weights, momentum buffers, the
shuffling generator's state, the history so far and a hash of every setting that shapes
the result, and of the training code: this module and the network's). A job restarted after
being killed resumes from its last complete epoch and ends with the same weights and metrics
as an uninterrupted run; a checkpoint whose hash differs from the current settings is ignored.
The checkpoint of a finished network is kept: a rerun of its job (e.g. after Snakemake itself
was killed while training went on) reads it instead of training again. ``training_lock`` keeps
two processes from training the same network at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import lenet
from .data import Mnist, atomic_path
from .lenet import LeNet, configure_torch, count_parameters, init_weights, resolve_device
from .settings import ConfigError

#: Test images per forward pass when evaluating (memory only; results do not depend on it).
EVAL_BATCH = 2000

#: Version of the checkpoint layout: a checkpoint of another version is never resumed.
CHECKPOINT_VERSION = 2

#: Digest of the training code (the network's module and this one): a checkpoint written by
#: other training code is never resumed.
CODE_DIGEST = hashlib.sha256(Path(lenet.__file__).read_bytes() + Path(__file__).read_bytes()).hexdigest()


def make_optimizer(parameters, learning_rate: float, momentum: float, weight_decay: float):
    """``cnn_train``'s SGD: one group, decay and learning rate the same for weights and biases."""
    return torch.optim.SGD(
        parameters,
        lr=learning_rate,
        momentum=momentum,
        weight_decay=weight_decay,
        dampening=0.0,
        nesterov=False,
    )


@dataclass(frozen=True)
class TrainSettings:
    """Everything that shapes a trained network (one ``lenet.networks`` entry + shared keys).
    No defaults: config.yaml's lenet section holds them."""

    weight_decay: float
    epochs: int
    batch_size: int
    learning_rate: float
    momentum: float
    init_scale: float
    seed: int
    device: str
    train_images: int | None
    test_images: int | None

    @classmethod
    def from_dict(cls, values: dict) -> "TrainSettings":
        known = set(cls.__dataclass_fields__)
        unknown, missing = set(values) - known, known - set(values)
        if unknown:
            raise ConfigError(f"lenet: unknown training settings {sorted(unknown)}")
        if missing:
            raise ConfigError(f"lenet: training settings {sorted(missing)} missing")
        settings = cls(**values)
        if settings.epochs < 1 or settings.batch_size < 1:
            raise ConfigError("lenet: epochs and batch_size must be >= 1")
        if settings.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"lenet.device: {settings.device!r} is not auto, cpu or cuda")
        return settings


# ---- data ------------------------------------------------------------------


@dataclass
class LenetData:
    """Training and test tensors, mean-subtracted, on the training device."""

    x_train: torch.Tensor  # (n, 1, 28, 28) float32
    y_train: torch.Tensor  # (n,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean_image: np.ndarray  # (28, 28) float32, mean of the training images used
    fingerprint: str  # hash of the images and labels used


def select_images(mnist: Mnist, train_images: int | None, test_images: int | None):
    """The first ``train_images`` / ``test_images`` images in file order (None: all)."""
    n_train = len(mnist.train_labels) if train_images is None else int(train_images)
    n_test = len(mnist.test_labels) if test_images is None else int(test_images)
    if n_train > len(mnist.train_labels) or n_test > len(mnist.test_labels):
        raise ConfigError(
            f"lenet: {n_train} training / {n_test} test images requested, the data has "
            f"{len(mnist.train_labels)} / {len(mnist.test_labels)}"
        )
    return (
        mnist.train_images[:n_train],
        mnist.train_labels[:n_train],
        mnist.test_images[:n_test],
        mnist.test_labels[:n_test],
    )


def mean_training_image(train_images: np.ndarray) -> np.ndarray:
    """Mean training image on the 0-255 scale (float32, as MatConvNet's single precision)."""
    return train_images.astype(np.float64).mean(axis=0).astype(np.float32)


def centered(images: np.ndarray, mean_image: np.ndarray) -> torch.Tensor:
    """(n, 28, 28) uint8 -> (n, 1, 28, 28) float32 minus the mean image."""
    x = images.astype(np.float32) - mean_image
    return torch.from_numpy(np.ascontiguousarray(x[:, None]))


def prepare_data(mnist: Mnist, train_images: int | None, test_images: int | None, device) -> LenetData:
    xtr, ytr, xte, yte = select_images(mnist, train_images, test_images)
    if len(ytr) == 0 or len(yte) == 0:
        raise ConfigError("lenet: no training or test images")
    digest = hashlib.blake2b(digest_size=16)
    for array in (xtr, ytr, xte, yte):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    mean_image = mean_training_image(xtr)
    return LenetData(
        x_train=centered(xtr, mean_image).to(device),
        y_train=torch.from_numpy(ytr.astype(np.int64)).to(device),
        x_test=centered(xte, mean_image).to(device),
        y_test=torch.from_numpy(yte.astype(np.int64)).to(device),
        mean_image=mean_image,
        fingerprint=digest.hexdigest(),
    )


def settings_hash(settings: TrainSettings, data_fingerprint: str, device: torch.device, threads: int = 1) -> str:
    """Hash of everything a checkpoint's content depends on.

    The CPU thread count is part of it: parallel reductions may round differently with
    another count, and a resumed run must end exactly as an uninterrupted one.
    """
    payload = {
        "version": CHECKPOINT_VERSION,
        "settings": asdict(settings),
        "data": data_fingerprint,
        "device": device.type,
        "threads": int(threads) if device.type == "cpu" else None,
        "torch": torch.__version__,
        "code": CODE_DIGEST,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# ---- training ----------------------------------------------------------------


def train_epoch(model, optimizer, x, y, batch_size: int, generator: torch.Generator) -> tuple[float, float]:
    """One pass over a fresh permutation; returns the running (error, mean loss)."""
    model.train()
    n = len(y)
    order = torch.randperm(n, generator=generator).to(x.device)
    errors = torch.zeros((), dtype=torch.float64, device=x.device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        xb, yb = x[index], y[index]
        scores = model(xb)
        batch_loss = F.cross_entropy(scores, yb, reduction="sum")
        optimizer.zero_grad(set_to_none=False)
        (batch_loss / batch_size).backward()
        optimizer.step()
        with torch.no_grad():
            errors += (scores.argmax(1) != yb).sum()
            loss_sum += batch_loss.detach()
    return float(errors) / n, float(loss_sum) / n


@torch.no_grad()
def evaluate(model, x, y, batch: int = EVAL_BATCH) -> tuple[float, float]:
    """Top-1 error and mean log-loss of ``model`` on (x, y)."""
    model.eval()
    errors = 0
    loss_sum = 0.0
    for start in range(0, len(y), batch):
        scores = model(x[start : start + batch])
        yb = y[start : start + batch]
        errors += int((scores.argmax(1) != yb).sum())
        loss_sum += float(F.cross_entropy(scores, yb, reduction="sum"))
    return errors / len(y), loss_sum / len(y)


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(obj, handle)
        handle.flush()
        os.fsync(handle.fileno())


def load_checkpoint(path: str | os.PathLike, expected_hash: str, log=None):
    """The checkpoint at ``path`` if it was written with the same settings, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a damaged file is ignored, never trusted
        if log:
            log.warning("ignoring unreadable checkpoint %s (%s)", path, err)
        return None
    if not isinstance(state, dict) or state.get("hash") != expected_hash:
        if log:
            log.warning("ignoring checkpoint %s: written with other settings or data", path)
        return None
    return state


def log_epoch(log, row: dict, epochs: int, note: str = "") -> None:
    """One log line per epoch (a resumed job logs the checkpoint's epochs too)."""
    log.info(
        "epoch %d/%d: train error %.2f %% (loss %.4f), test error %.2f %% (loss %.4f), %.1f s%s",
        row["epoch"],
        epochs,
        100 * row["train_error"],
        row["train_loss"],
        100 * row["test_error"],
        row["test_loss"],
        row["seconds"],
        note,
    )


@contextmanager
def training_lock(path: str | os.PathLike, notify: Callable[[str], None] | None = None):
    """Hold an exclusive lock on ``path`` while one process trains one network.

    A second process waits until the first ends (``notify`` gets one line saying so) and
    then resumes from its checkpoint. The lock is the kernel's (flock): it is released when
    its holder ends, even by SIGKILL, so a lock file left on disk never blocks anyone.
    Yields the seconds waited (0.0 when the lock was free).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        waited = 0.0
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            if notify:
                notify(f"process {holder} is training this network ({path}); waiting for it to finish")
            start = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            waited = time.monotonic() - start
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield waited


@dataclass
class TrainResult:
    model: LeNet  # on the CPU
    history: list[dict]
    mean_image: np.ndarray
    settings: TrainSettings
    hash: str
    resumed_from: int  # epochs taken from a checkpoint (0: trained from scratch)


def train(
    mnist: Mnist,
    settings: TrainSettings,
    checkpoint: str | os.PathLike | None = None,
    log=None,
    threads: int | None = None,
    on_epoch: Callable[[int], None] | None = None,
    channels_last: bool | None = None,
) -> TrainResult:
    """Train one network; resume from ``checkpoint`` when it holds a matching state.

    ``on_epoch(epoch)`` is called after each epoch's checkpoint is written (tests use it
    to kill a run at a known point). ``channels_last`` (None: on the CPU only) stores
    weights and activations channels-last, which makes the CPU convolutions faster; the
    results equal the default layout's to float rounding.
    """
    previous_threads = torch.get_num_threads()
    try:
        return _train(mnist, settings, checkpoint, log, threads, on_epoch, channels_last)
    finally:
        torch.set_num_threads(previous_threads)


def _train(mnist, settings, checkpoint, log, threads, on_epoch, channels_last) -> TrainResult:
    device = resolve_device(settings.device)
    configure_torch(device, threads)
    data = prepare_data(mnist, settings.train_images, settings.test_images, device)
    run_hash = settings_hash(settings, data.fingerprint, device, torch.get_num_threads())

    model = LeNet()
    init_weights(model, settings.init_scale, torch.Generator().manual_seed(settings.seed))
    model = model.to(device)
    shuffle = torch.Generator().manual_seed(settings.seed + 1)
    optimizer = make_optimizer(model.parameters(), settings.learning_rate, settings.momentum, settings.weight_decay)
    history: list[dict] = []

    state = load_checkpoint(checkpoint, run_hash, log) if checkpoint else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["shuffle_rng"])
        torch.set_rng_state(state["torch_rng"])
        history = list(state["history"])
        if log:
            log.info("resuming from checkpoint %s after epoch %d; its epochs:", checkpoint, len(history))
            for row in history:
                log_epoch(log, row, settings.epochs, " (from the checkpoint)")
    resumed_from = len(history)

    if channels_last is None:
        channels_last = device.type == "cpu"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        data.x_train = data.x_train.contiguous(memory_format=torch.channels_last)
        data.x_test = data.x_test.contiguous(memory_format=torch.channels_last)

    if log and resumed_from == 0:
        log.info(
            "training LeNet (%d parameters) on %s: %d training / %d test images, %s",
            count_parameters(model),
            device,
            len(data.y_train),
            len(data.y_test),
            asdict(settings),
        )
    for epoch in range(resumed_from + 1, settings.epochs + 1):
        start = time.perf_counter()
        train_error, train_loss = train_epoch(
            model, optimizer, data.x_train, data.y_train, settings.batch_size, shuffle
        )
        test_error, test_loss = evaluate(model, data.x_test, data.y_test)
        seconds = time.perf_counter() - start
        if not all(math.isfinite(v) for v in (train_loss, test_loss)):
            raise FloatingPointError(f"epoch {epoch}: the loss is not finite (diverged)")
        history.append(
            dict(
                epoch=epoch,
                train_error=train_error,
                train_loss=train_loss,
                test_error=test_error,
                test_loss=test_loss,
                seconds=seconds,
            )
        )
        if checkpoint:
            atomic_torch_save(
                {
                    "hash": run_hash,
                    "settings": asdict(settings),
                    "model": {k: v.contiguous() for k, v in model.state_dict().items()},
                    "optimizer": optimizer.state_dict(),
                    "shuffle_rng": shuffle.get_state(),
                    "torch_rng": torch.get_rng_state(),
                    "history": history,
                },
                checkpoint,
            )
        if log:
            log_epoch(log, history[-1], settings.epochs)
        if on_epoch is not None:
            on_epoch(epoch)

    model = model.to("cpu", memory_format=torch.contiguous_format)
    return TrainResult(model, history, data.mean_image, settings, run_hash, resumed_from)
