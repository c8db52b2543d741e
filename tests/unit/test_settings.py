"""Config checks: the lambda grid, pairs, one-line schema errors naming the key, config files
and --config strings, and config.yaml as the one source of every default."""

import subprocess
import sys
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
        (("pairs", ["7v11"]), "pairs[0]: '7v11' does not match '^[0-9]v[0-9]$'; a pair \"AvB\" of digits A < B"),
        (("pairs", ["0v1", "0v11"]), "pairs[1]: '0v11' does not match"),
        (("pairs", "some"), "pairs: 'some' is not valid; \"all\" (the 45 pairs a < b) or a list"),
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


def schema_keys(schema, prefix=""):
    """Dotted names of every key the schema declares (objects with properties)."""
    for key, node in schema.get("properties", {}).items():
        yield prefix + key
        yield from schema_keys(node, f"{prefix}{key}.")


def test_config_yaml_holds_every_key_of_the_schema_and_the_schema_no_default():
    config = default_config()
    keys = list(schema_keys(SCHEMA))
    assert len(keys) > 60  # every section, not only the top level
    for dotted in keys:
        node = config
        for part in dotted.split("."):
            assert isinstance(node, dict) and part in node, f"{dotted} is in the schema but not in config.yaml"
            node = node[part]
    assert "default:" not in (REPO / "workflow" / "schemas" / "config.schema.yaml").read_text()


