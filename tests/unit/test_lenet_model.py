"""LeNet of method §5: the network (tilting.lenet), cnn_train's update and checkpoints (tilting.lenet_training),
the model file (tilting.lenet_files)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml
from conftest import REPO, synthetic_digits

from tilting import lenet, lenet_files, lenet_training
from tilting.data import Mnist, save_mnist
from tilting.settings import ConfigError


def train_settings(**changes) -> dict:
    """config.yaml's LeNet training settings (the one source of their defaults), with ``changes``."""
    shared = yaml.safe_load((REPO / "config.yaml").read_text())["lenet"]
    fields = set(lenet_training.TrainSettings.__dataclass_fields__) - {"weight_decay"}
    return {**{key: shared[key] for key in fields}, **changes}


def tiny_mnist_arrays(n_train=120, n_test=40, seed=0) -> Mnist:
    rng = np.random.default_rng(seed)
    labels = [rng.permutation(np.arange(n) % 10).astype(np.uint8) for n in (n_train, n_test)]
    return Mnist(
        train_images=synthetic_digits(labels[0], rng),
        train_labels=labels[0],
        test_images=synthetic_digits(labels[1], rng),
        test_labels=labels[1],
    )


# ---- architecture -------------------------------------------------------------------


def test_parameter_count_and_layer_shapes():
    model = lenet.LeNet()
    assert lenet.count_parameters(model) == 431_080
    for name, shape in lenet.WEIGHT_SHAPES.items():
        layer = getattr(model, name)
        assert tuple(layer.weight.shape) == shape
        assert tuple(layer.bias.shape) == (shape[0],)
    # feature maps: 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4 -conv4-> 1 -conv1-> 1
    x = torch.zeros(3, 1, 28, 28)
    a = model.conv1(x)
    assert a.shape == (3, 20, 24, 24)
    b = model.conv2(F.max_pool2d(a, 2, 2))
    assert b.shape == (3, 50, 8, 8)
    c = model.fc1(F.max_pool2d(b, 2, 2))
    assert c.shape == (3, 500, 1, 1)
    assert model(x).shape == (3, 10)


def test_fully_connected_layers_are_the_convolutions():
    model = lenet.LeNet().double()
    lenet.init_weights(model, 0.05, torch.Generator().manual_seed(2))
    with torch.no_grad():
        for name in lenet.LAYERS:
            getattr(model, name).bias.normal_()
    x = torch.randn(4, 1, 28, 28, dtype=torch.float64) * 80
    torch.testing.assert_close(model(x), model.forward_convolutions(x), rtol=1e-12, atol=1e-12)
    fast = model.to(memory_format=torch.channels_last)
    torch.testing.assert_close(fast(x.contiguous(memory_format=torch.channels_last)), model.forward_convolutions(x))


def test_no_relu_before_fc1_but_relu_after_it():
    """MatConvNet's baseline has ReLU only between fc1 and fc2: negative conv outputs pass."""
    model = lenet.LeNet()
    with torch.no_grad():
        for name in lenet.LAYERS:
            getattr(model, name).weight.zero_()
            getattr(model, name).bias.zero_()
        model.conv1.bias.fill_(-1.0)  # conv1 outputs -1 everywhere; pooling keeps -1
        model.conv2.weight[:, :, 0, 0] = 1.0  # conv2 sums the 20 channels: -20
        model.fc1.weight[0, 0, 0, 0] = -1.0  # fc1 unit 0: +20 (survives ReLU); unit 1: bias -5
        model.fc1.bias[1] = -5.0
        model.fc2.weight[0, 0] = 1.0
        model.fc2.weight[1, 1] = 1.0
    scores = model(torch.zeros(1, 1, 28, 28))
    assert scores[0, 0].item() == pytest.approx(20.0)
    assert scores[0, 1].item() == 0.0  # ReLU cut the -5


def test_init_is_scaled_gaussian_with_zero_biases():
    model = lenet.LeNet()
    lenet.init_weights(model, 0.01, torch.Generator().manual_seed(3))
    weights = model.fc1.weight.detach().numpy()
    assert weights.std() == pytest.approx(0.01, rel=0.01)
    assert abs(weights.mean()) < 1e-4
    for name in lenet.LAYERS:
        assert torch.count_nonzero(getattr(model, name).bias) == 0
    again = lenet.LeNet()
    lenet.init_weights(again, 0.01, torch.Generator().manual_seed(3))
    assert torch.equal(again.conv2.weight, model.conv2.weight)


