"""LeNet on MNIST as MatConvNet's MNIST baseline defines it (method §5): the network.

The network (``cnn_mnist_init`` of MatConvNet, baseline variant, 431,080 parameters)::

    conv 5x5, 1 -> 20   max-pool 2x2/2   conv 5x5, 20 -> 50   max-pool 2x2/2
    conv 4x4, 50 -> 500 (fully connected)   ReLU   conv 1x1, 500 -> 10   softmax log-loss

Weights f * randn with f = 1/100, biases 0. Inputs are MNIST images on the 0-255 scale
minus the mean training image. How it is trained: :mod:`tilting.lenet_training`; the files a
trained network is kept in: :mod:`tilting.lenet_files`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .settings import ConfigError

#: Layers in order, as the article names them (Conv1, Conv2, FC1, FC2).
LAYERS = ("conv1", "conv2", "fc1", "fc2")

#: Shapes of the weights (out, in, height, width), MatConvNet's baseline LeNet.
WEIGHT_SHAPES = {
    "conv1": (20, 1, 5, 5),
    "conv2": (50, 20, 5, 5),
    "fc1": (500, 50, 4, 4),
    "fc2": (10, 500, 1, 1),
}


class LeNet(nn.Module):
    """MatConvNet's MNIST baseline. Input (N, 1, 28, 28), mean-subtracted, 0-255 scale."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Conv2d(50, 500, 4)
        self.fc2 = nn.Conv2d(500, 10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.conv1(x), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)  # (N, 50, 4, 4)
        # fc1 (a 4x4 convolution of a 4x4 map) and fc2 (1x1) are matrix products: computed
        # as such, they are the same functions as the convolutions, and faster on a CPU.
        x = F.relu(F.linear(x.flatten(1), self.fc1.weight.flatten(1), self.fc1.bias))
        return F.linear(x, self.fc2.weight.flatten(1), self.fc2.bias)  # (N, 10) class scores

    def forward_convolutions(self, x: torch.Tensor) -> torch.Tensor:
        """The same network with fc1 and fc2 applied as convolutions (a reference for tests)."""
        x = F.max_pool2d(self.conv1(x), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)
        x = F.relu(self.fc1(x))
        return self.fc2(x).flatten(1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def init_weights(model: LeNet, scale: float, generator: torch.Generator) -> None:
    """Weights scale * N(0, 1) (drawn layer by layer, in layer order), biases 0."""
    with torch.no_grad():
        for name in LAYERS:
            layer = getattr(model, name)
            layer.weight.copy_(scale * torch.randn(layer.weight.shape, generator=generator))
            layer.bias.zero_()


def resolve_device(name: str) -> torch.device:
    """``auto``: CUDA when present, else CPU. ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("lenet.device: cuda requested but no CUDA device is available")
    return torch.device(name)


def configure_torch(device: torch.device, threads: int | None = None) -> None:
    """Deterministic kernels; ``threads`` CPU threads (None leaves torch's default)."""
    if threads:
        torch.set_num_threads(int(threads))
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
