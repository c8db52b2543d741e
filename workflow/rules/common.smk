# What every stage shares: the config check, the pair and lambda lists, wildcard constraints.
# Each stage's own helpers live beside its rules (workflow/rules/<stage>.smk).
# (The Snakefile puts workflow/scripts on sys.path and imports tilting.settings.)
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

from snakemake_scheduling import keep_one_reevaluation_timer  # noqa: E402

min_version("9.0")

# without it, thousands of short jobs keep the main process busy scheduling (see the module)
keep_one_reevaluation_timer()

try:
    CONFIG_SCHEMA = tilting_settings.load_schema(
        workflow.source_path("../schemas/config.schema.yaml")
    )
    # a nested --config override reaches us as strings: numbers where the schema wants them
    tilting_settings.coerce_config(config, CONFIG_SCHEMA)
    tilting_settings.validate_config(config, CONFIG_SCHEMA)
    tilting_settings.check_references(config)
    PAIRS = tilting_settings.resolve_pairs(config["pairs"])
    EXPONENTS = tilting_settings.lambda_exponents(**config["svm"]["lambda_exponents"])
except tilting_settings.ConfigError as err:
    # one line: a raised error would add Snakemake's traceback
    sys.exit(f"invalid config: {err}")

ALPHAS = [tilting_settings.format_exponent(alpha) for alpha in EXPONENTS]

PACKAGE = Path(workflow.basedir) / "workflow" / "scripts" / "tilting"


def package_code(*patterns):
    """md5 of the package modules matching ``patterns`` (paths under tilting/, globs allowed).

    A rule's ``code`` param: Snakemake tracks a rule's own script, not the modules it imports,
    so each rule names the modules that compute its outputs (not those that only read or write
    files: editing those reruns nothing).
    """
    paths = []
    for pattern in patterns:
        matches = sorted(PACKAGE.glob(pattern))
        if not matches:
            raise ValueError(f"package_code: no module tilting/{pattern}")
        paths += matches
    return tilting_settings.source_digest(*paths)


def sorted_mapping(mapping):
    """A config section as a param, its keys sorted: Snakemake compares params in their written
    order, and a config file may list the same keys in another order. (Nested mappings keep
    theirs: the claims table's rows follow lenet_reference_test_error's order.)"""
    return dict(sorted(mapping.items()))


wildcard_constraints:
    pair=r"[0-9]v[0-9]",
    alpha=r"[-+][0-9]+\.[0-9]{2}",
    net=r"[A-Za-z0-9_]+",
    digit=r"[0-9]",