# ---- optimiser ------------------------------------------------------------------------------


def test_optimizer_step_equals_matconvnet_formula_by_hand():
    """g <- g + lambda W; m <- mu m - g; W <- W + eta m, two steps computed by hand."""
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = lenet_training.make_optimizer([w], learning_rate=0.5, momentum=0.9, weight_decay=0.1)
    w.grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    opt.step()
    # g = (0.5 + 0.1*1, 0.25 + 0.1*-2) = (0.6, 0.05); m = -g; W = W + 0.5 m
    np.testing.assert_allclose(w.detach().numpy(), [0.7, -2.025], rtol=0, atol=1e-15)
    w.grad = torch.tensor([-1.0, 0.0], dtype=torch.float64)
    opt.step()
    # g = (-1 + 0.07, 0 - 0.2025) = (-0.93, -0.2025); m = 0.9 (-0.6, -0.05) - g = (0.39, 0.1575)
    # W = (0.7, -2.025) + 0.5 m = (0.895, -1.94625)
    np.testing.assert_allclose(w.detach().numpy(), [0.895, -1.94625], rtol=0, atol=1e-15)


def test_training_step_decays_biases_and_uses_the_batch_mean_loss():
    """One batch of train_epoch = W - eta (grad of the MEAN log-loss + lambda W), biases included."""
    torch.manual_seed(0)
    model = lenet.LeNet().double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.05)  # biases non-zero, so their decay shows
    x = torch.randn(8, 1, 28, 28, dtype=torch.float64) * 50
    with torch.no_grad():
        predicted = model(x).argmax(1)
    # labels the model gets right for the first 3 images and wrong for the other 5
    y = torch.where(torch.arange(8) < 3, predicted, (predicted + 1) % 10)
    before = {k: v.clone() for k, v in model.named_parameters()}
    loss = F.cross_entropy(model(x), y)  # mean over the batch
    grads = torch.autograd.grad(loss, list(model.parameters()))
    eta, decay = 1e-3, 0.1
    opt = lenet_training.make_optimizer(model.parameters(), eta, 0.9, decay)
    error, mean_loss = lenet_training.train_epoch(model, opt, x, y, batch_size=8, generator=torch.Generator().manual_seed(0))
    assert mean_loss == pytest.approx(float(loss.detach()), rel=1e-12)
    for (name, p), g in zip(model.named_parameters(), grads):
        expected = before[name] - eta * (g + decay * before[name])
        torch.testing.assert_close(p.detach(), expected, rtol=1e-12, atol=1e-15, msg=name)
    assert error == 5 / 8  # the batch scored by the forward pass of its own update


def test_running_error_counts_each_batch_before_its_update():
    data = tiny_mnist_arrays()
    prepared = lenet_training.prepare_data(data, None, None, "cpu")
    model = lenet.LeNet()
    lenet.init_weights(model, 0.01, torch.Generator().manual_seed(0))
    opt = lenet_training.make_optimizer(model.parameters(), 0.0, 0.0, 0.0)  # lr 0: weights never change
    error, loss = lenet_training.train_epoch(model, opt, prepared.x_train, prepared.y_train, 25, torch.Generator().manual_seed(1))
    expected_error, expected_loss = lenet_training.evaluate(model, prepared.x_train, prepared.y_train)
    assert error == pytest.approx(expected_error, abs=1e-12)
    assert loss == pytest.approx(expected_loss, rel=1e-5)


def test_input_is_the_0_255_image_minus_the_mean_training_image():
    data = tiny_mnist_arrays()
    prepared = lenet_training.prepare_data(data, 50, 20, "cpu")
    mean = data.train_images[:50].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(prepared.mean_image, mean, rtol=1e-6)
    np.testing.assert_allclose(prepared.x_test[3, 0].numpy(), data.test_images[3] - mean, atol=1e-4)
    assert prepared.x_train.shape == (50, 1, 28, 28) and prepared.y_test.shape == (20,)
    with pytest.raises(ConfigError, match="training"):
        lenet_training.prepare_data(data, 10_000, None, "cpu")


