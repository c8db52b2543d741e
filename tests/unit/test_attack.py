"""Temperature calibration and the targeted attack of method §5 (tilting.attack)."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tilting import attack, lenet
from tilting.settings import ConfigError


@pytest.fixture(autouse=True)
def one_thread():
    """Single-image passes: one thread is fastest (and immune to a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def net():
    """A random LeNet in float64 whose scores vary with the input, and a mean image."""
    model = lenet.LeNet()
    lenet.init_weights(model, 0.05, torch.Generator().manual_seed(0))
    model = model.double().eval()
    mean = np.random.default_rng(1).uniform(0, 60, size=(28, 28)).astype(np.float32)
    return model, mean


def test_target_is_the_cyclic_permutation():
    assert [attack.target_label(d) for d in range(10)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]


def test_calibration_hits_the_median():
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 4, size=(1001, 10))
    scores[np.arange(1001), rng.integers(0, 10, 1001)] += 6  # confident-ish predictions
    result = attack.calibrate_temperature(scores, 0.95)
    top1 = attack.top1_probabilities(scores, result.temperature)
    assert np.median(top1) == pytest.approx(0.95, abs=1e-4)
    assert result.median_probability == pytest.approx(np.median(top1), abs=0)
    # log t is bracketed to 1e-4: moving t by 2e-4 relative crosses the target
    assert attack.median_top1(scores, result.temperature * math.exp(-2e-4)) > 0.95
    assert attack.median_top1(scores, result.temperature * math.exp(2e-4)) < 0.95
    # softmax(s/t) top-1 computed directly
    s = scores[7] / result.temperature
    p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    assert top1[7] == pytest.approx(p.max(), rel=1e-12)


def test_calibration_brackets_very_small_and_large_temperatures():
    base = np.zeros((5, 10))
    base[:, 0] = 1.0
    for scale in (1e-6, 1e6):
        t = attack.calibrate_temperature(base * scale, 0.95).temperature
        assert attack.median_top1(base * scale, t) == pytest.approx(0.95, abs=1e-4)
        assert t / scale == pytest.approx(1 / math.log(0.95 * 9 / 0.05), rel=1e-3)


def test_calibration_rejects_unreachable_targets():
    with pytest.raises(ConfigError):
        attack.calibrate_temperature(np.ones((4, 10)), 0.05)
    with pytest.raises(ValueError, match="stays below"):
        attack.calibrate_temperature(np.ones((4, 10)), 0.5)  # all ties: top-1 is always 0.1


def test_images_are_one_per_digit_seeded_and_shared():
    labels = np.random.default_rng(0).integers(0, 10, size=500)
    chosen = attack.choose_images(labels, seed=3)
    assert sorted(chosen) == list(range(10))
    assert all(labels[index] == digit for digit, index in chosen.items())
    assert attack.choose_images(labels, seed=3, digits=[4]) == {4: chosen[4]}  # one job, one digit
    assert attack.choose_images(labels, seed=4) != chosen


def test_one_iteration_matches_the_formula_and_respects_the_clip(net):
    model, mean = net
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, size=(28, 28)).astype(np.float64)
    image[:5] = 0.0
    image[-5:] = 255.0
    scores = attack.network_scores(model, mean, image[None])[0]
    t = float(scores.max() - scores.min()) / 3  # p_target neither 0 nor 1 in float64
    target, step = int(np.argsort(scores)[5]), 40.0
    # the formula, with the gradient of p_l itself (not log p_l)
    x = torch.tensor(image, requires_grad=True)
    s = model((x - torch.as_tensor(mean, dtype=torch.float64))[None, None])[0]
    p = torch.softmax(s / t, dim=0)[target]
    assert 1e-6 < float(p.detach()) < 0.9
    (grad,) = torch.autograd.grad(p, x)
    unclipped = image + step * (grad / grad.norm()).numpy()
    expected = np.clip(unclipped, 0, 255)
    assert (unclipped < 0).any() and (unclipped > 255).any()  # the clip is active

    p_code, direction = attack.ascent_direction(model, torch.as_tensor(mean, dtype=torch.float64), torch.tensor(image), target, t)
    assert p_code == pytest.approx(float(p.detach()), rel=1e-12)
    stepped = attack.attack_step(torch.tensor(image), direction, step).numpy()
    np.testing.assert_allclose(stepped, expected, rtol=0, atol=1e-9)
    assert stepped.min() >= 0 and stepped.max() <= 255

    result = attack.targeted_attack(model, mean, image, target - 1, t, target_probability=1.0, step=step, max_iterations=1)
    assert result.iterations == 1 and result.capped
    np.testing.assert_allclose(result.adversarial, expected, rtol=0, atol=1e-9)
    assert result.l2 == pytest.approx(np.linalg.norm(expected - image), rel=1e-12)
    assert result.linf == pytest.approx(np.abs(expected - image).max(), rel=1e-12)
    assert result.l2 <= step + 1e-9  # a step moves x' by at most `step` in L2


def test_attack_reaches_the_target_probability(net):
    model, mean = net
    image = np.random.default_rng(5).integers(0, 256, size=(28, 28)).astype(np.float64)
    scores = attack.network_scores(model, mean, image[None])
    label = int(scores.argmax())
    target = attack.target_label(label)
    t = float(scores.max() - scores.min()) / 3
    result = attack.targeted_attack(model, mean, image, label, t, target_probability=0.9, step=5.0, max_iterations=2000)
    assert not result.capped
    assert result.target == target and result.p_target >= 0.9 > result.p_initial
    final = attack.network_scores(model, mean, result.adversarial[None])[0] / t
    p = np.exp(final - final.max()) / np.exp(final - final.max()).sum()
    assert p[target] == pytest.approx(result.p_target, rel=1e-9)
    assert result.iterations * 5.0 >= result.l2 > 0
    assert result.adversarial.min() >= 0 and result.adversarial.max() <= 255


def test_attack_is_flagged_when_capped(net):
    model, mean = net
    image = np.full((28, 28), 100.0)
    result = attack.targeted_attack(model, mean, image, 3, 1.0, target_probability=0.999, step=1.0, max_iterations=3)
    assert result.capped and result.iterations == 3 and result.p_target < 0.999


def test_attack_jobs_compute_with_one_thread_whatever_snakemake_gives_them():
    """Calibration and attack jobs: the same numbers under --set-threads (parallel sums may round
    differently with more threads). Checked in a fresh interpreter: the setting is process-wide."""
    code = (
        "import torch; from tilting.jobs import one_torch_thread; "
        "torch.set_num_threads(3); one_torch_thread(); print(torch.get_num_threads())"
    )
    scripts = Path(lenet.__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=scripts)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "1"
