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