def test_settings_are_checked_and_hashed():
    with pytest.raises(ConfigError, match="unknown"):
        lenet_training.TrainSettings.from_dict({"weight_decay": 0.1, "learning_rat": 1.0})
    with pytest.raises(ConfigError, match=r"training settings \['init_scale'\] missing"):
        lenet_training.TrainSettings.from_dict({k: v for k, v in train_settings(weight_decay=0.1).items() if k != "init_scale"})
    a = lenet_training.TrainSettings.from_dict(train_settings(weight_decay=0.1))
    b = lenet_training.TrainSettings(**train_settings(weight_decay=0.1, learning_rate=0.001))
    cpu = torch.device("cpu")
    assert lenet_training.settings_hash(a, "data", cpu) == lenet_training.settings_hash(lenet_training.TrainSettings(**train_settings(weight_decay=0.1)), "data", cpu)
    assert lenet_training.settings_hash(a, "data", cpu) != lenet_training.settings_hash(b, "data", cpu)
    assert lenet_training.settings_hash(a, "data", cpu) != lenet_training.settings_hash(a, "other data", cpu)
    assert lenet_training.settings_hash(a, "data", cpu, 1) != lenet_training.settings_hash(a, "data", cpu, 2)


def test_channels_last_matches_the_default_layout():
    data = tiny_mnist_arrays()
    settings = lenet_training.TrainSettings(**train_settings(weight_decay=1e-4, epochs=2, batch_size=20, learning_rate=5e-3))
    fast = lenet_training.train(data, settings, threads=1, channels_last=True)
    plain = lenet_training.train(data, settings, threads=1, channels_last=False)
    for name in lenet.LAYERS:
        torch.testing.assert_close(getattr(fast.model, name).weight, getattr(plain.model, name).weight, rtol=1e-4, atol=1e-6)
    for a, b in zip(fast.history, plain.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
        assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-4)


def test_model_file_round_trip_and_weight_rms(tmp_path):
    model = lenet.LeNet()
    lenet.init_weights(model, 0.02, torch.Generator().manual_seed(1))
    mean = np.full((28, 28), 33.0, np.float32)
    settings = lenet_training.TrainSettings(**train_settings(weight_decay=0.1))
    lenet_files.save_model(tmp_path / "m.npz", model, mean, settings)
    loaded, loaded_mean, loaded_settings = lenet_files.load_model(tmp_path / "m.npz")
    for name in lenet.LAYERS:
        assert torch.equal(getattr(loaded, name).weight, getattr(model, name).weight)
    np.testing.assert_array_equal(loaded_mean, mean)
    assert loaded_settings["weight_decay"] == 0.1
    rms = lenet_files.weight_rms(model)
    w = model.conv2.weight.detach().double().numpy()
    assert rms["conv2"] == pytest.approx(np.sqrt(np.mean(w**2)), rel=1e-12)
    assert rms["fc1"] == pytest.approx(0.02, rel=0.01)


