"""IDX reading and md5 checks (tilting.mnist_idx), pair sampling (tilting.pairs) and the data
files (tilting.data), on files the tests write."""

import gzip
import hashlib

import numpy as np
import pytest
from conftest import idx_bytes, write_tiny_mnist

from tilting import data, mnist_idx, pairs, settings


@pytest.fixture
def images():
    return np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)


def test_idx_round_trip_plain_and_gz(tmp_path, images):
    payload = idx_bytes(images)
    (tmp_path / "plain-idx3-ubyte").write_bytes(payload)
    with gzip.open(tmp_path / "zipped-idx3-ubyte.gz", "wb") as handle:
        handle.write(payload)
    md5 = hashlib.md5(payload).hexdigest()
    np.testing.assert_array_equal(mnist_idx.load_idx(tmp_path / "plain-idx3-ubyte", md5), images)
    # asking for the plain name finds the .gz beside it
    np.testing.assert_array_equal(mnist_idx.load_idx(tmp_path / "zipped-idx3-ubyte", md5), images)


def test_md5_mismatch_names_file_expected_and_actual(tmp_path, images):
    payload = bytearray(idx_bytes(images))
    expected = hashlib.md5(payload).hexdigest()
    payload[-1] ^= 0xFF  # one corrupted pixel
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(payload)
    with pytest.raises(data.DataError) as err:
        mnist_idx.load_idx(path, expected)
    message = str(err.value)
    assert str(path) in message and expected in message and hashlib.md5(payload).hexdigest() in message
    assert "\n" not in message


def test_truncated_gzip_is_a_clear_error(tmp_path, images):
    path = tmp_path / "cut-idx3-ubyte.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(idx_bytes(images) * 50)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataError, match="cut-idx3-ubyte.gz: corrupted or truncated"):
        mnist_idx.load_idx(path)


def test_truncated_idx_payload_is_detected_without_md5(tmp_path, images):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(idx_bytes(images)[:-7])
    with pytest.raises(data.DataError, match=r"short-idx3-ubyte: IDX size 69 bytes, expected 76 .*truncated"):
        mnist_idx.load_idx(path)


def test_bad_magic_and_missing_file(tmp_path):
    path = tmp_path / "junk-idx3-ubyte"
    path.write_bytes(b"\x01\x02\x03\x04junk")
    with pytest.raises(data.DataError, match="bad magic"):
        mnist_idx.load_idx(path)
    with pytest.raises(data.DataError, match="nope-idx1-ubyte: file not found"):
        mnist_idx.load_idx(tmp_path / "nope-idx1-ubyte")


def test_load_mnist_raw_checks_every_file(tmp_path):
    checksums = write_tiny_mnist(tmp_path, train_per_digit=7, test_per_digit=3)
    mnist = mnist_idx.load_mnist_raw(tmp_path / "MNIST" / "raw", checksums)
    assert mnist.train_images.shape == (70, 28, 28) and mnist.test_labels.shape == (30,)
    assert np.bincount(mnist.train_labels, minlength=10).tolist() == [7] * 10
    wrong = dict(checksums, **{"t10k-labels-idx1-ubyte": "0" * 32})
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte.*expected 0{32}"):
        mnist_idx.load_mnist_raw(tmp_path / "MNIST" / "raw", wrong)
    incomplete = {name: md5 for name, md5 in checksums.items() if name != "train-images-idx3-ubyte"}
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte: no md5"):
        mnist_idx.load_mnist_raw(tmp_path / "MNIST" / "raw", incomplete)


LABELS = np.array([3, 1, 3, 0, 1, 3, 0, 0, 3, 1, 1, 3])


def test_first_sample_is_file_order():
    assert pairs.sample_digit(LABELS, 3, 3, "first").tolist() == [0, 2, 5]
    assert pairs.sample_digit(LABELS, 1, 4, "first").tolist() == [1, 4, 9, 10]


def test_random_sample_is_seeded_sorted_and_per_digit():
    first = pairs.sample_digit(LABELS, 3, 3, "random", seed=5)
    again = pairs.sample_digit(LABELS, 3, 3, "random", seed=5)
    np.testing.assert_array_equal(first, again)
    assert np.all(LABELS[first] == 3) and np.all(np.diff(first) > 0)
    seeds = {tuple(pairs.sample_digit(LABELS, 3, 3, "random", seed=s)) for s in range(20)}
    assert len(seeds) > 1  # the seed matters


def test_sample_too_large_or_unknown_method():
    with pytest.raises(data.DataError, match="digit 0: 4 images per class requested, only 3"):
        pairs.sample_digit(LABELS, 0, 4, "first")
    with pytest.raises(ValueError, match="sample.method"):
        pairs.sample_digit(LABELS, 0, 1, "best")
    with pytest.raises(ValueError, match="'random' needs sample.seed"):
        pairs.sample_digit(LABELS, 0, 1, "random")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    checksums = write_tiny_mnist(root, train_per_digit=30, test_per_digit=10, seed=3)
    return mnist_idx.load_mnist_raw(root / "MNIST" / "raw", checksums)


