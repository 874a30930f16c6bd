"""Run configuration: defaults, presets, overrides, their validation, and the typed RunConfig.

`conf/defaults.yaml` declares every key once; a preset or `--set` may only
override declared keys. Each key's type is its default's, and most ranges
follow from key names (see the header of defaults.yaml), so a new parameter
is checked as soon as it is declared; the rules names cannot express are
KEY_RULES and CROSS_RULES below. The `distributions:` section holds
declarations instead of plain values: retail_synth.spec.distributions checks each
against the kinds and labels its draw allows (DISTRIBUTION_USES). Every rule
the simulation relies on is checked here, so every problem is a `ConfigError`
with a one-line message naming the key and what is allowed; the CLI turns it
into exit status 2 before Spark starts, so bad input writes nothing.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import itertools
import math
import re
import typing
from functools import lru_cache
from pathlib import Path

import yaml

from retail_synth.spec.demand_volume import busiest_day_orders
from retail_synth.spec.distributions import (
    KINDS,
    PARAMETERS,
    DeclarationError,
    Use,
    declare,
)
from retail_synth.spec.ids import (
    MAX_BASKET_LINES,
    MAX_ORDERS_PER_DAY,
    MAX_RECOVERY_DELAY_DAYS,
    VERSION_KEY_STRIDE,
)
from retail_synth.spec.network import MAX_LOCATIONS, MIN_LOCATIONS, fulfilment_node_ids
from retail_synth.spec.resources import data_dir, stems
from retail_synth.spec.run_config import (
    FORECAST_PAD_DAYS,
    NO_OUTAGE,
    ByName,
    DemandParams,
    DistributionParams,
    Realism,
    RunConfig,
    ScenarioParams,
    Segments,
)
from retail_synth.spec.vocabulary import (
    ABANDONMENT_STAGES,
    APPAREL_SIZES,
    BRAND_CODES,
    CHANNEL_CODES,
    DEVICE_NAMES,
    DRAWN_SOURCES,
    FITS,
    MAX_QUANTITY,
    PAYMENT_METHODS,
    RETURN_REASONS,
    SIZE_COMPARISONS,
    WAIST_SIZES,
)

DEFAULTS_FILE = data_dir("conf", "defaults.yaml")
PRESETS_DIR = data_dir("conf", "presets")
SCENARIOS_DIR = data_dir("conf", "scenarios")
DEFAULT_SCENARIO = "normal-ops"
DEFAULT_PRESET = "small"        # generate's preset without --preset, a --config file included (the CLI's and the notebook's)

PRESET_ONLY_KEYS = {"description", "extends"}      # what a preset or scenario file says about itself, not a key
POSITIVE_WORDS = {"count", "customers", "days", "months", "rows", "years", "lines", "block", "blocks"}
MAY_BE_ZERO = {"warmup_days"}
UNIT_INTERVAL_SUFFIXES = ("_rate", "_share", "_probability")
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
MAX_HISTORY_YEARS = 100
MAX_INT, MAX_LONG = 2**31 - 1, 2**63 - 1
MAX_RESTOCK_DELAY_DAYS = 365                       # a returned unit is back on stock within a year
ORDER_NOISE_SIGMAS = 8          # margin of the Poisson draw of orders per day above its mean

# Rules of single keys that their names cannot express: key -> (test, what is allowed).
KEY_RULES = {
    "seed": (lambda v: v <= MAX_LONG, f"at most {MAX_LONG} (a 64-bit integer)"),
    "start_date": (lambda v: FIRST_DATE <= v <= LAST_DATE, f"a date from {FIRST_DATE} to {LAST_DATE}"),
    "end_date": (lambda v: FIRST_DATE <= v <= LAST_DATE, f"a date from {FIRST_DATE} to {LAST_DATE}"),
    "customers.history_years": (lambda v: v <= MAX_HISTORY_YEARS, f"at most {MAX_HISTORY_YEARS}"),
    "customers.customer_count": (
        lambda v: v < VERSION_KEY_STRIDE,
        f"below {VERSION_KEY_STRIDE:,} (a customer_key holds the customer's number and its version)",
    ),
    "locations.location_count": (
        lambda v: MIN_LOCATIONS <= v <= MAX_LOCATIONS,
        f"between {MIN_LOCATIONS} and {MAX_LOCATIONS} (the reference locations plus the cities we know)",
    ),
    "forecast.confidence_probability": (lambda v: 0 < v < 1, "strictly between 0 and 1"),
    "output.batch_rows": (lambda v: v <= MAX_INT, f"at most {MAX_INT:,} (Spark's Arrow batch size is a 32-bit integer)"),
    "carts.recovery_delay_days_max": (
        lambda v: v <= MAX_RECOVERY_DELAY_DAYS,
        f"at most {MAX_RECOVERY_DELAY_DAYS} (a recovered order's number holds its delay in the 24 bits of an order id)",
    ),
    "returns.restock_delay_days_max": (
        lambda v: v <= MAX_RESTOCK_DELAY_DAYS,
        f"at most {MAX_RESTOCK_DELAY_DAYS} days (a year)",
    ),
    "scenario.peak_demand_factor": (lambda v: v > 0, "a positive multiplier"),
    "scenario.shock_demand_factor": (lambda v: v >= 1, "a multiplier of at least 1"),
    "anomalies.shrinkage_units_max": (lambda v: v >= 1, "at least 1 unit"),
    "anomalies.demand_spike_factor_min": (lambda v: v >= 1, "a multiplier of at least 1"),
    "anomalies.price_error_factor_min": (lambda v: 0 < v < 1, "a multiple of list price strictly between 0 and 1"),
    "anomalies.price_error_factor_max": (lambda v: 0 < v < 1, "a multiple of list price strictly between 0 and 1"),
    "spark.cart_exchange": (lambda v: v in ("barrier", "pilot", "stages", "in_task"),
                            "one of barrier, pilot, stages, in_task"),
    "spark.driver_memory": (
        lambda v: re.fullmatch(r"[1-9][0-9]*[kmgt]?", v.lower()) is not None,
        "a JVM memory size such as 512m or 4g",
    ),
}

# What each declaration of `distributions:` may be (a group's members share their use).
CATEGORICAL = ("categorical",)
DISTRIBUTION_USES = {
    "product_popularity": Use(("zipf", "lognormal")),
    "brand": Use(CATEGORICAL, BRAND_CODES),
    "price_jitter": Use(("uniform", "normal")),
    "basket_lines": Use(("uniform", "categorical"), counts=MAX_BASKET_LINES),
    "quantity": Use(CATEGORICAL, counts=MAX_QUANTITY),
    "payment_method": Use(CATEGORICAL, PAYMENT_METHODS),
    "preferred_channel": Use(CATEGORICAL, CHANNEL_CODES),
    "acquisition_channel": Use(CATEGORICAL),
    "size_profile_tops": Use(CATEGORICAL, APPAREL_SIZES),
    "size_profile_bottoms": Use(CATEGORICAL, WAIST_SIZES),
    "ordered_size": Use(CATEGORICAL, SIZE_COMPARISONS),
    "return_reason": Use(CATEGORICAL, RETURN_REASONS),
    "kept_fit": Use(CATEGORICAL, FITS),
    "abandonment_stage": Use(CATEGORICAL, ABANDONMENT_STAGES),
    "abandonment_reason": Use(CATEGORICAL),
    "session_source": Use(CATEGORICAL, DRAWN_SOURCES),
    "session_device": Use(CATEGORICAL, DEVICE_NAMES),
    "browse_sessions": Use(("poisson",)),
}

# Keys that became declarations of `distributions:` -> where they are declared now.
MOVED_KEYS = {
    r"products\.popularity_zipf_exponent": "distributions.product_popularity",
    r"demand\.quantity_weights": "distributions.quantity",
    r"events\.browse_sessions_per_cart": "distributions.browse_sessions",
    r"customers\.segments\.(\w+)\.basket_lines_m(in|ax)": r"distributions.basket_lines.\1",
}


class ConfigError(ValueError):
    """A configuration problem, reported to the user as one line."""


if typing.TYPE_CHECKING:
    from importlib.abc import Traversable

    from _typeshed import DataclassInstance

    _SafeLoader = yaml.SafeLoader
else:                                   # libyaml's loader where it is installed: the same documents, faster
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_D = typing.TypeVar("_D", bound="DataclassInstance")


class _Loader(_SafeLoader):
    """YAML's safe loader, except that a date that does not exist (2024-13-01) stays text for the type check to name."""

    def construct_date_or_text(self, node: yaml.ScalarNode) -> dt.date | str:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_date_or_text)


