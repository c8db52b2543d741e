"""Checks and derived values of the workflow config that a JSON schema cannot express.

Everything here returns plain Python types: Snakemake compares params by value to
decide reruns, and ignores numpy scalars.
"""

from __future__ import annotations

import math


class ConfigError(ValueError):
    """A config value that cannot be used; the message names the key."""


def parse_pair(pair: str) -> tuple[int, int]:
    """'7v9' -> (7, 9); requires digits a < b."""
    try:
        a_text, b_text = pair.split("v")
        a, b = int(a_text), int(b_text)
    except ValueError as err:
        raise ValueError(f"pair {pair!r}: expected 'AvB' with digits A < B") from err
    if not (0 <= a < b <= 9 and len(a_text) == len(b_text) == 1):
        raise ValueError(f"pair {pair!r}: expected 'AvB' with digits 0 <= A < B <= 9")
    return a, b


def all_pairs() -> list[str]:
    return [f"{a}v{b}" for a in range(10) for b in range(a + 1, 10)]


def resolve_pairs(pairs: str | list[str]) -> list[str]:
    """The config's ``pairs`` as a sorted list of 'AvB' names."""
    if pairs == "all":
        return all_pairs()
    if not isinstance(pairs, list):
        raise ConfigError(f"pairs: {pairs!r} is neither 'all' nor a list like ['7v9', '0v1']")
    if not pairs:
        raise ConfigError("pairs: the list is empty; give 'all' or pairs like ['7v9', '0v1']")
    resolved = []
    for pair in pairs:
        try:
            parse_pair(str(pair))
        except ValueError as err:
            raise ConfigError(f"pairs: {err}; allowed digits 0-9 with A < B, e.g. '7v9'") from err
        if str(pair) in resolved:
            raise ConfigError(f"pairs: {str(pair)!r} is listed twice")
        resolved.append(str(pair))
    return sorted(resolved)


#: claims keys that name a pair (checked like the pairs themselves)
CLAIM_PAIR_KEYS = ("hard_pair", "easy_pair", "poorly_adjusted_pair")


def check_references(config: dict) -> None:
    """Keys that name another part of the config: each claims pair is a pair name 'AvB' (a < b),
    and each network a claim names is an entry of lenet.networks. A pair or network that is
    named but not run leaves its claim NOT RUN; a name that cannot exist is a typo."""
    claims = config.get("claims") or {}
    for key in CLAIM_PAIR_KEYS:
        if key in claims:
            try:
                parse_pair(str(claims[key]))
            except ValueError as err:
                raise ConfigError(f"claims.{key}: {err}") from None
    networks = sorted((config.get("lenet") or {}).get("networks") or {})
    named = [(f"claims.{key}", claims[key]) for key in ("lenet_low_network", "lenet_high_network") if key in claims]
    named += [(f"claims.lenet_reference_test_error.{net}", net) for net in claims.get("lenet_reference_test_error") or {}]
    for key, net in named:
        if net not in networks:
            raise ConfigError(f"{key}: {net!r} is not a network of lenet.networks ({', '.join(networks)})")


def check_finite(value, path: tuple = ()) -> None:
    """No NaN or infinity anywhere (YAML's .nan and .inf): JSON-schema bounds never reject NaN."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_finite(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{_dotted(path) or 'config'}: {value} is not a finite number")


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


def _describe_allowed(schema: dict, stated: str = "") -> str:
    """What a schema node allows, in words: enum, bounds, pattern, type, description.

    ``stated``: the validator whose rule the error message already states (not repeated).
    """
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
    if "pattern" in schema and stated != "pattern":
        parts.append(f"matching {schema['pattern']}")
    if "type" in schema and not parts and stated != "pattern":
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        parts.append(" or ".join(str(k) for k in kinds))
    text = "allowed: " + ", ".join(parts) if parts else ""
    if schema.get("description"):
        text = f"{text} ({schema['description']})" if text else schema["description"]
    return text


def _dotted(path) -> str:
    """A config key as users write it: svm.lambda_exponents.step, pairs[1]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _oneof_cause(error):
    """The sub-error of a failed oneOf that names the bad item: errors of the branches whose
    type fits the value, the deepest first (e.g. pairs[1] of a list, not 'not a string')."""
    misfits = {sub.schema_path[0] for sub in error.context if sub.validator == "type" and not sub.relative_path}
    fitting = [sub for sub in error.context if sub.schema_path[0] not in misfits]
    deeper = [sub for sub in fitting if sub.relative_path]
    return max(deeper, key=lambda sub: len(sub.relative_path)) if deeper else None


