"""The minimal-L2 attack adapter (tilting.minimal_attack, foolbox's DDN) on tiny networks."""

import numpy as np
import pytest
import torch
from torch import nn

from tilting import attack, lenet
from tilting.minimal_attack import ZeroOneInput, minimal_l2


class LinearScores(nn.Module):
    """s(x) = W x + b on mean-subtracted 0-255 images: the exact minimal distances are known."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)

    def forward(self, x):
        return x.flatten(1) @ self.weight.T + self.bias


@pytest.fixture(scope="module")
def linear_case():
    """Two competing classes (0 and 1; the others' scores are -1000): the minimal perturbation
    to the other class is the distance to the hyperplane s_0 = s_1."""
    rng = np.random.default_rng(0)
    weight = torch.as_tensor(rng.normal(0, 1e-3, size=(10, 784)))
    bias = torch.full((10,), -1e3, dtype=torch.float64)
    bias[:2] = 0.0
    model = LinearScores(weight, bias).double()
    mean = np.full((28, 28), 128.0, np.float32)
    # distances of tens to hundreds of grey levels spread over all pixels: no pixel reaches 0
    # or 255, so the minimum is that of the unbounded problem
    images = rng.uniform(30, 225, size=(6, 28, 28)).astype(np.float32)
    x = torch.as_tensor(images, dtype=torch.float64).reshape(6, -1) - 128.0
    scores = model(x).detach().numpy()
    labels = scores.argmax(1)
    others = 1 - labels
    rows = np.arange(len(labels))
    w = weight.numpy()
    exact = (scores[rows, labels] - scores[rows, others]) / np.linalg.norm(w[labels] - w[others], axis=1)
    return model, mean, images, labels, others, exact


def test_zero_one_input_feeds_the_network_what_training_feeds_it():
    model = lenet.LeNet().double()
    lenet.init_weights(model, 0.05, torch.Generator().manual_seed(0))
    mean = np.random.default_rng(1).uniform(0, 80, size=(28, 28)).astype(np.float32)
    images = np.random.default_rng(2).integers(0, 256, size=(3, 28, 28)).astype(np.float64)
    expected = attack.network_scores(model, mean, images)
    got = ZeroOneInput(model, mean)(torch.as_tensor(images / 255.0)[:, None]).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("targeted", [True, False])
def test_distance_equals_the_exact_minimum_of_a_linear_network(linear_case, targeted):
    model, mean, images, labels, others, exact = linear_case
    assert set(labels) == {0, 1} and 20 < exact.min() and exact.max() < 400
    result = minimal_l2(model, mean, images, labels, others if targeted else None)
    assert result.found.all() and (result.predicted == others).all()
    assert result.adversarial.min() > 0 and result.adversarial.max() < 255
    np.testing.assert_allclose(result.l2, exact, rtol=1e-3)


def test_on_a_lenet_the_result_is_reproducible_consistent_and_below_the_articles_attack():
    model = lenet.LeNet()
    lenet.init_weights(model, 0.03, torch.Generator().manual_seed(3))
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(2, 28, 28)).astype(np.uint8)
    mean = images.astype(np.float32).mean(axis=0)
    labels = attack.network_scores(model, mean, images).argmax(1)
    targets = (labels + 1) % 10
    first = minimal_l2(model, mean, images, labels, targets, steps=100)
    again = minimal_l2(model, mean, images, labels, targets, steps=100)
    np.testing.assert_array_equal(first.l2, again.l2)
    np.testing.assert_array_equal(first.adversarial, again.adversarial)
    assert first.found.all()
    assert first.adversarial.min() >= 0 and first.adversarial.max() <= 255
    delta = first.adversarial.astype(np.float64) - images
    np.testing.assert_allclose(first.l2, np.sqrt((delta**2).sum(axis=(1, 2))), rtol=1e-5)
    scores = attack.network_scores(model, mean, first.adversarial)
    assert (scores.argmax(1) == targets).all()
    # the article's attack ends where p_target > 1/2, inside the target's region: a minimal
    # perturbation to that region is no longer
    for k in range(len(images)):
        article = attack.targeted_attack(
            model, mean, images[k], int(labels[k]), temperature=1.0, step=4.0, target_probability=0.5,
            max_iterations=20_000,
        )
        assert not article.capped
        assert first.l2[k] <= article.l2
