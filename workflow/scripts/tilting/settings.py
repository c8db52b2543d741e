"""Checks and derived values of the workflow config that a JSON schema cannot express.

Everything here returns plain Python types: Snakemake compares params by value to
decide reruns, and ignores numpy scalars.
"""

from __future__ import annotations

import math

from .data import all_pairs, parse_pair


class ConfigError(ValueError):
    """A config value that cannot be used; the message names the key."""


def resolve_pairs(pairs: str | list[str]) -> list[str]:
    """The config's ``pairs`` as a sorted list of 'AvB' names."""
    if pairs == "all":
        return all_pairs()
    if isinstance(pairs, str) or not pairs:
        raise ConfigError(f"pairs: {pairs!r} is neither 'all' nor a list like ['7v9', '0v1']")
    resolved = []
    for pair in pairs:
        try:
            parse_pair(str(pair))
        except ValueError as err:
            raise ConfigError(f"pairs: {err}; allowed digits 0-9 with A < B, e.g. '7v9'") from err
        resolved.append(str(pair))
    if len(set(resolved)) != len(resolved):
        raise ConfigError(f"pairs: duplicate entries in {resolved}")
    return sorted(resolved)


def lambda_exponents(start: float, stop: float, step: float) -> list[float]:
    """alpha = start, start + step, ... up to stop inclusive, rounded to 2 decimals.

    Rounding makes the grid exact and stable: 10^alpha is computed from the
    rounded exponent, and the file name of a model is its exponent.
    """
    key = "svm.lambda_exponents"
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (start, stop, step)):
        raise ConfigError(f"{key}: start, stop and step must be finite numbers")
    if step == 0:
        raise ConfigError(f"{key}.step: must be non-zero")
    count = (stop - start) / step
    if count < -1e-9:
        raise ConfigError(
            f"{key}: empty range, start={start} stop={stop} step={step} (step must point from start to stop)"
        )
    n = int(math.floor(count + 1e-9)) + 1
    exponents = [round(start + k * step, 2) for k in range(n)]
    if len(set(exponents)) != len(exponents):
        raise ConfigError(f"{key}.step: {step} is finer than the 0.01 resolution of exponents")
    return exponents


def format_exponent(alpha: float) -> str:
    """File-name form of a lambda exponent: -1.0 -> '-1.00', 7 -> '+7.00'."""
    return f"{alpha:+.2f}"


def parse_exponent(text: str) -> float:
    return round(float(text), 2)


def check_positive(key: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and value > 0):
        raise ConfigError(f"{key}: {value!r} must be a number > 0")
    return float(value)


def _describe_allowed(schema: dict) -> str:
    """What a schema node allows, in words: enum, bounds, pattern, type, description."""
    parts = []
    if "enum" in schema:
        parts.append("one of " + ", ".join(repr(v) for v in schema["enum"]))
    for key, word in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            parts.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        parts.append(f"matching {schema['pattern']}")
    if "type" in schema and not parts:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        parts.append(" or ".join(str(k) for k in kinds))
    text = "allowed: " + ", ".join(parts) if parts else ""
    if schema.get("description"):
        text = f"{text} ({schema['description']})" if text else schema["description"]
    return text


def validate_config(config: dict, schema: dict) -> None:
    """Check ``config`` against the JSON schema; raise ConfigError with ONE line naming the key.

    Snakemake's own validate() prints the whole schema node; this names the dotted key,
    the offending value and what is allowed, then Snakemake's validate fills defaults.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(list(e.absolute_path))))
    if not errors:
        return
    error = errors[0]
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = f"in {path}" if path else "at the top level"
        raise ConfigError(f"unknown config key(s) {', '.join(map(repr, extra))} {where}; allowed keys: {allowed}")
    if error.validator == "oneOf":
        # report the node's description, which lists the accepted forms
        raise ConfigError(f"{path}: {error.instance!r} is not valid; {_describe_allowed(error.schema)}")
    raise ConfigError(f"{path or 'config'}: {error.message}; {_describe_allowed(error.schema)}".rstrip("; "))


def load_schema(path) -> dict:
    import yaml

    with open(path) as handle:
        return yaml.safe_load(handle)


def source_digest(*paths) -> str:
    """md5 over the given source files: a param that changes when the code a job runs changes."""
    import hashlib

    digest = hashlib.md5()
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()