def test_nested_config_override_strings_become_numbers():
    """Snakemake hands the values of --config 'sample={images_per_class: 2}' over as strings."""
    config = default_config()
    config["sample"].update(images_per_class="2", seed="0")
    config["svm"].update(pixel_scale="1", gap_tolerance="1e-8", figure_exponents=["1", "-0.5"])
    config["svm"]["lambda_exponents"] = {"start": "-1", "stop": "3", "step": "0.5"}
    config["lenet"].update(networks={"low": "1e-4", "mid": "0.01"}, train_images="null", test_images="200")
    config["attack"]["target_probability"] = "0.9"  # a $ref to the schema's probability
    config["data"]["offline_dir"] = "null"
    settings.validate_config(settings.coerce_config(config, SCHEMA), SCHEMA)
    assert config["sample"] == {"images_per_class": 2, "method": "first", "seed": 0}
    assert type(config["sample"]["images_per_class"]) is int
    assert config["svm"]["pixel_scale"] == 1 and config["svm"]["gap_tolerance"] == 1e-8
    assert config["svm"]["figure_exponents"] == [1, -0.5]
    assert settings.lambda_exponents(**config["svm"]["lambda_exponents"]) == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert config["lenet"]["networks"] == {"low": 1e-4, "mid": 0.01}
    assert config["lenet"]["train_images"] is None and config["lenet"]["test_images"] == 200
    assert config["attack"]["target_probability"] == 0.9 and config["data"]["offline_dir"] is None
    # strings stay strings where the schema wants one
    assert config["sample"]["method"] == "first" and config["pairs"] == "all"


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("images_per_class", "two", "sample.images_per_class: 'two' is not of type 'integer'"),
        ("images_per_class", "2.5", "sample.images_per_class: '2.5' is not of type 'integer'"),
        ("images_per_class", "nan", "sample.images_per_class: 'nan' is not of type 'integer'"),
        ("images_per_class", "-3", "sample.images_per_class: -3 is less than the minimum of 1"),
    ],
)
def test_override_strings_that_are_no_valid_number_are_named(key, value, expected):
    config = default_config()
    config["sample"][key] = value
    with pytest.raises(settings.ConfigError) as err:
        settings.validate_config(settings.coerce_config(config, SCHEMA), SCHEMA)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_config_file_errors_name_the_file_and_the_line(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("sample:\n  images_per_class: 20\n")
    assert settings.load_config_file(good) == {"sample": {"images_per_class": 20}}
    broken = tmp_path / "broken.yaml"
    broken.write_text("sample:\n  images_per_class: 20\npairs: [7v9, 0v1\nsvm: {}\n")
    cases = {
        broken: f"config file {broken}, line 4, column 4: not valid YAML",
        tmp_path / "missing.yaml": f"config file {tmp_path / 'missing.yaml'}: not found",
        tmp_path: f"config file {tmp_path}: cannot be read",
    }
    listed = tmp_path / "list.yaml"
    listed.write_text("- 7v9\n")
    cases[listed] = f"config file {listed}: expected keys at the top level, found list"
    for path, expected in cases.items():
        with pytest.raises(settings.ConfigError) as err:
            settings.load_config_file(path)
        assert str(err.value).startswith(expected) and "\n" not in str(err.value), str(err.value)


def test_config_file_check_command_prints_one_line_per_bad_file(tmp_path):
    """``python -m tilting.settings FILE...``, which `make run CONFIG=...` runs first."""
    command = [sys.executable, "-m", "tilting.settings", str(REPO / "config.yaml")]
    env = {"PYTHONPATH": str(REPO / "workflow" / "scripts")}
    ok = subprocess.run(command, capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stderr == ""
    missing = tmp_path / "mine.yaml"
    result = subprocess.run([*command, str(missing)], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr == f"invalid config: config file {missing}: not found\n"


@pytest.mark.parametrize(
    "section,key,value,expected",
    [
        ("toy", "lambda_low", float("nan"), "toy.lambda_low: nan is not a finite number"),
        ("svm", "gap_tolerance", float("nan"), "svm.gap_tolerance: nan is not a finite number"),
        ("lenet", "networks", {"low": 1e-4, "high": float("inf")}, "lenet.networks.high: inf is not a finite number"),
        ("attack", "step", float("-inf"), "attack.step: -inf is not a finite number"),
    ],
)
def test_nan_and_infinity_are_named(section, key, value, expected):
    """YAML's .nan and .inf: a JSON schema's bounds never reject NaN, and .inf passes a minimum."""
    config = default_config()
    config[section][key] = value
    with pytest.raises(settings.ConfigError) as err:
        settings.validate_config(config, SCHEMA)
    assert str(err.value) == expected


def test_a_key_given_twice_in_a_config_file_names_the_file_and_line(tmp_path):
    """PyYAML (and Snakemake's reader) keep the last of two equal keys without a word."""
    top = tmp_path / "top.yaml"
    top.write_text("svm:\n  pixel_scale: 1\nsvm:\n  objective: vlfeat\n")
    nested = tmp_path / "nested.yaml"
    nested.write_text("sample:\n  seed: 1\n  method: first\n  seed: 2\n")
    for path, expected in ((top, "line 3: key 'svm'"), (nested, "line 4: key 'seed'")):
        with pytest.raises(settings.ConfigError) as err:
            settings.load_config_file(path)
        assert str(err.value) == f"config file {path}: {expected} given twice in the same section"


def test_an_unknown_checksum_file_is_named():
    config = default_config()
    config["data"]["checksums"]["train-images-idx3-ubyt"] = "0" * 32
    with pytest.raises(settings.ConfigError, match="unknown config key.*'train-images-idx3-ubyt' in data.checksums"):
        settings.validate_config(config, SCHEMA)


@pytest.mark.parametrize(
    "pairs,expected",
    [
        (["7v9", "0v1", "7v9"], "pairs: '7v9' is listed twice"),
        ([], "pairs: the list is empty; give 'all' or pairs like ['7v9', '0v1']"),
    ],
)
def test_duplicate_and_empty_pairs_say_so(pairs, expected):
    config = default_config()
    config["pairs"] = pairs
    settings.validate_config(config, SCHEMA)  # the schema leaves these to resolve_pairs
    with pytest.raises(settings.ConfigError) as err:
        settings.resolve_pairs(config["pairs"])
    assert str(err.value) == expected


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("hard_pair", "9v7", "claims.hard_pair: pair '9v7': expected 'AvB' with digits 0 <= A < B <= 9"),
        ("poorly_adjusted_pair", "1v1", "claims.poorly_adjusted_pair: pair '1v1'"),
        ("lenet_low_network", "lo", "claims.lenet_low_network: 'lo' is not a network of lenet.networks (high, low)"),
        ("lenet_reference_test_error", {"hihg": 0.012}, "claims.lenet_reference_test_error.hihg: 'hihg' is not a network"),
    ],
)
def test_claims_that_name_no_possible_pair_or_network_are_named(key, value, expected):
    config = default_config()
    settings.check_references(config)
    config["claims"][key] = value
    with pytest.raises(settings.ConfigError) as err:
        settings.check_references(config)
    assert str(err.value).startswith(expected), str(err.value)


def test_a_network_set_to_null_may_still_be_named_by_the_claims():
    """How a later config file removes a network: its claims are then NOT RUN, not an error."""
    config = default_config()
    config["lenet"]["networks"]["high"] = None
    settings.check_references(config)