def _read_yaml(path: Traversable) -> dict:
    """A YAML mapping from a Path or an importlib.resources Traversable."""
    try:
        with path.open() as handle:
            doc = yaml.load(handle, Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return doc


@lru_cache(maxsize=1)
def _declared() -> dict:
    return _read_yaml(DEFAULTS_FILE)


def defaults() -> dict:
    """conf/defaults.yaml as a tree (a fresh copy: callers merge into it)."""
    return copy.deepcopy(_declared())


def _names_in(folder: Traversable) -> list[str]:
    return stems(folder, ".yaml")


def _read_named(folder: Traversable, what: str, name: str) -> dict:
    """conf/<folder>/<name>.yaml, or one line listing the known names."""
    if name not in _names_in(folder):
        raise ConfigError(f"unknown {what} '{name}'; {what}s are: {', '.join(_names_in(folder))}")
    return _read_yaml(folder / f"{name}.yaml")


def preset_names() -> list[str]:
    return _names_in(PRESETS_DIR)


def read_preset(name: str) -> dict:
    return _read_named(PRESETS_DIR, "preset", name)


def scenario_names() -> list[str]:
    return _names_in(SCENARIOS_DIR)


def read_scenario(name: str) -> dict:
    return _read_named(SCENARIOS_DIR, "scenario", name)


def scenario_layers(name: str) -> list[dict]:
    """A scenario's files, the one it `extends:` first: later layers override earlier ones."""
    chain: list[str] = []
    extended: str | None = name
    while extended is not None:
        if extended in chain:
            raise ConfigError(f"scenario '{chain[0]}' extends itself through {' -> '.join([*chain, extended])}")
        chain.append(extended)
        extended = read_scenario(extended).get("extends")
    return [read_scenario(n) for n in reversed(chain)]


def read_config_file(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    return _read_yaml(file)


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{'a': {'b': 1}} -> {'a.b': 1}: every leaf of a configuration tree by its dotted key."""
    flat = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _unknown_key_error(dotted: str, known: list[str]) -> ConfigError:
    for pattern, declaration in MOVED_KEYS.items():
        if re.fullmatch(pattern, dotted):
            moved = re.sub(pattern, declaration, dotted)
            return ConfigError(
                f"'{dotted}' is now the declaration '{moved}'; see the distributions section of conf/defaults.yaml"
            )
    close = difflib.get_close_matches(dotted, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; see conf/defaults.yaml for the keys"
    return ConfigError(f"unknown configuration key '{dotted}'{hint}")


def _is_declaration(node: object) -> bool:
    return isinstance(node, dict) and "distribution" in node


def _merge(base: dict, override: dict, prefix: str = "", declaration: bool = False) -> None:
    """Merge override into base. Inside a distribution declaration new parameters are let through for its own
    check, a change of kind keeps only the parameters the new kind takes, and weights are replaced whole:
    their labels and order are the declaration."""
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if key not in base and not declaration:
            known = list(flatten(base)) + list(base)
            raise _unknown_key_error(dotted, [f"{prefix}{k}" for k in known])
        if key not in base or (key == "weights" and _is_declaration(base)):
            base[key] = value
        elif isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"'{dotted}' is a section; give it a mapping, not {_shown(value)}")
            if not value:       # merged, {} would change nothing; a section's keys are fixed, so it cannot be emptied
                raise ConfigError(f"'{dotted}' is a section and cannot be emptied: give the keys to change, "
                                  f"such as '{dotted}.{next(iter(base[key]))}', not {{}}")
            kind = value.get("distribution", base[key].get("distribution"))
            if _is_declaration(base[key]) and isinstance(kind, str) and kind in PARAMETERS \
                    and kind != base[key]["distribution"]:
                base[key] = {k: v for k, v in base[key].items() if k == "distribution" or k in PARAMETERS[kind]}
            _merge(base[key], value, dotted + ".", declaration or _is_declaration(base[key]))
        elif isinstance(value, dict) and not declaration:
            raise ConfigError(f"'{dotted}' must be {_wanted(base[key])}, not a mapping")
        else:
            base[key] = value


def _labels_as_text(layer: dict) -> dict:
    """The layer with every key under `distributions` as text: YAML reads a label such as 1 or 26 as a number."""
    def text(node: object) -> object:
        return {str(k): text(v) for k, v in node.items()} if isinstance(node, dict) else node

    return {k: text(v) if k == "distributions" else v for k, v in layer.items()}


def parse_assignment(text: str) -> dict:
    """Turn `--set a.b.c=value` into {'a': {'b': {'c': value}}}; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"malformed --set '{text}'; expected dotted.key=value, e.g. customers.customer_count=1000")
    try:
        value = yaml.load(raw, Loader=_Loader) if raw.strip() else None
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


def _shown(value: object) -> str:
    return str(value) if isinstance(value, dt.date) else repr(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _wanted(default: object) -> str:
    """What a key whose default is `default` accepts, in words."""
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if _is_date(default):
        return "a date YYYY-MM-DD"
    if isinstance(default, list):
        return "a list of non-empty texts" if default and isinstance(default[0], str) else "a list of numbers"
    return "a non-empty text"


def _check_type(dotted: str, value: object, default: object) -> None:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = _is_number(value)
    elif _is_date(default):
        ok = _is_date(value)
    elif isinstance(default, list):
        item_ok = _is_text if default and isinstance(default[0], str) else _is_number
        ok = isinstance(value, list) and all(item_ok(v) for v in value)
    else:
        ok = _is_text(value)
    if not ok:
        raise ConfigError(f"'{dotted}' must be {_wanted(default)}, got {_shown(value)}")


def _check_range(dotted: str, value: typing.Any) -> None:
    leaf = dotted.rsplit(".", 1)[-1]
    numbers = value if isinstance(value, list) else [value]
    if not all(_is_number(v) for v in numbers):
        return
    if not all(math.isfinite(v) for v in numbers):
        what = "hold finite numbers only" if isinstance(value, list) else "be a finite number"
        raise ConfigError(f"'{dotted}' must {what}, got {value!r}")
    if any(v < 0 for v in numbers):
        raise ConfigError(f"'{dotted}' must not be negative, got {value!r}")
    if leaf.endswith(UNIT_INTERVAL_SUFFIXES) and not 0 <= value <= 1:
        raise ConfigError(f"'{dotted}' is a rate and must lie in [0, 1], got {value!r}")
    if leaf not in MAY_BE_ZERO and POSITIVE_WORDS & set(leaf.split("_")) and value <= 0:
        raise ConfigError(f"'{dotted}' must be positive, got {value!r}")
    if isinstance(value, list) and sum(value) <= 0:
        raise ConfigError(f"'{dotted}' must hold at least one positive weight, got {value!r}")


def _min_below_max(flat: dict, _config: dict) -> None:
    for dotted, value in flat.items():
        if dotted.endswith("_min"):
            partner = dotted[: -len("_min")] + "_max"
            if partner in flat and value > flat[partner]:
                raise ConfigError(f"'{dotted}' ({value}) must not exceed '{partner}' ({flat[partner]})")


def _dates_in_order(_flat: dict, config: dict) -> None:
    if config["end_date"] < config["start_date"]:
        raise ConfigError(f"'end_date' ({config['end_date']}) is before 'start_date' ({config['start_date']})")


def _segment_shares_add_up(_flat: dict, config: dict) -> None:
    segments = config["customers"]["segments"]
    shares = sum(s["share"] for s in segments.values())
    if abs(shares - 1.0) > 1e-6:
        each = " + ".join(f"{name} {s['share']:g}" for name, s in segments.items())
        raise ConfigError(f"'customers.segments.*.share' must add up to 1, got {each} = {shares:g}")


def _spend_floors_ascend(_flat: dict, config: dict) -> None:
    history = config["customers"]["history"]
    floors = [(f"customers.history.{k}_spend_floor", history[f"{k}_spend_floor"]) for k in ("loyal", "premium", "vip")]
    for (lower, low), (upper, high) in itertools.pairwise(floors):
        if not low < high:
            raise ConfigError(f"'{upper}' ({high:g}) must be above '{lower}' ({low:g}): the segment ladder climbs")


def _replenishment_within_look_ahead(_flat: dict, config: dict) -> None:
    """Replenishment looks lead time plus review cycle ahead; the calendar runs FORECAST_PAD_DAYS past the end."""
    inventory = config["inventory"]
    lead = max(("store_lead_time_days_max", "warehouse_lead_time_days_max"), key=lambda k: inventory[k])
    if inventory[lead] + inventory["review_cycle_days"] >= FORECAST_PAD_DAYS:
        raise ConfigError(
            f"'inventory.{lead}' plus 'inventory.review_cycle_days' must stay below {FORECAST_PAD_DAYS} days "
            f"(the simulation's calendar look-ahead), got {inventory[lead]} + {inventory['review_cycle_days']}"
        )


def _orders_per_day_fit(_flat: dict, config: dict) -> None:
    """Order numbers have room for MAX_ORDERS_PER_DAY a day: the busiest possible day must fit, noise included.

    Its expected orders come from spec.demand_volume, as the world's do, every demand factor included.
    """
    customers = config["customers"]
    busiest = busiest_day_orders(max(s["orders_per_30_days"] for s in customers["segments"].values()),
                                 _typed(DemandParams, config["demand"], "demand."),
                                 _typed(ScenarioParams, config["scenario"], "scenario."))
    mean_limit = (math.sqrt(ORDER_NOISE_SIGMAS ** 2 + 4 * MAX_ORDERS_PER_DAY) - ORDER_NOISE_SIGMAS) ** 2 / 4
    limit = int(mean_limit / busiest)
    if customers["customer_count"] > limit:
        raise ConfigError(
            f"'customers.customer_count' must be at most {limit:,} with these order rates and uplifts "
            f"(at most {MAX_ORDERS_PER_DAY:,} orders a day), got {customers['customer_count']:,}"
        )


def _plan_within_dates(_flat: dict, config: dict) -> None:
    room = (LAST_DATE - config["start_date"]).days + 1
    if config["plan_days"] > room:
        raise ConfigError(f"'plan_days' must be at most {room} (the plan ends by {LAST_DATE}), got {config['plan_days']}")


def _windows_inside_plan(_flat: dict, config: dict) -> None:
    """Scenario windows are laid on the plan (plan_days from start_date), not on the written horizon."""
    plan = config["plan_days"]
    scenario = config["scenario"]
    in_use = {"outage": scenario["outage_location_id"] != NO_OUTAGE, "shock": scenario["shock_product_share"] > 0}
    for window in (w for w, used in in_use.items() if used):
        first, days = scenario[f"{window}_first_day"], scenario[f"{window}_days"]
        if days > plan:
            raise ConfigError(f"'scenario.{window}_days' ({days}) must not exceed the plan of {plan} days (plan_days)")
        last = first + days - 1
        if first and last > plan:
            raise ConfigError(
                f"'scenario.{window}_first_day' + 'scenario.{window}_days' - 1 ({last}) must stay inside the "
                f"plan of {plan} days (plan_days)"
            )


def _outage_node_exists(_flat: dict, config: dict) -> None:
    """The outage node must be one of the run's warehouses or DCs (their ids follow from location_count)."""
    wanted = config["scenario"]["outage_location_id"]
    if wanted == NO_OUTAGE:
        return
    nodes = fulfilment_node_ids()
    if wanted not in nodes:
        raise ConfigError(f"'scenario.outage_location_id' must be none or a warehouse or DC of this run "
                          f"({', '.join(nodes)}), got {wanted!r}")
def declared_distributions(tree: dict) -> DistributionParams:
    """The typed `distributions:` section, each declaration checked against its use (DISTRIBUTION_USES)."""
    hints = typing.get_type_hints(DistributionParams)
    values: dict[str, typing.Any] = {}
    try:
        for name, use in DISTRIBUTION_USES.items():
            key, node, kind = f"distributions.{name}", tree[name], hints[name]
            if typing.get_origin(kind) is ByName:
                values[name] = ByName({member: declare(f"{key}.{member}", sub, use) for member, sub in node.items()})
            elif (isinstance(kind, type) and dataclasses.is_dataclass(kind)
                  and kind not in KINDS.values()):      # a group: PaymentMethods, ...
                values[name] = kind(**{f.name: declare(f"{key}.{f.name}", node[f.name], use)
                                       for f in dataclasses.fields(kind)})
            else:
                values[name] = declare(key, node, use)
    except DeclarationError as exc:
        raise ConfigError(str(exc)) from None
    return DistributionParams(**values)


# Rules across keys, run in this order once every key has the right type and range. Each is called
# as rule(flat, config); a rule that reads only one of them names the other with a leading underscore.
CROSS_RULES = (
    _min_below_max,
    _dates_in_order,
    _segment_shares_add_up,
    _spend_floors_ascend,
    _replenishment_within_look_ahead,
    _orders_per_day_fit,
    _plan_within_dates,
    _windows_inside_plan,
    _outage_node_exists,
)


def validate(config: dict) -> None:
    """Raise a ConfigError for the first problem of a merged configuration tree."""
    reference = flatten(_declared())
    flat = {k: v for k, v in flatten(config).items() if not k.startswith("distributions.")}
    for dotted, value in flat.items():
        _check_type(dotted, value, reference[dotted])
        _check_range(dotted, value)
        if dotted in KEY_RULES:
            test, allowed = KEY_RULES[dotted]
            if not test(value):
                raise ConfigError(f"'{dotted}' must be {allowed}, got {_shown(value)}")
    declared_distributions(config["distributions"])
    for rule in CROSS_RULES:
        rule(flat, config)


def _typed(cls: type[_D], tree: dict, prefix: str = "") -> _D:
    """An instance of dataclass `cls` from a validated tree whose keys are its field names."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    optional = {f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    undeclared = sorted(set(tree) - set(names)) + sorted(set(names) - set(tree) - optional)
    if undeclared:
        raise ConfigError(f"'{prefix}{undeclared[0]}' is in conf/defaults.yaml or {cls.__name__}, not in both")
    values = {}
    for name in [n for n in names if n in tree]:        # a field with a default may be left out (a RealismRange's bounds)
        kind, value = hints[name], tree[name]
        if kind is DistributionParams:
            value = declared_distributions(value)
        elif isinstance(kind, type) and dataclasses.is_dataclass(kind):
            value = _typed(kind, value, f"{prefix}{name}.")
        elif kind in (Segments, Realism):
            value = kind({member: _typed(kind.member, v, f"{prefix}{name}.{member}.") for member, v in value.items()})
        elif kind is float or (kind == float | None and value is not None):
            value = float(value)
        elif typing.get_origin(kind) is tuple:
            value = tuple(float(v) for v in value) if typing.get_args(kind)[0] is float else tuple(value)
        values[name] = value
    return cls(**values)


def resolve(
    preset: str | None = None,
    config_file: str | None = None,
    assignments: list[str] | tuple = (),
    seed: int | None = None,
    scenario: str | None = None,
) -> RunConfig:
    """Merge defaults <- preset <- file <- scenario <- --set <- --seed, validate, derive horizon_days; the typed RunConfig.

    The run is named after its preset and file: `small+discounter` for the small preset with discounter.yaml.
    """
    config = _labels_as_text(defaults())
    layers = []
    if preset is not None:
        layers.append(read_preset(preset))
    if config_file is not None:
        layers.append(read_config_file(config_file))
    layers.extend(scenario_layers(scenario or DEFAULT_SCENARIO))
    layers.extend(parse_assignment(a) for a in assignments)
    if seed is not None:
        layers.append({"seed": seed})
    for layer in layers:
        kept = _labels_as_text({k: v for k, v in layer.items() if k not in PRESET_ONLY_KEYS})
        _merge(config, copy.deepcopy(kept))
    validate(config)
    config["horizon_days"] = (config["end_date"] - config["start_date"]).days + 1
    names = [n for n in (preset, Path(config_file).stem if config_file else None) if n]
    config["preset"] = "+".join(names) or "defaults"
    config["scenario_name"] = scenario or DEFAULT_SCENARIO
    return _typed(RunConfig, config)


def load_config(
    preset: str | None = None,
    config_file: str | None = None,
    assignments: list[str] | tuple = (),
    seed: int | None = None,
    scenario: str | None = None,
) -> RunConfig:
    """The RunConfig `retail-synth generate` runs with these flags: a config file, too, layers on DEFAULT_PRESET
    unless a preset is given, so it changes what it says and nothing else (not the preset's dates or sizes)."""
    preset = preset or DEFAULT_PRESET
    return resolve(preset=preset, config_file=config_file, assignments=assignments, seed=seed, scenario=scenario)


def describe_scenarios() -> list[dict]:
    """Each scenario with its description, what it extends and every key it changes, for `retail-synth scenarios`."""
    rows = []
    for name in scenario_names():
        changes: dict[str, object] = {}
        for layer in scenario_layers(name):
            changes.update(flatten({k: v for k, v in layer.items() if k not in PRESET_ONLY_KEYS}))
        doc = read_scenario(name)
        rows.append({"scenario": name, "description": doc.get("description", ""),
                     "extends": doc.get("extends"), "changes": changes})
    return rows


def describe_presets() -> list[dict]:
    """Each preset with its sizes, for `retail-synth presets`."""
    rows = []
    for name in preset_names():
        config = resolve(preset=name)
        rows.append(
            {
                "preset": name,
                "customers": config.customers.customer_count,
                "products": config.products.product_count,
                "locations": config.locations.location_count,
                "days": config.horizon_days,
                "inventory_rows": config.products.product_count * config.locations.location_count * config.horizon_days,
                "description": read_preset(name).get("description", ""),
            }
        )
    return rows
