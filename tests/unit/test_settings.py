"""Config checks: the lambda grid, pairs, and one-line schema errors naming the key."""

from pathlib import Path

import pytest
import yaml

from tilting import settings

REPO = Path(__file__).resolve().parents[2]
SCHEMA = settings.load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def default_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_grid_has_81_exponents():
    grid = settings.lambda_exponents(-1.0, 7.0, 0.1)
    assert len(grid) == 81 and grid[0] == -1.0 and grid[-1] == 7.0 and grid[10] == 0.0
    assert all(isinstance(a, float) for a in grid)


def test_authors_grid_descends():
    grid = settings.lambda_exponents(2.0, -6.0, -0.1)
    assert len(grid) == 81 and grid[0] == 2.0 and grid[-1] == -6.0


@pytest.mark.parametrize("start,stop,step", [(7, -1, 0.1), (-1, 7, -0.1)])
def test_empty_range_names_the_key(start, stop, step):
    with pytest.raises(settings.ConfigError, match="svm.lambda_exponents: empty range"):
        settings.lambda_exponents(start, stop, step)


def test_step_finer_than_resolution():
    with pytest.raises(settings.ConfigError, match="step"):
        settings.lambda_exponents(0, 0.01, 0.001)


def test_exponent_file_names_round_trip():
    assert settings.format_exponent(-1.0) == "-1.00"
    assert settings.format_exponent(7) == "+7.00"
    assert settings.format_exponent(0.0) == "+0.00"
    assert settings.parse_exponent("-0.30") == -0.3


def test_pairs():
    assert len(settings.resolve_pairs("all")) == 45
    assert settings.resolve_pairs(["7v9", "0v1"]) == ["0v1", "7v9"]
    with pytest.raises(settings.ConfigError, match="pairs"):
        settings.resolve_pairs(["7v9", "7v9"])
    with pytest.raises(settings.ConfigError, match="pairs: pair '9v7'"):
        settings.resolve_pairs(["9v7"])


def test_default_config_is_valid():
    settings.validate_config(default_config(), SCHEMA)


@pytest.mark.parametrize(
    "change,expected",
    [
        (("pairs", ["7v11"]), "pairs: ['7v11'] is not valid"),
        (("sample", {"images_per_class": -5}), "sample.images_per_class: -5 is less than the minimum of 1"),
        (("svm", {"pixel_scale": 3}), "svm.pixel_scale: 3 is not one of [1, 255]; allowed: one of 1, 255"),
        (("bogus", 1), "unknown config key(s) 'bogus' at the top level; allowed keys: attack"),
        (("sample", {"method": "best"}), "sample.method: 'best' is not one of"),
    ],
)
def test_schema_errors_are_one_line_and_name_the_key(change, expected):
    config = default_config()
    key, value = change
    if isinstance(value, dict) and isinstance(config.get(key), dict):
        config[key].update(value)
    else:
        config[key] = value
    with pytest.raises(settings.ConfigError) as err:
        settings.validate_config(config, SCHEMA)
    assert expected in str(err.value) and "\n" not in str(err.value)