@pytest.mark.parametrize("method", ["first", "random"])
def test_pair_is_balanced_disjoint_and_independent_of_other_pairs(tiny, method):
    pair = pairs.make_pair(tiny, 2, 7, 20, method, seed=1)
    assert pair.x_train.shape == (40, 784) and pair.x_train.dtype == np.uint8
    assert pair.y_train.tolist() == [-1] * 20 + [1] * 20
    assert np.all(tiny.train_labels[pair.index_train[:20]] == 2)
    assert np.all(tiny.train_labels[pair.index_train[20:]] == 7)
    assert len(set(pair.index_train.tolist())) == 40
    # digit 7's sample is the same whatever it is paired with
    other = pairs.make_pair(tiny, 7, 9, 20, method, seed=1)
    np.testing.assert_array_equal(other.index_train[:20], pair.index_train[20:])
    # all test images of the two digits, labelled -1/+1
    assert len(pair.y_test) == 20 and set(pair.y_test.tolist()) == {-1, 1}
    np.testing.assert_allclose(pair.centroid_i, tiny.train_images[pair.index_train[:20]].reshape(20, -1).mean(0))
    np.testing.assert_allclose(pair.mean_image, (pair.centroid_i + pair.centroid_j) / 2)


def test_pair_round_trip(tmp_path, tiny):
    pair = pairs.make_pair(tiny, 0, 1, 5, "first")
    data.save_pair(tmp_path / "p.npz", pair)
    back = data.read_pair(tmp_path / "p.npz")
    for field in pair.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(back, field), getattr(pair, field))


def test_a_pair_file_of_an_earlier_version_still_reads(tmp_path, tiny):
    # pair files written before z_hat moved to the analysis hold it as one more member
    pair = pairs.make_pair(tiny, 0, 1, 5, "first")
    data.atomic_savez(tmp_path / "old.npz", **pair.__dict__, z_hat=np.ones(784))
    back = data.read_pair(tmp_path / "old.npz")
    np.testing.assert_array_equal(back.x_train, pair.x_train)
    assert not hasattr(back, "z_hat")


@pytest.mark.parametrize("bad", ["9v7", "7v7", "7-9", "10v11", "av b"])
def test_parse_pair_rejects(bad):
    with pytest.raises(ValueError, match="pair"):
        settings.parse_pair(bad)


def test_all_pairs():
    names = settings.all_pairs()
    assert len(names) == 45 and names[0] == "0v1" and names[-1] == "8v9"


def test_md5_mismatch_of_a_gz_and_an_unreadable_file_name_the_file_read(tmp_path, images):
    payload = idx_bytes(images)
    with gzip.open(tmp_path / "zipped-idx3-ubyte.gz", "wb") as handle:
        handle.write(payload)
    with pytest.raises(data.DataError) as err:
        mnist_idx.load_idx(tmp_path / "zipped-idx3-ubyte", "0" * 32)
    assert str(err.value).startswith(f"{tmp_path / 'zipped-idx3-ubyte.gz'}: md5 mismatch")
    (tmp_path / "folder-idx3-ubyte").mkdir()
    with pytest.raises(data.DataError, match="folder-idx3-ubyte: cannot be read"):
        mnist_idx.load_idx(tmp_path / "folder-idx3-ubyte")


def test_download_skips_files_that_are_there_and_the_md5_check_names_a_damaged_one(tmp_path, monkeypatch):
    import torchvision.datasets

    def no_download(*args, **kwargs):
        raise AssertionError("torchvision was asked to download")

    monkeypatch.setattr(torchvision.datasets, "MNIST", no_download)
    checksums = write_tiny_mnist(tmp_path, train_per_digit=2, test_per_digit=1)
    raw = mnist_idx.download_mnist(tmp_path)
    assert raw == tmp_path / "MNIST" / "raw"
    damaged = raw / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-9])  # a truncated earlier download
    assert mnist_idx.download_mnist(tmp_path) == raw
    with pytest.raises(data.DataError, match="train-labels-idx1-ubyte.gz: corrupted or truncated gzip file"):
        mnist_idx.load_mnist_raw(raw, checksums)


def test_a_failed_download_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    import torchvision.datasets

    def offline(*args, **kwargs):  # torchvision's message when every mirror fails
        raise RuntimeError(
            "Error downloading train-images-idx3-ubyte.gz:\nTried https://ossci-datasets.s3.amazonaws.com/mnist/, "
            "got:\n<urlopen error [Errno -3] Temporary failure in name resolution>\n"
        )

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(data.DataError) as err:
        mnist_idx.download_mnist(tmp_path / "downloads")
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'downloads' / 'MNIST' / 'raw'}: MNIST download failed (Error downloading")
    assert "name resolution" in message and "data.offline_dir" in message and "\n" not in message
