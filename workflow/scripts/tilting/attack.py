"""Softmax temperature calibration and targeted adversarial examples (method §5).

Temperature: the t for which the median over the test set of the top-1 probability
max_i softmax(s(x)/t)_i equals ``median_probability`` (0.95). The top-1 probability of
every image falls as t grows, so the median does too: bisection on log t.

Attack (the article's footnote 10): for a test image x of label y and target
l = (y + 1) mod 10, iterate

    x' <- clip_[0, 255](x' + step * grad p_l(x') / ||grad p_l(x')||)

until p_l(x') >= target_probability under the calibrated temperature, or until
``max_iterations`` steps (then the example is flagged ``capped``). The images are on the
0-255 scale, so a step moves x' by at most ``step`` grey levels in L2 norm. Since
grad p_l = p_l grad log p_l with p_l > 0, the normalised ascent direction is computed from
log p_l, which does not underflow when p_l is tiny. The attack runs in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .settings import ConfigError

#: Lowest and highest log t the bisection brackets before giving up.
LOG_T_LIMIT = 60.0


def target_label(label: int, classes: int = 10) -> int:
    """The cyclic permutation of the article: 0 -> 1, ..., 9 -> 0."""
    return (int(label) + 1) % classes


def choose_images(test_labels: np.ndarray, seed: int, digits=range(10)) -> dict[int, int]:
    """One test image per digit: digit -> its index in the test set.

    Drawn with a generator seeded by (seed, digit) alone, so the choice of a digit does
    not depend on the other digits nor on the network.
    """
    return {digit: chosen[0] for digit, chosen in choose_images_per_digit(test_labels, seed, 1, digits).items()}


def choose_images_per_digit(test_labels: np.ndarray, seed: int, count: int, digits=range(10)) -> dict[int, list[int]]:
    """``count`` distinct test images per digit: digit -> their indices in the test set.

    The first is ``choose_images``'s image (the article's attack image); the others follow
    from the same (seed, digit) generator, so a larger ``count`` only adds images.
    """
    chosen = {}
    for digit in digits:
        positions = np.flatnonzero(np.asarray(test_labels) == digit)
        if positions.size < count or positions.size == 0:
            raise ConfigError(f"attack: the test set has {positions.size} images of digit {digit}, {max(count, 1)} needed")
        rng = np.random.default_rng([int(seed), int(digit)])
        first = int(rng.integers(positions.size))
        rest = rng.permutation(np.delete(positions, first))[: count - 1] if count > 1 else []
        chosen[int(digit)] = [int(positions[first]), *(int(index) for index in rest)]
    return chosen


# ---- temperature --------------------------------------------------------------


def top1_probabilities(scores: np.ndarray, temperature: float) -> np.ndarray:
    """max_i softmax(s/t)_i per row, computed stably in float64."""
    s = np.asarray(scores, dtype=np.float64) / temperature
    s = s - s.max(axis=1, keepdims=True)
    return 1.0 / np.exp(s).sum(axis=1)


def median_top1(scores: np.ndarray, temperature: float) -> float:
    return float(np.median(top1_probabilities(scores, temperature)))


@dataclass(frozen=True)
class Calibration:
    temperature: float
    median_probability: float  # the median achieved at ``temperature``
    iterations: int  # bisection steps


def calibrate_temperature(scores: np.ndarray, median_probability: float, tolerance: float = 1e-4) -> Calibration:
    """t with median_x max softmax(s(x)/t) = median_probability, bisection on log t.

    The bracket [lo, hi] on log t starts at [-1, 1] and doubles until it holds the root;
    bisection stops when hi - lo < ``tolerance``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    classes = scores.shape[1]
    if not (1.0 / classes < median_probability < 1.0):
        raise ConfigError(
            f"attack.median_probability: {median_probability} must lie strictly between 1/{classes} and 1"
        )

    def excess(log_t: float) -> float:  # falls as log t grows
        return median_top1(scores, math.exp(log_t)) - median_probability

    lo, hi = -1.0, 1.0
    while excess(lo) < 0:
        lo *= 2
        if lo < -LOG_T_LIMIT:
            raise ValueError("temperature calibration: the median top-1 probability stays below the target")
    while excess(hi) > 0:
        hi *= 2
        if hi > LOG_T_LIMIT:
            raise ValueError("temperature calibration: the median top-1 probability stays above the target")
    iterations = 0
    while hi - lo >= tolerance:
        mid = 0.5 * (lo + hi)
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
        iterations += 1
    temperature = math.exp(0.5 * (lo + hi))
    return Calibration(temperature, median_top1(scores, temperature), iterations)


