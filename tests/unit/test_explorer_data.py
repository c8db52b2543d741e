"""The run explorer's data (tilting.explorer): encodings, plane margins, histograms, sprites, page."""

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from tilting import explorer, geometry
from tilting.svm_analysis import plane_projection, tilting_bases


def png_pixels(uri: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"])
def test_encoded_arrays_round_trip(dtype):
    values = (np.arange(24).reshape(2, 3, 4) * 7 % 50).astype(dtype)
    encoded = explorer.encode_array(values)
    assert encoded["dtype"] == dtype and encoded["shape"] == [2, 3, 4]
    assert json.loads(json.dumps(encoded)) == encoded
    np.testing.assert_array_equal(explorer.decode_array(encoded), values)


def test_big_endian_arrays_are_stored_little_endian():
    values = np.array([1, 256, -2], dtype=">i2")
    encoded = explorer.encode_array(values)
    assert base64.b64decode(encoded["b64"]) == np.array([1, 256, -2], dtype="<i2").tobytes()


def test_unsupported_dtype_is_refused():
    with pytest.raises(ValueError, match="cannot encode"):
        explorer.encode_array(np.array([1 + 2j]))


def test_quantized_values_are_within_half_a_step():
    rng = np.random.default_rng(1)
    values = rng.normal(0, 800, size=(5, 300))
    quantized = explorer.quantize(values)
    assert quantized["scale"] == pytest.approx(np.abs(values).max() / 32767)
    error = np.abs(explorer.dequantize(quantized).reshape(values.shape) - values)
    assert error.max() <= quantized["scale"] / 2 * (1 + 1e-9)
    zeros = explorer.quantize(np.zeros(3))
    np.testing.assert_array_equal(explorer.dequantize(zeros), 0.0)
    with pytest.raises(ValueError, match="non-finite"):
        explorer.quantize(np.array([1.0, np.nan]))


def test_counts_take_the_smallest_unsigned_type():
    assert explorer.smallest_unsigned(np.array([0, 255])).dtype == np.uint8
    assert explorer.smallest_unsigned(np.array([0, 256])).dtype == np.uint16
    assert explorer.smallest_unsigned(np.array([70000])).dtype == np.uint32


def test_subsample_draws_at_most_n_per_class_once_per_seed():
    y = np.array([-1] * 30 + [1] * 5)
    rows = explorer.subsample_rows(y, 10)
    assert np.all(np.diff(rows) > 0)
    assert (y[rows] == -1).sum() == 10 and (y[rows] == 1).sum() == 5
    np.testing.assert_array_equal(rows, explorer.subsample_rows(y, 10))
    assert not np.array_equal(rows, explorer.subsample_rows(y, 10, seed=5))


def plane_case(seed=0, models=3, n=40, d=12):
    """Random two-class data, models (w, b) and their projections as rule svm_projections writes them."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < n // 2, -1, 1)
    x = rng.normal(size=(n, d)) + y[:, None] * 0.8
    centroid_i, centroid_j = geometry.class_centroids(x, y)
    z_hat = geometry.nearest_centroid_direction(centroid_i, centroid_j)
    mean = x.mean(axis=0)
    weights = [rng.normal(size=d) + 3 * k * z_hat for k in range(models)]
    biases = rng.normal(size=models)
    bases = tilting_bases(weights, z_hat)
    coords, lines = zip(*(plane_projection(x, w, b, basis, mean) for w, b, basis in zip(weights, biases, bases)))
    return x, y, weights, biases, np.stack(coords), np.stack(lines)


def test_plane_margins_are_the_distances_to_each_boundary():
    x, y, weights, biases, coords, lines = plane_case()
    margins = explorer.plane_margins(coords, lines, y)
    for k, (w, b) in enumerate(zip(weights, biases)):
        expected = y * geometry.signed_distance(x, w, b)
        np.testing.assert_allclose(margins[k], expected, rtol=1e-9, atol=1e-9)
        assert margins[k].mean() == pytest.approx(geometry.adversarial_distance(x, y, w, b), rel=1e-9)


def test_margin_histograms_count_every_point_outliers_in_the_outer_bins():
    rng = np.random.default_rng(2)
    margins = rng.normal(size=(2, 1000))
    margins[0, 0], margins[0, 1] = -1e6, 1e6  # far outside the percentile range
    histograms = explorer.margin_histograms(margins, bins=20)
    counts = explorer.decode_array(histograms["counts"])
    assert counts.shape == (2, 20)
    np.testing.assert_array_equal(counts.sum(axis=1), [1000, 1000])
    low, high = histograms["low"][0], histograms["high"][0]
    width = (high - low) / 20
    # everything below the range (the outlier included) is counted in the first bin, above in the last
    assert counts[0, 0] == np.sum(margins[0] < low + width)
    assert counts[0, -1] == np.sum(margins[0] >= high - width)
    assert low < np.percentile(margins[0], 0.5) and high > np.percentile(margins[0], 99.5)


def test_image_grid_places_each_tile():
    tiles = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    grid = explorer.image_grid(tiles)
    assert grid.shape == (8, 12)
    np.testing.assert_array_equal(grid[4:8, 8:12], tiles[1, 2])
    rgb = np.zeros((1, 2, 3, 3, 3), np.uint8)
    rgb[0, 1] = 7
    assert explorer.image_grid(rgb).shape == (3, 6, 3)
    assert explorer.image_grid(rgb)[0, 3].tolist() == [7, 7, 7]


def test_png_sprites_hold_the_clipped_grey_levels():
    images = np.array([[-20.4, 0.4, 127.5, 254.6, 300.0, 17.2]])
    pixels = explorer.grey_levels(images)
    np.testing.assert_array_equal(pixels, [[0, 0, 128, 255, 255, 17]])
    np.testing.assert_array_equal(png_pixels(explorer.png_data_uri(pixels)), pixels)
    rgb = np.full((2, 3, 3), 200, np.uint8)
    np.testing.assert_array_equal(png_pixels(explorer.png_data_uri(rgb)), rgb)
    with pytest.raises(ValueError, match="not square"):
        explorer.square_side(10)


def pair_inputs(models=4, n=60, d=16, seed=3):
    import pandas as pd

    x, y, weights, biases, coords, lines = plane_case(seed, models, n, d)
    alpha = np.linspace(-1.0, 2.0, models)
    metrics = pd.DataFrame(
        {
            "alpha": alpha,
            "lam": 10.0**alpha,
            "w_norm": [float(np.linalg.norm(w)) for w in weights],
            "b": biases,
            "theta_deg": np.linspace(80, 5, models),
            "d_adv": [geometry.adversarial_distance(x, y, w, b) for w, b in zip(weights, biases)],
            "d_err": np.zeros(models),
            "err_train": np.linspace(0.0, 0.1, models),
            "err_test": [0.2, 0.1, 0.1, 0.3][:models],
        }
    )
    rng = np.random.default_rng(seed)
    projections = {
        "alpha": alpha,
        "coords": coords.astype(np.float32),
        "line": lines,
        "centroids": rng.normal(size=(models, 2, 2)),
        "y_train": y.astype(np.int8),
    }
    mirrors = {
        "alpha": alpha,
        "images": rng.uniform(0, 255, size=(2, d)),
        "mirrors": rng.uniform(-50, 300, size=(models, 2, d)),
        "distances": rng.uniform(size=(models, 2)),
        "points": rng.normal(size=(models, 2, 2)),
        "mirror_points": rng.normal(size=(models, 2, 2)),
    }
    return metrics, projections, mirrors


def test_pair_view_holds_every_lambda():
    metrics, projections, mirrors = pair_inputs()
    view = explorer.pair_view("3v5", metrics, projections, mirrors, points_per_class=10, bins=8)
    assert view["digits"] == [3, 5]
    assert view["metrics"]["theta_deg"] == metrics["theta_deg"].tolist()
    assert view["optimal"] == 2  # lowest test error, ties go to the larger lambda
    plane = view["plane"]
    label = explorer.decode_array(plane["label"])
    assert label.sum() == 10 and label.size == 20
    v = explorer.dequantize(plane["v"]).reshape(4, 20)
    shown = explorer.subsample_rows(projections["y_train"], 10)
    np.testing.assert_allclose(v, projections["coords"][:, shown, 1], atol=plane["v"]["scale"])
    u = explorer.dequantize(plane["u"])
    np.testing.assert_allclose(u, projections["coords"][0, shown, 0], atol=plane["u"]["scale"])
    np.testing.assert_allclose(projections["coords"][:, :, 0], projections["coords"][:1, :, 0].repeat(4, 0), rtol=1e-5)
    counts = explorer.decode_array(view["histograms"]["counts"])
    np.testing.assert_array_equal(counts.sum(axis=1), 60)
    sprite = png_pixels(view["mirrors"]["sprite"])
    assert sprite.shape == (5 * 4, 2 * 4)  # row 0: the representatives, then one row per lambda
    np.testing.assert_array_equal(sprite[:4, 4:8], explorer.grey_levels(mirrors["images"][1]).reshape(4, 4))
    np.testing.assert_array_equal(sprite[12:16, :4], explorer.grey_levels(mirrors["mirrors"][2, 0]).reshape(4, 4))
    json.dumps(view, allow_nan=False)


def test_pair_view_refuses_tables_of_other_lambda_grids():
    metrics, projections, mirrors = pair_inputs()
    projections["alpha"] = projections["alpha"] + 0.1
    with pytest.raises(ValueError, match="projections file does not hold the metrics table's lambda grid"):
        explorer.pair_view("3v5", metrics, projections, mirrors, 10, 8)


def attack(digit, shift, side=4):
    original = np.full((side, side), 100.0)
    adversarial = original.copy()
    adversarial[0, 0] += shift
    return {
        "original": original,
        "adversarial": adversarial,
        "digit": np.int64(digit),
        "target": np.int64((digit + 1) % 10),
        "l2": np.float64(abs(shift)),
        "iterations": np.int64(12),
        "p_target": np.float64(0.95),
        "capped": np.bool_(False),
    }


def test_lenet_view_shares_one_perturbation_scale():
    examples = {"low": [attack(1, 10.0), attack(0, -5.0)], "extra": [attack(0, 40.0), attack(1, 0.0)]}
    view = explorer.lenet_view(examples, {"low": 1e-4})
    assert view["limit"] == 40.0
    assert [net["name"] for net in view["networks"]] == ["low", "extra"]
    assert view["networks"][0]["label"] == "LeNet_low (weight decay 0.0001)"
    assert view["networks"][1]["label"] == "LeNet_extra"
    low = view["networks"][0]
    assert [e["digit"] for e in low["examples"]] == [0, 1]
    sprite = png_pixels(low["sprite"])
    assert sprite.shape == (3 * 4, 2 * 4, 3)
    assert sprite[0, 0].tolist() == [100, 100, 100]  # original of digit 0
    assert sprite[4, 0].tolist() == [95, 95, 95]  # its adversarial example
    middle = explorer.perturbation_colors(np.zeros(1), 40.0)[0]
    assert sprite[9, 1].tolist() == middle.tolist()  # no perturbation: the middle colour
    strongest = explorer.perturbation_colors(np.array([40.0, -40.0]), 40.0)
    assert png_pixels(view["networks"][1]["sprite"])[8, 0].tolist() == strongest[0].tolist()
    assert not np.array_equal(strongest[0], strongest[1])
    assert png_pixels(view["colorbar"]).shape == (1, 256, 3)
    assert explorer.lenet_view({}, {})["networks"] == []


TEMPLATE = (
    "<title>__TITLE__</title><style>/*EXPLORER_CSS*/</style><script>/*CHARTS_JS*/</script>"
    '<script type="application/json" id="d">__EXPLORER_DATA__</script><script>/*EXPLORER_JS*/</script>'
)


def test_render_page_inlines_everything_once():
    data = {"note": "</script><b>", "value": 1.5}
    page = explorer.render_page(data, TEMPLATE, "/*charts*/ var p = 1;", "var s = '__TITLE__';", "b{}", "A & B")
    assert "<title>A &amp; B</title>" in page
    assert "var s = '__TITLE__';" in page  # a placeholder inside inlined code stays as it is
    payload = re.search(r'id="d">(.*?)</script>', page).group(1)
    assert json.loads(payload) == data
    assert page.count("</script>") == 3


def test_render_page_refuses_broken_templates_and_code():
    with pytest.raises(ValueError, match="lacks the placeholder"):
        explorer.render_page({}, "<html></html>", "", "", "", "t")
    with pytest.raises(ValueError, match="chart script contains a closing tag"):
        explorer.render_page({}, TEMPLATE, "x = '</SCRIPT>'", "", "", "t")
    with pytest.raises(ValueError, match="allowed|JSON compliant"):
        explorer.render_page({"x": float("nan")}, TEMPLATE, "", "", "", "t")