def validate_config(config: dict, schema: dict) -> None:
    """Check ``config`` against the JSON schema; raise ConfigError with ONE line naming the key.

    Snakemake's own validate() prints the whole schema node; this names the dotted key,
    the offending value and what is allowed.
    """
    import jsonschema

    check_finite(config)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(list(e.absolute_path))))
    if not errors:
        return
    error = errors[0]
    if error.validator == "oneOf":
        cause = _oneof_cause(error)
        if cause is None:
            # report the node's description, which lists the accepted forms
            raise ConfigError(
                f"{_dotted(error.absolute_path)}: {error.instance!r} is not valid; {_describe_allowed(error.schema)}"
            )
        error = cause
    path = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = f"in {path}" if path else "at the top level"
        raise ConfigError(f"unknown config key(s) {', '.join(map(repr, extra))} {where}; allowed keys: {allowed}")
    allowed = _describe_allowed(error.schema, stated=error.validator)
    raise ConfigError(f"{path or 'config'}: {error.message}; {allowed}".rstrip("; "))


def _resolved(schema: dict, root: dict) -> dict:
    """A schema node with its local $ref ('#/definitions/name') merged in."""
    while "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _scalar_from_text(text: str, kinds: set[str]) -> tuple[object, bool]:
    """(value, True) when ``text`` spells a value of one of the JSON types ``kinds``
    (null, boolean, integer, finite number), else (None, False)."""
    word = text.strip()
    if word in ("null", "Null", "NULL", "~"):
        return None, "null" in kinds
    if word.lower() in ("true", "false"):
        return word.lower() == "true", "boolean" in kinds
    try:
        return int(word), bool(kinds & {"integer", "number"})
    except ValueError:
        pass
    try:
        number = float(word)
    except ValueError:
        return None, False
    if not math.isfinite(number):
        return None, False
    if "number" in kinds:
        return number, True
    return int(number), "integer" in kinds and number.is_integer()


def coerce_config(config: dict, schema: dict) -> dict:
    """Numbers, booleans and nulls that arrive as strings, parsed where the schema asks for them.

    Snakemake reads the value of a nested --config override (``sample={images_per_class: 2}``)
    with YAML's base loader, which makes every scalar a string. Each string whose key the
    schema types as a number, integer, boolean or null is read as a YAML scalar instead;
    a string that is no such value stays, and validation then names it. ``null`` and ``~``
    are None also where a string is allowed (data.offline_dir). Changes ``config`` in place.
    """

    def coerce(value, node):
        node = _resolved(node, schema)
        if isinstance(value, dict):
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            for key in value:
                sub = properties.get(key, extra if isinstance(extra, dict) else None)
                if sub is not None:
                    value[key] = coerce(value[key], sub)
            return value
        if isinstance(value, list):
            items = node.get("items")
            return [coerce(item, items) for item in value] if isinstance(items, dict) else value
        if isinstance(value, str):
            kinds = node.get("type", [])
            kinds = set(kinds if isinstance(kinds, list) else [kinds])
            if "string" in kinds:
                kinds &= {"null"}
            parsed, fits = _scalar_from_text(value, kinds) if kinds else (None, False)
            if fits:
                return parsed
        return value

    return coerce(config, schema)


class _DuplicateKey(ValueError):
    pass


def _unique_key_loader():
    """yaml.SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one
    silently: a second ``svm:`` section would drop the first)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    raise _DuplicateKey(f"line {line}: key {key!r} given twice in the same section")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return Loader


def load_config_file(path) -> dict:
    """A YAML (or JSON) config file as a dict; a ConfigError naming the file, and the line of a
    syntax error, when it cannot be used."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {path}: cannot be read ({err})") from None
    try:
        content = yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 (a SafeLoader)
    except _DuplicateKey as err:
        raise ConfigError(f"config file {path}: {err}") from None
    except yaml.YAMLError as err:
        mark, problem = getattr(err, "problem_mark", None), getattr(err, "problem", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = problem or str(err).splitlines()[0]
        context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
        if context and start is not None:
            problem += f"; {context} started on line {start.line + 1}"
        raise ConfigError(f"config file {path}{where}: not valid YAML ({problem})") from None
    if not isinstance(content, dict):
        raise ConfigError(f"config file {path}: expected keys at the top level, found {type(content).__name__}")
    return content


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


def main(paths: list[str]) -> int:
    """``python -m tilting.settings FILE...`` (the Makefile, before Snakemake reads the files,
    whose own errors name neither the file nor the line): one line per unusable file."""
    import sys

    status = 0
    for path in paths:
        try:
            load_config_file(path)
        except ConfigError as err:
            print(f"invalid config: {err}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