@torch.no_grad()
def network_scores(model, mean_image: np.ndarray, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Class scores s(x) (n, 10) of images on the 0-255 scale, in the model's dtype."""
    dtype = next(model.parameters()).dtype
    mean = torch.as_tensor(np.asarray(mean_image), dtype=dtype)
    out = []
    for start in range(0, len(images), batch):
        x = torch.as_tensor(np.asarray(images[start : start + batch]), dtype=dtype)
        out.append(model((x - mean)[:, None]).double().numpy())
    return np.concatenate(out) if out else np.zeros((0, 10))


# ---- attack ------------------------------------------------------------------------


def log_probability(model, mean: torch.Tensor, x: torch.Tensor, target: int, temperature: float) -> torch.Tensor:
    """log p_target(x) = log softmax(s(x - mean)/t)_target for one image x (28, 28)."""
    scores = model((x - mean)[None, None])[0]
    return F.log_softmax(scores / temperature, dim=0)[target]


def ascent_direction(model, mean, x, target, temperature) -> tuple[float, torch.Tensor]:
    """(p_target(x), grad p_target / ||grad p_target||); the direction is 0 where the gradient is."""
    x = x.detach().requires_grad_(True)
    log_p = log_probability(model, mean, x, target, temperature)
    (grad,) = torch.autograd.grad(log_p, x)
    norm = grad.norm()
    direction = grad / norm if norm > 0 else torch.zeros_like(grad)
    return float(log_p.detach().exp()), direction


def attack_step(x: torch.Tensor, direction: torch.Tensor, step: float) -> torch.Tensor:
    """x' <- clip_[0, 255](x' + step * direction)."""
    return (x + step * direction).clamp(0.0, 255.0)


@dataclass
class AttackResult:
    label: int
    target: int
    iterations: int  # steps taken
    p_target: float  # p_target of the final image
    p_initial: float  # p_target of the original image
    l2: float  # ||x' - x||_2 on the 0-255 scale
    linf: float
    capped: bool  # stopped by max_iterations (or a zero gradient) before reaching the target
    original: np.ndarray  # (28, 28) float64, 0-255
    adversarial: np.ndarray


def targeted_attack(
    model,
    mean_image: np.ndarray,
    image: np.ndarray,
    label: int,
    temperature: float,
    *,
    target_probability: float,
    step: float,
    max_iterations: int,
    log=None,
    log_every: int = 1000,
) -> AttackResult:
    """Gradient ascent on p_target from ``image`` (0-255) until p_target >= target_probability."""
    model = model.double().eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    mean = torch.as_tensor(np.asarray(mean_image), dtype=torch.float64)
    original = torch.as_tensor(np.asarray(image), dtype=torch.float64).reshape(28, 28)
    target = target_label(label)
    x = original.clone()
    p_initial = None
    capped = False
    iterations = 0
    while True:
        p, direction = ascent_direction(model, mean, x, target, temperature)
        if p_initial is None:
            p_initial = p
        if p >= target_probability:
            break
        if iterations >= max_iterations or not bool(direction.abs().sum() > 0):
            capped = True
            break
        x = attack_step(x, direction, step)
        iterations += 1
        if log and iterations % log_every == 0:
            log.info("iteration %d: p_%d = %.4f, ||x' - x||_2 = %.1f", iterations, target, p, float((x - original).norm()))
    delta = (x - original).numpy()
    return AttackResult(
        label=int(label),
        target=target,
        iterations=iterations,
        p_target=p,
        p_initial=p_initial,
        l2=float(np.sqrt((delta**2).sum())),
        linf=float(np.abs(delta).max()),
        capped=capped,
        original=original.numpy(),
        adversarial=x.numpy(),
    )
