"""The run explorer: one offline HTML page to slide over every lambda of every digit pair.

This module turns the run's tables into the page's data (plain JSON with base64 arrays)
and renders the page from its template (workflow/resources/explorer/: the page, its style,
charts.js, a small SVG chart drawer, and explorer.js), everything inlined, so it opens from
disk with no server and no network.

What keeps the page small (45 pairs x 81 lambdas under ~15 MB):

* the tilting plane shows a fixed random subsample of the training images of each class;
  their z_hat coordinate is the same for every model (z_hat is the first basis vector of
  every tilting plane), so it is stored once per pair, the n_hat coordinate once per model,
  both as int16 with one scale per pair (steps of 0.2 grey levels at most);
* the y d(x) histograms are binned here, over the whole training set;
* images (mirror images, adversarial examples) are PNG sprites, 8 bits per pixel.

Needs numpy, pandas (the metrics table), Pillow (PNG) and matplotlib's colour maps.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from pathlib import Path

import numpy as np

from .svm_analysis import optimal_index

#: Metrics of a model shown on the page (columns of the metrics table).
METRIC_FIELDS = ["alpha", "lam", "w_norm", "b", "theta_deg", "d_adv", "d_err", "err_train", "err_test"]

#: Placeholders of the page template, replaced by :func:`render_page`.
PLACEHOLDERS = ("/*CHARTS_JS*/", "/*EXPLORER_JS*/", "/*EXPLORER_CSS*/", "__EXPLORER_DATA__", "__TITLE__")

#: Seed of the subsample of training images drawn in the tilting plane.
SUBSAMPLE_SEED = 0


# ---- encoding --------------------------------------------------------------------------


def encode_array(values: np.ndarray) -> dict:
    """A numeric array as {"dtype", "shape", "b64"}: little-endian bytes, base64.

    The page decodes it into the matching JavaScript typed array.
    """
    values = np.ascontiguousarray(values)
    dtype = values.dtype.newbyteorder("<")
    if dtype.name not in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"):
        raise ValueError(f"cannot encode arrays of {values.dtype} for the page")
    raw = values.astype(dtype, copy=False).tobytes()
    return {"dtype": dtype.name, "shape": list(values.shape), "b64": base64.b64encode(raw).decode("ascii")}


def decode_array(encoded: dict) -> np.ndarray:
    """Inverse of :func:`encode_array` (the page does the same in JavaScript)."""
    raw = base64.b64decode(encoded["b64"])
    return np.frombuffer(raw, dtype=np.dtype(encoded["dtype"]).newbyteorder("<")).reshape(encoded["shape"])


def quantize(values: np.ndarray) -> dict:
    """Floats as int16 times one scale: {"scale", "values": encoded int16}.

    The scale maps the largest magnitude to 32767, so the error is at most scale / 2.
    """
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("cannot quantize non-finite values")
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    scale = largest / 32767.0 if largest > 0 else 1.0
    ints = np.round(values / scale).astype(np.int16)
    return {"scale": scale, "values": encode_array(ints)}


def dequantize(quantized: dict) -> np.ndarray:
    return decode_array(quantized["values"]).astype(np.float64) * quantized["scale"]


def smallest_unsigned(counts: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest unsigned dtype that holds them."""
    counts = np.asarray(counts)
    for dtype in (np.uint8, np.uint16, np.uint32):
        if counts.size == 0 or counts.max() <= np.iinfo(dtype).max:
            return counts.astype(dtype)
    raise ValueError("counts too large for uint32")


def png_data_uri(pixels: np.ndarray) -> str:
    """A uint8 image (h, w) grey or (h, w, 3) RGB as a PNG data URI."""
    from PIL import Image

    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)  # uint8: grey "L" or "RGB"
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_grid(images: np.ndarray) -> np.ndarray:
    """(rows, cols, side, side[, 3]) tiles as one (rows * side, cols * side[, 3]) sprite."""
    images = np.asarray(images)
    rows, cols, side = images.shape[:3]
    return images.swapaxes(1, 2).reshape(rows * side, cols * side, *images.shape[4:])


def grey_levels(images: np.ndarray) -> np.ndarray:
    """Images on the 0-255 scale as displayable uint8 (clipped, rounded)."""
    return np.clip(np.rint(np.asarray(images, dtype=np.float64)), 0, 255).astype(np.uint8)


def significant(values, digits: int = 7) -> list:
    """Floats as nested lists with ``digits`` significant digits: shorter JSON for values only drawn."""
    values = np.asarray(values, dtype=np.float64)
    return np.vectorize(lambda v: float(f"{v:.{digits}g}"), otypes=[float])(values).tolist()


def square_side(pixels: int) -> int:
    side = int(round(math.sqrt(pixels)))
    if side * side != pixels:
        raise ValueError(f"images of {pixels} pixels are not square")
    return side


# ---- linear SVMs -----------------------------------------------------------------------


