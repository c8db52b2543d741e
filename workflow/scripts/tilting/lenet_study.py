"""Weight-decay study, beyond the article: does weight decay enlarge LeNet's adversarial
perturbations beyond seed-to-seed noise, and for a second attack too?

The article compares two networks (weight decay 1e-4 and 1e-1), one seed each, one attack.
The study trains one LeNet per weight decay x learning rate x seed (``config lenet_study``),
attacks each with the article's attack and with the minimal-L2 attack DDN
(tilting.minimal_attack), and summarizes:

- per network: final errors, train-test gap, weight RMS per layer, median perturbation L2
  of each attack over its images (``network_table``);
- per (learning rate, weight decay): mean, min and max over the seeds (``spread_table``);
- the verdict (``verdict_table``): for each attack, from which weight decay on every
  network's median perturbation exceeds the largest of the reference weight decay's
  networks (the seed spread: the min-max ranges do not overlap), the ratio of the means at
  the largest weight decay to the reference's, and whether the attack orders the weight
  decays as the article's attack does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .settings import ConfigError

#: The perturbation measures, column -> what it is (all L2 norms in grey levels, 0-255 scale).
ATTACKS = {
    "l2_article": "article's attack (p_target >= target probability), median L2",
    "l2_ddn_targeted": "DDN minimal L2 to the article's target class, median",
    "l2_ddn_untargeted": "DDN minimal L2 to any other class, median",
}

#: Per-network measures summarized over the seeds, besides the attacks.
MEASURES = ("test_error", "train_error", "train_test_gap", "rms_conv1", "rms_conv2", "rms_fc1", "rms_fc2")

#: Attack names in the per-network attacks table (attacks.csv) -> their column in ATTACKS.
ATTACK_COLUMNS = {"article": "l2_article", "ddn_targeted": "l2_ddn_targeted", "ddn_untargeted": "l2_ddn_untargeted"}


def network_name(weight_decay: float, learning_rate: float, seed: int) -> str:
    """File name of one network of the grid, e.g. wd0.0001_lr0.0005_seed0."""
    return f"wd{weight_decay:g}_lr{learning_rate:g}_seed{seed}"


def study_networks(section: dict) -> dict[str, dict]:
    """name -> {weight_decay, learning_rate, seed}, ordered by learning rate, weight decay, seed.

    Raises ConfigError (one line, naming the key) for a grid the study cannot use.
    """
    decays = [float(v) for v in section.get("weight_decays") or []]
    if not decays:
        return {}
    rates = [float(v) for v in section.get("learning_rates") or []]
    seeds = [int(v) for v in section.get("seeds") or []]
    for key, values in (("weight_decays", decays), ("learning_rates", rates), ("seeds", seeds)):
        if not values:
            raise ConfigError(f"lenet_study.{key}: empty; the study needs at least one")
        if len(set(values)) != len(values):
            raise ConfigError(f"lenet_study.{key}: duplicate values in {values}")
    reference = float(section.get("reference_weight_decay", 1.0e-4))
    if reference not in decays:
        raise ConfigError(f"lenet_study.reference_weight_decay: {reference:g} is not one of weight_decays {decays}")
    networks = {}
    for rate in sorted(rates):
        for decay in sorted(decays):
            for seed in sorted(seeds):
                name = network_name(decay, rate, seed)
                if name in networks:
                    raise ConfigError(
                        f"lenet_study: weight decay {decay!r} / learning rate {rate!r} are too close to another "
                        f"grid value to name network {name}"
                    )
                networks[name] = {"weight_decay": decay, "learning_rate": rate, "seed": seed}
    return networks


# ---- aggregation -----------------------------------------------------------------------


def network_row(name: str, spec: dict, history: pd.DataFrame, rms: dict, attacks: pd.DataFrame) -> dict:
    """One row of the per-network table: final errors, weight RMS, median L2 of each attack.

    ``attacks`` has columns attack, l2 (grey levels) and reached (the attack met its goal);
    an example that did not is counted as infinitely far (it pushes the median up).
    """
    final = history.iloc[-1]
    row = {
        "net": name,
        "weight_decay": float(spec["weight_decay"]),
        "learning_rate": float(spec["learning_rate"]),
        "seed": int(spec["seed"]),
        "epochs": int(final["epoch"]),
        "train_error": float(final["train_error"]),
        "test_error": float(final["test_error"]),
        "train_test_gap": float(final["test_error"] - final["train_error"]),
    }
    row.update({f"rms_{layer}": float(value) for layer, value in rms.items()})
    for attack, column in ATTACK_COLUMNS.items():
        rows = attacks[attacks["attack"] == attack]
        if rows.empty:
            raise ValueError(f"network {name}: no {attack} examples")
        l2 = np.where(rows["reached"].astype(bool), rows["l2"].astype(float), np.inf)
        row[column] = float(np.median(l2))
        row[f"{column}_images"] = int(len(rows))
        row[f"{column}_missed"] = int((~rows["reached"].astype(bool)).sum())
    return row


def spread_table(networks: pd.DataFrame) -> pd.DataFrame:
    """Per (learning rate, weight decay): seeds, and mean / min / max over them of every measure."""
    columns = list(ATTACKS) + list(MEASURES)
    grouped = networks.groupby(["learning_rate", "weight_decay"], sort=True)
    table = grouped.size().rename("seeds").to_frame()
    for column in columns:
        stats = grouped[column].agg(["mean", "min", "max"])
        for stat in ("mean", "min", "max"):
            table[f"{column}_{stat}"] = stats[stat]
    return table.reset_index()


def larger_from(spread: pd.DataFrame, column: str, reference: float) -> float | None:
    """The smallest weight decay w > reference such that at w and every larger weight decay,
    every seed's ``column`` exceeds the largest of the reference's seeds; None if none."""
    ref = spread[spread["weight_decay"] == reference]
    if ref.empty:
        raise ValueError(f"reference weight decay {reference:g} is not in the table")
    ceiling = float(ref[f"{column}_max"].iloc[0])
    above = spread[spread["weight_decay"] > reference].sort_values("weight_decay")
    start = None
    for decay, low in zip(above["weight_decay"], above[f"{column}_min"]):
        if low > ceiling:
            start = decay if start is None else start
        else:
            start = None
    return start


def discordant_pairs(spread: pd.DataFrame, column: str, against: str) -> list[tuple[float, float]]:
    """Pairs of weight decays (w1 < w2) that ``column`` and ``against`` order differently (seed means)."""
    decays = spread["weight_decay"].to_numpy()
    a = spread[f"{column}_mean"].to_numpy()
    b = spread[f"{against}_mean"].to_numpy()
    pairs = []
    for i in range(len(decays)):
        for j in range(i + 1, len(decays)):
            if np.sign(a[j] - a[i]) != np.sign(b[j] - b[i]):
                pairs.append((float(min(decays[i], decays[j])), float(max(decays[i], decays[j]))))
    return pairs


def ratio(value: float, reference: float) -> float:
    """value / reference; nan where the reference is 0 (e.g. every image already misclassified)."""
    return float(value) / float(reference) if reference > 0 else float("nan")


def verdict_table(spread: pd.DataFrame, reference: float) -> pd.DataFrame:
    """One row per learning rate and attack: the verdict of the study (see the module)."""
    rows = []
    for rate, group in spread.groupby("learning_rate", sort=True):
        group = group.sort_values("weight_decay")
        ref = group[group["weight_decay"] == reference]
        largest = group.iloc[-1]
        for column, meaning in ATTACKS.items():
            start = larger_from(group, column, reference)
            discordant = [] if column == "l2_article" else discordant_pairs(group, column, "l2_article")
            rows.append(
                {
                    "learning_rate": float(rate),
                    "attack": column,
                    "meaning": meaning,
                    "seeds": int(group["seeds"].min()),
                    "reference_weight_decay": float(reference),
                    "reference_mean": float(ref[f"{column}_mean"].iloc[0]),
                    "reference_max": float(ref[f"{column}_max"].iloc[0]),
                    "larger_from_weight_decay": np.nan if start is None else float(start),
                    "largest_weight_decay": float(largest["weight_decay"]),
                    "largest_mean": float(largest[f"{column}_mean"]),
                    "ratio_at_largest": ratio(largest[f"{column}_mean"], ref[f"{column}_mean"].iloc[0]),
                    "order_as_article": "—" if column == "l2_article" else ("same" if not discordant else "differs"),
                    "discordant_pairs": "; ".join(f"{a:g} vs {b:g}" for a, b in discordant),
                }
            )
    return pd.DataFrame(rows)


def verdict_sentences(verdict: pd.DataFrame) -> list[str]:
    """The verdict in words, one sentence per row."""
    sentences = []
    for row in verdict.itertuples():
        where = (
            f"larger than at λ = {row.reference_weight_decay:g} beyond the seed spread from λ = "
            f"{row.larger_from_weight_decay:g} on"
            if np.isfinite(row.larger_from_weight_decay)
            else f"never larger than at λ = {row.reference_weight_decay:g} beyond the seed spread"
        )
        order = ""
        if row.order_as_article == "differs":
            order = f"; it orders the weight decays unlike the article's attack ({row.discordant_pairs})"
        elif row.order_as_article == "same":
            order = "; same order of the weight decays as the article's attack"
        factor = f"{row.ratio_at_largest:.2f}x" if np.isfinite(row.ratio_at_largest) else "undefined (reference 0) times"
        sentences.append(
            f"learning rate {row.learning_rate:g}, {row.meaning}: {where} ({row.seeds} seeds); at λ = "
            f"{row.largest_weight_decay:g} {factor} the reference{order}."
        )
    return sentences
