"""The files a trained LeNet is kept in: its model (.npz, no pickle) and its training history
(.csv); and the RMS of its weights, read from a saved model.

What these files hold is read later; editing this module reruns no training (after changing
what a model file holds, rerun the training with ``--forcerun lenet_train``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import torch

from .data import atomic_path, atomic_savez
from .lenet import LAYERS, LeNet

if TYPE_CHECKING:  # readers of a model file need not import the training code
    from .lenet_training import TrainSettings

#: columns of a network's history.csv: results only; the seconds of each epoch go to the job's log
HISTORY_COLUMNS = ("epoch", "train_error", "train_loss", "test_error", "test_loss")


def save_model(path: str | os.PathLike, model: LeNet, mean_image: np.ndarray, settings: TrainSettings) -> None:
    """Weights, biases and the mean image as float32 arrays in one .npz (no pickle)."""
    arrays = {
        f"{name}.{kind}": getattr(getattr(model, name), kind).detach().cpu().contiguous().numpy()
        for name in LAYERS
        for kind in ("weight", "bias")
    }
    atomic_savez(path, mean_image=mean_image, settings=np.array(json.dumps(asdict(settings))), **arrays)


def load_model(path: str | os.PathLike, dtype=torch.float32) -> tuple[LeNet, np.ndarray, dict]:
    """(model in eval mode on the CPU, mean image (28, 28) float32, settings dict)."""
    model = LeNet()
    with np.load(path) as archive:
        state = {key: torch.from_numpy(archive[key]) for key in archive.files if "." in key}
        mean_image = archive["mean_image"]
        settings = json.loads(str(archive["settings"]))
    model.load_state_dict(state)
    return model.to(dtype).eval(), mean_image, settings


def weight_rms(model: LeNet) -> dict[str, float]:
    """Root mean square of each layer's weights (biases excluded)."""
    return {
        name: float(getattr(model, name).weight.detach().double().pow(2).mean().sqrt())
        for name in LAYERS
    }


def write_history(path: str | os.PathLike, history: list[dict]) -> None:
    import pandas as pd

    with atomic_path(path) as tmp:
        pd.DataFrame(history, columns=list(HISTORY_COLUMNS)).to_csv(tmp, index=False)