# ---- checkpoints and resume ----------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {scripts!r})
    from tilting import lenet_files, lenet_training
    from tilting.data import read_mnist
    settings = lenet_training.TrainSettings(**json.loads({settings!r}))
    kill_after = int(sys.argv[1])
    checkpoint = sys.argv[2] if sys.argv[2] != "-" else None

    def on_epoch(epoch):
        if epoch == kill_after:
            print("CHECKPOINTED", epoch, flush=True)
            time.sleep(600)  # the test kills the process here

    result = lenet_training.train(read_mnist({data!r}), settings, checkpoint=checkpoint, threads=1, on_epoch=on_epoch)
    lenet_files.save_model(sys.argv[3], result.model, result.mean_image, settings)
    print("RESULT", json.dumps({{"history": result.history, "resumed_from": result.resumed_from}}), flush=True)
    """
)


def run_child(script: Path, kill_after: int, checkpoint, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(script), str(kill_after), str(checkpoint or "-"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def without_seconds(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    data_path = tmp_path / "mnist.npz"
    save_mnist(data_path, tiny_mnist_arrays())
    settings = train_settings(weight_decay=1e-3, epochs=4, batch_size=20, learning_rate=2e-3, seed=5)
    script = tmp_path / "child.py"
    script.write_text(
        CHILD.format(scripts=str(REPO / "workflow" / "scripts"), settings=json.dumps(settings), data=str(data_path))
    )
    checkpoint = tmp_path / "run" / "checkpoint.pt"

    # a run killed with SIGKILL right after its epoch-2 checkpoint
    child = subprocess.Popen(
        [sys.executable, str(script), "2", str(checkpoint), str(tmp_path / "killed.npz")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("CHECKPOINTED 2"), line + child.stderr.read()[-3000:]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert torch.load(checkpoint, weights_only=False)["history"][-1]["epoch"] == 2

    resumed = run_child(script, 0, checkpoint, tmp_path / "resumed.npz")
    uninterrupted = run_child(script, 0, None, tmp_path / "uninterrupted.npz")
    assert resumed["resumed_from"] == 2 and uninterrupted["resumed_from"] == 0
    assert [row["epoch"] for row in resumed["history"]] == [1, 2, 3, 4]
    assert without_seconds(resumed["history"]) == without_seconds(uninterrupted["history"])
    with np.load(tmp_path / "resumed.npz") as a, np.load(tmp_path / "uninterrupted.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)

    # the finished checkpoint: the same settings resume it with nothing left to train ...
    mnist = tiny_mnist_arrays()
    again = lenet_training.train(mnist, lenet_training.TrainSettings(**settings), checkpoint=checkpoint, threads=1)
    assert again.resumed_from == 4
    assert without_seconds(again.history) == without_seconds(resumed["history"])
    # ... other settings never do
    other = lenet_training.train(mnist, lenet_training.TrainSettings(**{**settings, "epochs": 1}), checkpoint=checkpoint, threads=1)
    assert other.resumed_from == 0 and len(other.history) == 1


def test_damaged_checkpoint_is_ignored(tmp_path):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"not a checkpoint")
    assert lenet_training.load_checkpoint(path, "any hash") is None
    assert lenet_training.load_checkpoint(tmp_path / "absent.pt", "any hash") is None


def test_filter_mosaics_place_every_slice():
    from tilting.plots.lenet import FILTER_LAYOUT, filter_mosaic, select_filters, tile

    blocks = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)
    mosaic = tile(blocks, 1, 2, gap=1)
    assert mosaic.shape == (2, 7)
    np.testing.assert_array_equal(mosaic[:, :3], blocks[0])
    np.testing.assert_array_equal(mosaic[:, 4:], blocks[1])
    assert np.isnan(mosaic[:, 3]).all()

    chosen = select_filters({"conv1": 20, "conv2": 50, "fc1": 500}, seed=0)
    again = select_filters({"conv1": 20, "conv2": 50, "fc1": 500}, seed=0)
    assert all(np.array_equal(chosen[layer], again[layer]) for layer in FILTER_LAYOUT)
    assert len(set(chosen["fc1"])) == FILTER_LAYOUT["fc1"][0]
    weight = np.random.default_rng(0).normal(size=lenet.WEIGHT_SHAPES["fc1"])
    image = filter_mosaic(weight, "fc1", chosen["fc1"])
    # 12 blocks of 5 x 10 slices of 4 x 4, every weight of the chosen units shown once
    assert np.isfinite(image).sum() == 12 * 50 * 16
    np.testing.assert_allclose(np.sort(image[np.isfinite(image)]), np.sort(weight[chosen["fc1"]].ravel()))


def test_training_lock_waits_for_its_holder_and_survives_its_sigkill(tmp_path):
    lock = tmp_path / "net" / "checkpoint.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                sys.path.insert(0, {str(REPO / "workflow" / "scripts")!r})
                from tilting.lenet_training import training_lock
                with training_lock({str(lock)!r}):
                    print("LOCKED", flush=True)
                    time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        messages = []

        def notify(message):
            messages.append(message)
            os.kill(holder.pid, signal.SIGKILL)  # the holder dies without releasing anything

        with lenet_training.training_lock(lock, notify) as waited:
            assert waited > 0
            assert lock.read_text().strip() == str(os.getpid())
        assert messages == [f"process {holder.pid} is training this network ({lock}); waiting for it to finish"]
        # free: taken at once, no message
        with lenet_training.training_lock(lock, messages.append) as waited:
            assert waited == 0.0
        assert len(messages) == 1
    finally:
        holder.kill()
        holder.wait(timeout=60)