def subsample_rows(y: np.ndarray, per_class: int, seed: int = SUBSAMPLE_SEED) -> np.ndarray:
    """At most ``per_class`` rows of each label, drawn once per pair (sorted row numbers)."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(y == label))[:per_class] for label in np.unique(y)]
    return np.sort(np.concatenate(chosen))


def plane_margins(coords: np.ndarray, lines: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y d(x) of every point under every model, from the tilting-plane coordinates.

    ``coords`` (models, n, 2) and ``lines`` (models, 3) as written by rule svm_projections:
    w lies in its tilting plane, so the signed distance to the boundary c.u + k = 0 is
    (c.u + k) / ||c||, with ||c|| = ||w||.
    """
    coords = np.asarray(coords, dtype=np.float64)
    lines = np.asarray(lines, dtype=np.float64)
    normals, offsets = lines[:, :2], lines[:, 2]
    distances = (np.einsum("mnk,mk->mn", coords, normals) + offsets[:, None]) / np.linalg.norm(normals, axis=1)[:, None]
    return distances * np.asarray(y, dtype=np.float64)[None, :]


def margin_histograms(margins: np.ndarray, bins: int) -> dict:
    """One histogram of y d(x) per model, over its 0.5-99.5 percentile range plus 10 %.

    Points outside the range fall into the outer bins (as in the static figure).
    Returns {"low", "high": per-model ranges, "counts": (models, bins)}.
    """
    margins = np.asarray(margins, dtype=np.float64)
    low, high = np.percentile(margins, [0.5, 99.5], axis=1)
    span = np.maximum(high - low, 1e-9)
    low, high = low - 0.1 * span, high + 0.1 * span
    counts = np.empty((margins.shape[0], bins), dtype=np.int64)
    for k, row in enumerate(margins):
        counts[k], _ = np.histogram(np.clip(row, low[k], high[k]), bins=bins, range=(low[k], high[k]))
    return {"low": low.tolist(), "high": high.tolist(), "counts": encode_array(smallest_unsigned(counts))}


def pair_view(name: str, metrics, projections: dict, mirrors: dict, points_per_class: int, bins: int) -> dict:
    """Everything the page shows for one digit pair, for every lambda of the run.

    ``metrics``: the pair's rows of the metrics table (a DataFrame sorted by lam);
    ``projections`` / ``mirrors``: the arrays of the pair's projections.npz / mirrors.npz.
    """
    alpha = np.asarray(metrics["alpha"], dtype=np.float64)
    for label, arrays in (("projections", projections), ("mirrors", mirrors)):
        if not np.array_equal(np.asarray(arrays["alpha"], dtype=np.float64), alpha):
            raise ValueError(f"pair {name}: the {label} file does not hold the metrics table's lambda grid")
    y = np.asarray(projections["y_train"])
    coords = np.asarray(projections["coords"], dtype=np.float64)
    lines = np.asarray(projections["line"], dtype=np.float64)
    shown = subsample_rows(y, points_per_class)
    mirror_images = np.asarray(mirrors["mirrors"], dtype=np.float64)
    originals = np.asarray(mirrors["images"], dtype=np.float64)
    side = square_side(originals.shape[-1])
    # sprite: row 0 the representatives x, y; row k + 1 their mirror images through model k
    tiles = np.concatenate([originals[None], mirror_images]).reshape(len(alpha) + 1, 2, side, side)
    a, b = name.split("v")
    return {
        "name": name,
        "digits": [int(a), int(b)],
        "metrics": {field: np.asarray(metrics[field], dtype=np.float64).tolist() for field in METRIC_FIELDS},
        "optimal": optimal_index(metrics["err_test"], metrics["lam"]),
        "plane": {
            "label": encode_array(np.where(y[shown] < 0, 0, 1).astype(np.uint8)),
            "total_points": int(y.size),
            # z_hat coordinate: the same in every model's plane
            "u": quantize(coords[0, shown, 0]),
            "v": quantize(coords[:, shown, 1]),
            "line": significant(lines),
            "centroids": significant(projections["centroids"]),
            "points": significant(mirrors["points"]),
            "mirror_points": significant(mirrors["mirror_points"]),
        },
        "histograms": margin_histograms(plane_margins(coords, lines, y), bins),
        "mirrors": {
            "side": side,
            "sprite": png_data_uri(image_grid(grey_levels(tiles))),
            "distances": np.asarray(mirrors["distances"], dtype=np.float64).tolist(),
        },
    }


# ---- LeNet -----------------------------------------------------------------------------


def perturbation_colors(perturbations: np.ndarray, limit: float, cmap: str = "RdBu_r") -> np.ndarray:
    """Perturbations x' - x as RGB uint8 on a symmetric scale [-limit, limit]."""
    from matplotlib import colormaps

    scaled = 0.5 + 0.5 * np.asarray(perturbations, dtype=np.float64) / (limit or 1.0)
    return (255 * colormaps[cmap](np.clip(scaled, 0.0, 1.0))[..., :3] + 0.5).astype(np.uint8)


