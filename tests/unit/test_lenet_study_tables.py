"""The weight-decay study's grid and aggregation (tilting.lenet_study), on hand-made tables."""

import math

import numpy as np
import pandas as pd
import pytest

from tilting import lenet_study
from tilting.attack import choose_images, choose_images_per_digit
from tilting.settings import ConfigError


def test_grid_names_every_network_once_in_order():
    networks = lenet_study.study_networks(
        {"weight_decays": [0.1, 0.0, 1e-4], "learning_rates": [5e-4], "seeds": [1, 0], "reference_weight_decay": 1e-4}
    )
    assert list(networks) == [
        "wd0_lr0.0005_seed0",
        "wd0_lr0.0005_seed1",
        "wd0.0001_lr0.0005_seed0",
        "wd0.0001_lr0.0005_seed1",
        "wd0.1_lr0.0005_seed0",
        "wd0.1_lr0.0005_seed1",
    ]
    assert networks["wd0.1_lr0.0005_seed1"] == {"weight_decay": 0.1, "learning_rate": 5e-4, "seed": 1}
    assert lenet_study.network_name(1e-5, 1e-3, 2) == "wd1e-05_lr0.001_seed2"
    assert lenet_study.study_networks({"weight_decays": [], "seeds": [0]}) == {}


@pytest.mark.parametrize(
    "section,message",
    [
        ({"weight_decays": [1e-4, 0.1], "reference_weight_decay": 0.01}, "reference_weight_decay: 0.01 is not one of"),
        ({"weight_decays": [1e-4], "seeds": []}, "lenet_study.seeds: empty"),
        ({"weight_decays": [1e-4, 1.0000001e-4]}, "too close to another grid value"),
    ],
)
def test_unusable_grids_are_one_line_errors(section, message):
    section = {"learning_rates": [5e-4], "seeds": [0], "reference_weight_decay": 1e-4, **section}
    with pytest.raises(ConfigError, match=message):
        lenet_study.study_networks(section)


def test_images_per_digit_start_with_the_articles_image_and_only_grow():
    labels = np.random.default_rng(0).integers(0, 10, size=500)
    one = choose_images(labels, seed=2)
    three = choose_images_per_digit(labels, seed=2, count=3)
    five = choose_images_per_digit(labels, seed=2, count=5)
    for digit in range(10):
        assert three[digit][0] == one[digit]
        assert five[digit][:3] == three[digit]
        assert len(set(five[digit])) == 5 and all(labels[i] == digit for i in five[digit])
    with pytest.raises(ConfigError, match="digit"):
        choose_images_per_digit(labels, seed=2, count=1000)


def attacks_table(article, targeted, untargeted, missed_targeted=0):
    rows = [("article", value, True) for value in article]
    rows += [("ddn_targeted", value, k >= missed_targeted) for k, value in enumerate(targeted)]
    rows += [("ddn_untargeted", value, True) for value in untargeted]
    return pd.DataFrame(rows, columns=["attack", "l2", "reached"])


def test_network_row_takes_final_errors_rms_and_median_l2():
    history = pd.DataFrame({"epoch": [1, 2], "train_error": [0.5, 0.01], "test_error": [0.4, 0.03]})
    rms = {"conv1": 0.1, "conv2": 0.2, "fc1": 0.3, "fc2": 0.4}
    attacks = attacks_table([300, 100, 200], [10, 20, 30, 40], [1, 2, 3], missed_targeted=2)
    row = lenet_study.network_row("n", {"weight_decay": 0.1, "learning_rate": 5e-4, "seed": 3}, history, rms, attacks)
    assert row["epochs"] == 2 and row["seed"] == 3
    assert row["train_test_gap"] == pytest.approx(0.02)
    assert row["rms_fc1"] == 0.3
    assert row["l2_article"] == 200
    # two of four targeted examples missed: counted as infinitely far, the median is (40 + inf) / 2
    assert math.isinf(row["l2_ddn_targeted"]) and row["l2_ddn_targeted_missed"] == 2
    assert row["l2_ddn_untargeted"] == 2 and row["l2_ddn_untargeted_images"] == 3


