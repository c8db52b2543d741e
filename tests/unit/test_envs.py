"""The conda environments of the rules (envs/*.yaml) pin what requirements.txt pins."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
#: conda-forge names of PyPI packages whose conda package is split
CONDA_NAMES = {"matplotlib-base": "matplotlib", "seaborn-base": "seaborn"}


def pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def environment_pins(path: Path) -> dict[str, str]:
    pins = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        for spec in entry["pip"] if isinstance(entry, dict) else [entry]:
            if "=" in spec:
                name, version = spec.replace("==", "=").split("=")
                pins[CONDA_NAMES.get(name, name).lower()] = version
    return pins


@pytest.mark.parametrize("path", sorted((REPO / "envs").glob("*.yaml")), ids=lambda path: path.name)
def test_environment_pins_match_requirements(path):
    requirements = pinned_requirements()
    pins = {name: version for name, version in environment_pins(path).items() if name != "python"}
    assert pins and all(name in requirements for name in pins), sorted(set(pins) - set(requirements))
    assert {name: requirements[name] for name in pins} == pins


def test_stages_have_the_libraries_they_import():
    """scikit-learn fits the toy models; seaborn draws the SVM and LeNet figures."""
    assert "scikit-learn" in environment_pins(REPO / "envs" / "toy.yaml")
    for stage in ("svm", "lenet"):
        assert "seaborn" in environment_pins(REPO / "envs" / f"{stage}.yaml")