def lenet_view(examples: dict[str, list[dict]], weight_decays: dict[str, float]) -> dict:
    """Original, adversarial example and perturbation of every source digit, per network.

    ``examples[net]``: one dict per digit with the arrays of its attack file (original,
    adversarial on the 0-255 scale; digit, target, l2, iterations, p_target, capped).
    Perturbations of all networks share one colour scale. Networks keep the given order.
    """
    nets = list(examples)
    if not nets:
        return {"networks": [], "limit": 0.0, "colorbar": ""}
    limit = max(float(np.abs(np.asarray(e["adversarial"]) - np.asarray(e["original"])).max()) for n in nets for e in examples[n])
    views = []
    for net in nets:
        rows = sorted(examples[net], key=lambda e: int(e["digit"]))
        original = np.stack([np.asarray(e["original"], dtype=np.float64).reshape(-1) for e in rows])
        adversarial = np.stack([np.asarray(e["adversarial"], dtype=np.float64).reshape(-1) for e in rows])
        side = square_side(original.shape[1])
        grey = np.repeat(grey_levels(np.stack([original, adversarial]))[..., None], 3, axis=-1)
        tiles = np.concatenate([grey, perturbation_colors(adversarial - original, limit)[None]])
        decay = weight_decays.get(net)
        views.append(
            {
                "name": net,
                "label": f"LeNet_{net}" + ("" if decay is None else f" (weight decay {decay:g})"),
                "side": side,
                "sprite": png_data_uri(image_grid(tiles.reshape(3, len(rows), side, side, 3))),
                "examples": [
                    {
                        "digit": int(e["digit"]),
                        "target": int(e["target"]),
                        "l2": float(e["l2"]),
                        "iterations": int(e["iterations"]),
                        "p_target": float(e["p_target"]),
                        "capped": bool(e["capped"]),
                    }
                    for e in rows
                ],
            }
        )
    scale = perturbation_colors(np.linspace(-limit, limit, 256)[None, :], limit)
    return {"networks": views, "limit": limit, "colorbar": png_data_uri(scale)}


# ---- the page --------------------------------------------------------------------------

TITLE = "boundary-tilting: run explorer"


def load_npz(path) -> dict:
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def read_pair_views(metrics_path, pair_files: dict, points_per_class: int, bins: int) -> list[dict]:
    """:func:`pair_view` of each pair from the run's files.

    ``pair_files``: pair name -> (projections.npz, mirrors.npz), in the page's order;
    ``metrics_path``: the metrics table of all pairs (results/svm/metrics.csv).
    """
    import pandas as pd

    if not pair_files:
        return []
    table = pd.read_csv(metrics_path, dtype={"pair": str})
    views = []
    for name, (projections, mirrors) in pair_files.items():
        rows = table[table["pair"] == name].sort_values("lam", kind="stable")
        if rows.empty:
            raise ValueError(f"{metrics_path}: no rows for pair {name}")
        views.append(pair_view(name, rows, load_npz(projections), load_npz(mirrors), points_per_class, bins))
    return views


def read_lenet_examples(paths, networks) -> dict[str, list[dict]]:
    """Attack files (results/lenet/{net}/attack/{digit}.npz) grouped by network: ``networks``
    first, in their order, then any other network found."""
    examples = {net: [] for net in networks}
    for path in paths:
        examples.setdefault(Path(path).parent.parent.name, []).append(load_npz(path))
    return {net: rows for net, rows in examples.items() if rows}


def page_data(pairs: list[dict], lenet: dict, settings: dict) -> dict:
    return {"pairs": pairs, "lenet": lenet, "settings": settings}


def build_page(data: dict, template_path, charts_path, script_path, style_path, title: str = TITLE) -> str:
    """:func:`render_page` with the files of workflow/resources/explorer/."""

    def text(path):
        return Path(path).read_text(encoding="utf-8")

    return render_page(data, text(template_path), text(charts_path), text(script_path), text(style_path), title)


def render_page(data: dict, template: str, charts: str, script: str, style: str, title: str) -> str:
    """The page: the template with the chart drawer, the explorer's script and style and the data inlined."""
    missing = [marker for marker in PLACEHOLDERS if marker not in template]
    if missing:
        raise ValueError(f"explorer template lacks the placeholder(s) {', '.join(missing)}")
    for label, code in (("chart script", charts), ("explorer script", script), ("explorer style", style)):
        if "</script" in code.lower() or "</style" in code.lower():
            raise ValueError(f"{label} contains a closing tag and cannot be inlined")
    # "</" inside a <script> element could end it early; JSON allows "<\\/" for "</"
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    parts = dict(zip(PLACEHOLDERS, (charts, script, style, payload, html.escape(title))))
    # one pass over the template: placeholders inside the inlined code are left alone
    pattern = "|".join(re.escape(marker) for marker in PLACEHOLDERS)
    return re.sub(pattern, lambda match: parts[match.group(0)], template)
