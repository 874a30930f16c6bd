"""Run configuration: defaults, presets, overrides and their validation.

`conf/defaults.yaml` declares every key once; a preset or `--set` may only
override declared keys. Validation rules follow from key names (see the
header of defaults.yaml), so a new parameter is checked as soon as it is
declared. Every problem is a `ConfigError` with a one-line message naming
the key and what is allowed; the CLI turns it into exit status 2 before
Spark starts, so bad input writes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from pathlib import Path

import yaml

from components.dimensions.locations import MAX_LOCATIONS, MIN_LOCATIONS

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
DEFAULTS_FILE = CONF_DIR / "defaults.yaml"
PRESETS_DIR = CONF_DIR / "presets"

PRESET_ONLY_KEYS = {"description"}
POSITIVE_WORDS = {"count", "days", "rows", "years", "lines", "block"}
MAY_BE_ZERO = {"warmup_days"}
UNIT_INTERVAL_SUFFIXES = ("_rate", "_share", "_probability")
CHOICES = {"spark.cart_exchange": ("auto", "in_task", "barrier")}     # text keys that take one of a few words


class ConfigError(ValueError):
    """A configuration problem, reported to the user as one line."""


def _read_yaml(path: Path) -> dict:
    try:
        with path.open() as handle:
            doc = yaml.safe_load(handle) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return doc


def defaults() -> dict:
    return _read_yaml(DEFAULTS_FILE)


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def read_preset(name: str) -> dict:
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown preset '{name}'; presets are: {', '.join(preset_names())}")
    return _read_yaml(path)


def read_config_file(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    return _read_yaml(file)


def _flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _unknown_key_error(dotted: str, known: list[str]) -> ConfigError:
    close = difflib.get_close_matches(dotted, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; see conf/defaults.yaml for the keys"
    return ConfigError(f"unknown configuration key '{dotted}'{hint}")


def _merge(base: dict, override: dict, prefix: str = "") -> None:
    known = list(_flatten(base).keys()) + [k for k in base]
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise _unknown_key_error(dotted, [f"{prefix}{k}" for k in known])
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"'{dotted}' is a section; give it a mapping, not {value!r}")
            _merge(base[key], value, dotted + ".")
        else:
            base[key] = value


def parse_assignment(text: str) -> dict:
    """Turn `--set a.b.c=value` into {'a': {'b': {'c': value}}}; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"malformed --set '{text}'; expected dotted.key=value, e.g. customers.customer_count=1000")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"malformed --set '{text}': the value is not valid YAML") from None
    if value is None:
        raise ConfigError(f"malformed --set '{text}': no value after '='")
    tree: dict = {}
    node = tree
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return tree


def _check_type(dotted: str, value, default) -> None:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        wanted = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        wanted = "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        wanted = "a number"
    elif isinstance(default, dt.date):
        ok = isinstance(value, dt.date)
        wanted = "a date YYYY-MM-DD"
    elif isinstance(default, list) and all(isinstance(v, str) for v in default):
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        wanted = "a list of texts"
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
        wanted = "a list of numbers"
    else:
        ok = isinstance(value, str) and value != ""
        wanted = "a non-empty text"
    if not ok:
        raise ConfigError(f"'{dotted}' must be {wanted}, got {value!r}")


def _check_range(dotted: str, value) -> None:
    leaf = dotted.rsplit(".", 1)[-1]
    numbers = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        return
    if any(v < 0 for v in numbers):
        raise ConfigError(f"'{dotted}' must not be negative, got {value!r}")
    if leaf.endswith(UNIT_INTERVAL_SUFFIXES) and not 0 <= value <= 1:
        raise ConfigError(f"'{dotted}' is a rate and must lie in [0, 1], got {value!r}")
    if leaf not in MAY_BE_ZERO and POSITIVE_WORDS & set(leaf.split("_")) and value <= 0:
        raise ConfigError(f"'{dotted}' must be positive, got {value!r}")
    if isinstance(value, list) and sum(value) <= 0:
        raise ConfigError(f"'{dotted}' must hold at least one positive weight, got {value!r}")


def validate(config: dict) -> None:
    reference = _flatten(defaults())
    flat = _flatten(config)
    for dotted, value in flat.items():
        _check_type(dotted, value, reference[dotted])
        _check_range(dotted, value)
        if dotted in CHOICES and value not in CHOICES[dotted]:
            raise ConfigError(f"'{dotted}' must be one of {', '.join(CHOICES[dotted])}, got {value!r}")
    for dotted, value in flat.items():
        if dotted.endswith("_min"):
            partner = dotted[: -len("_min")] + "_max"
            if partner in flat and value > flat[partner]:
                raise ConfigError(f"'{dotted}' ({value}) must not exceed '{partner}' ({flat[partner]})")
    if config["end_date"] < config["start_date"]:
        raise ConfigError(
            f"'end_date' ({config['end_date']}) is before 'start_date' ({config['start_date']})"
        )
    locations = config["locations"]["location_count"]
    if not MIN_LOCATIONS <= locations <= MAX_LOCATIONS:
        raise ConfigError(
            f"'locations.location_count' must be between {MIN_LOCATIONS} and {MAX_LOCATIONS} "
            f"(the reference locations plus the cities we know), got {locations}"
        )
    shares = sum(s["share"] for s in config["customers"]["segments"].values())
    if abs(shares - 1.0) > 1e-6:
        raise ConfigError(f"'customers.segments.*.share' must add up to 1, they add up to {shares:g}")


def resolve(
    preset: str | None = None,
    config_file: str | None = None,
    assignments: list[str] | tuple = (),
    seed: int | None = None,
) -> dict:
    """Merge defaults <- preset or file <- --set <- --seed, validate, and derive horizon_days."""
    config = defaults()
    layers = []
    if preset is not None:
        layers.append(read_preset(preset))
    if config_file is not None:
        layers.append(read_config_file(config_file))
    layers.extend(parse_assignment(a) for a in assignments)
    if seed is not None:
        layers.append({"seed": seed})
    for layer in layers:
        layer = {k: v for k, v in layer.items() if k not in PRESET_ONLY_KEYS}
        _merge(config, copy.deepcopy(layer))
    validate(config)
    config["horizon_days"] = (config["end_date"] - config["start_date"]).days + 1
    config["preset"] = preset or (Path(config_file).stem if config_file else "defaults")
    return config


def describe_presets() -> list[dict]:
    """Each preset with its sizes, for `retail-synth presets`."""
    rows = []
    for name in preset_names():
        config = resolve(preset=name)
        rows.append(
            {
                "preset": name,
                "customers": config["customers"]["customer_count"],
                "products": config["products"]["product_count"],
                "locations": config["locations"]["location_count"],
                "days": config["horizon_days"],
                "inventory_rows": config["products"]["product_count"]
                * config["locations"]["location_count"]
                * config["horizon_days"],
                "description": read_preset(name).get("description", ""),
            }
        )
    return rows