def study_table(values: dict) -> pd.DataFrame:
    """networks table from {weight_decay: ([article per seed], [ddn targeted per seed])}."""
    rows = []
    for decay, (article, ddn) in values.items():
        for seed, (a, d) in enumerate(zip(article, ddn)):
            row = {"net": f"{decay}_{seed}", "weight_decay": decay, "learning_rate": 5e-4, "seed": seed}
            row.update(l2_article=a, l2_ddn_targeted=d, l2_ddn_untargeted=d / 2)
            row.update({column: 0.01 for column in lenet_study.MEASURES})
            rows.append(row)
    return pd.DataFrame(rows)


def test_spread_is_mean_min_max_over_the_seeds():
    table = study_table({1e-4: ([100, 110, 120], [50, 60, 70]), 0.1: ([200, 230, 260], [40, 45, 50])})
    spread = lenet_study.spread_table(table)
    assert spread["weight_decay"].tolist() == [1e-4, 0.1]
    assert spread["seeds"].tolist() == [3, 3]
    first = spread.iloc[0]
    assert (first["l2_article_mean"], first["l2_article_min"], first["l2_article_max"]) == (110, 100, 120)
    assert spread.iloc[1]["l2_ddn_untargeted_max"] == 25


def test_verdict_threshold_ratio_and_ordering():
    table = study_table(
        {
            0.0: ([90, 95, 100], [60, 65, 70]),
            1e-4: ([100, 110, 120], [50, 60, 70]),
            1e-3: ([115, 125, 135], [55, 65, 75]),  # overlaps the reference: not beyond the spread
            1e-2: ([130, 140, 150], [45, 50, 55]),  # beyond for the article's attack only
            1e-1: ([220, 240, 260], [40, 45, 50]),
        }
    )
    spread = lenet_study.spread_table(table)
    verdict = lenet_study.verdict_table(spread, 1e-4).set_index("attack")
    article = verdict.loc["l2_article"]
    assert article["larger_from_weight_decay"] == 1e-2
    assert article["ratio_at_largest"] == pytest.approx(240 / 110)
    assert article["seeds"] == 3 and article["order_as_article"] == "—"
    ddn = verdict.loc["l2_ddn_targeted"]
    assert math.isnan(ddn["larger_from_weight_decay"])
    assert ddn["ratio_at_largest"] == pytest.approx(45 / 60)
    assert ddn["order_as_article"] == "differs"
    assert "0.001 vs 0.01" in ddn["discordant_pairs"] and "0 vs 0.0001" in ddn["discordant_pairs"]
    sentences = lenet_study.verdict_sentences(verdict.reset_index())
    assert "from λ = 0.01 on" in sentences[0] and "2.18x" in sentences[0]
    assert "never larger" in sentences[1] and "unlike the article's attack" in sentences[1]


def test_larger_from_needs_every_larger_weight_decay_beyond_the_spread():
    table = study_table(
        {1e-4: ([100, 120], [1, 1]), 1e-3: ([130, 140], [1, 1]), 1e-2: ([110, 150], [1, 1]), 1e-1: ([200, 210], [1, 1])}
    )
    spread = lenet_study.spread_table(table)
    # 1e-3 is beyond, 1e-2 dips back into the reference's range: "from 1e-1 on"
    assert lenet_study.larger_from(spread, "l2_article", 1e-4) == 1e-1


def test_study_figure_draws_every_panel(tmp_path):
    from tilting.plots import save_figure
    from tilting.plots.lenet_study import decay_positions, study_figure

    position, ticks, labels = decay_positions([0.0, 1e-4, 1e-1])
    assert position[0.0] == pytest.approx(-5) and position[0.1] == pytest.approx(-1)
    assert labels == ["0", "0.0001", "0.1"]
    table = study_table({0.0: ([1, 2], [1, 2]), 1e-4: ([2, 3], [2, 3]), 0.1: ([5, 6], [4, 5])})
    for layer in ("conv1", "conv2", "fc1", "fc2"):
        table[f"rms_{layer}"] = np.linspace(0.01, 0.1, len(table))
    fig = study_figure(table, 1e-4)
    assert len(fig.axes) == 6 and all(ax.lines for ax in fig.axes)
    save_figure(fig, tmp_path / "study.png")
    assert (tmp_path / "study.png").stat().st_size > 10_000
