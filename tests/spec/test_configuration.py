"""Configuration: presets resolve to a typed RunConfig, and every kind of bad input is one clear ConfigError."""

import dataclasses
import datetime as dt
import pickle
import re
import types
import typing
from pathlib import Path

import pytest

from retail_synth.spec.configuration import (
    DEFAULT_PRESET,
    DISTRIBUTION_USES,
    ConfigError,
    defaults,
    describe_presets,
    flatten,
    load_config,
    parse_assignment,
    preset_names,
    resolve,
)
from retail_synth.spec.distributions import Categorical, LogNormal, Normal, Uniform
from retail_synth.spec.run_config import (
    DistributionParams,
    Realism,
    RealismRange,
    RunConfig,
    Segments,
)


def test_presets_resolve_to_the_sizes_in_readme():
    """README's table of presets (preset, customers, products, locations, days, inventory rows) is what they resolve to."""
    lines = (Path(__file__).parents[2] / "README.md").read_text().splitlines()
    header = lines.index("| preset | customers | products | locations | days | inventory rows |")
    documented = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        name, *numbers = [cell.strip() for cell in line.strip("|").split("|")]
        documented[name] = tuple(int(n.replace(",", "")) for n in numbers)
    assert documented == {r["preset"]: (r["customers"], r["products"], r["locations"], r["days"], r["inventory_rows"])
                          for r in describe_presets()}


def test_start_date_is_explicit_and_horizon_derived():
    config = resolve(preset="small")
    assert config.start_date == dt.date(2024, 10, 3)
    assert config.horizon_days == 90


def test_set_overrides_a_value_read_as_yaml():
    config = resolve(preset="tiny", assignments=["customers.customer_count=900", "inventory.target_stockout_rate=0.06"])
    assert config.customers.customer_count == 900
    assert config.inventory.target_stockout_rate == 0.06


@pytest.mark.parametrize(
    "assignment, expected",
    [
        ("customers.customer_count=-5", "'customers.customer_count' must not be negative"),
        ("customers.customer_count=0", "'customers.customer_count' must be positive"),
        ("customers.custmer_count=5", "did you mean 'customers.customer_count'"),
        ("inventory.target_stockout_rate=1.5", "must lie in [0, 1]"),
        ("returns.restock_delay_days_min=4", "must not exceed 'returns.restock_delay_days_max'"),
        ("end_date=2020-01-01", "'end_date' (2020-01-01) is before 'start_date'"),
        ("products.product_count=many", "must be a whole number"),
        ("customers=3", "is a section"),
        ("locations.location_count=12", "must be between 13 and 55"),
        ("no_equals_sign", "malformed --set"),
        ("customers.customer_count=", "malformed --set"),
        ("realism.peak_day_rank.value_min=7",
         "'realism.peak_day_rank.value_min' (7) must not exceed 'realism.peak_day_rank.value_max' (5.0)"),
        ("realism.basket_value.value_max=3", "unknown configuration key 'realism.basket_value'"),
        ("realism.stockout_rate.source=", "malformed --set"),
    ],
)
def test_bad_input_is_one_line_naming_the_problem(assignment, expected):
    with pytest.raises(ConfigError) as error:
        resolve(preset="tiny", assignments=[assignment])
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_realism_ranges_are_set_like_any_key(tmp_path):
    config = resolve(preset="tiny", assignments=["realism.peak_day_rank.value_max=10"])
    assert config.realism["peak_day_rank"] == RealismRange(defaults()["realism"]["peak_day_rank"]["source"], 1.0, 10.0)
    assert config.realism["inventory_turnover"].value_max == 6.0
    layer = tmp_path / "strict.yaml"
    layer.write_text("realism:\n  stockout_rate: {value_max: 0.08, source: our own target}\n")
    strict = resolve(config_file=str(layer)).realism["stockout_rate"]
    assert strict == RealismRange("our own target", 0.05, 0.08)


def _sections(tree: dict, prefix: str = ""):
    """Every mapping of the tree by its dotted key, but a declaration's weights: a layer gives them whole."""
    for key, value in tree.items():
        if isinstance(value, dict) and key != "weights":
            yield prefix + key
            yield from _sections(value, f"{prefix}{key}.")


@pytest.mark.parametrize("section", sorted(_sections(defaults())))
def test_a_section_set_to_an_empty_mapping_is_refused_not_ignored(section):
    """Merged, {} would change nothing and exit 0; every section's keys are fixed, so it cannot be emptied either."""
    with pytest.raises(ConfigError) as error:
        resolve(preset="tiny", assignments=[f"{section}={{}}"])
    assert str(error.value).startswith(f"'{section}' is a section and cannot be emptied: give the keys to change")
    assert "\n" not in str(error.value)


def test_empty_weights_are_refused_by_their_declaration():
    with pytest.raises(ConfigError, match=r"'distributions\.quantity\.weights' must map labels to weights"):
        resolve(preset="tiny", assignments=["distributions.quantity.weights={}"])


def test_an_empty_section_in_a_config_file_is_refused_too(tmp_path):
    file = tmp_path / "run.yaml"
    file.write_text("customers:\n  segments: {}\n")
    with pytest.raises(ConfigError, match=r"'customers\.segments' is a section and cannot be emptied"):
        resolve(config_file=str(file))


def test_a_config_file_layers_on_the_default_preset_unless_a_preset_is_given(tmp_path):
    """generate --config FILE changes what FILE says and nothing else: not the default preset's dates or sizes."""
    file = tmp_path / "discounter.yaml"
    file.write_text("customers: {customer_count: 2000}\npricing: {promotion_discount_rate: 0.3}\n")
    for preset in (None, "tiny"):
        base = resolve(preset=preset or DEFAULT_PRESET)
        layered = load_config(preset=preset, config_file=str(file))
        assert (layered.start_date, layered.end_date, layered.products) == (base.start_date, base.end_date, base.products)
        assert layered.customers.customer_count == 2000 and layered.pricing.promotion_discount_rate == 0.3
        assert layered.preset == f"{preset or DEFAULT_PRESET}+discounter"
        assert layered == resolve(preset=preset or DEFAULT_PRESET, config_file=str(file))
    assert load_config().preset == DEFAULT_PRESET and load_config(preset="tiny").preset == "tiny"


def test_the_outage_nodes_named_in_defaults_yaml_are_the_runs_warehouses_and_dc():
    from retail_synth.spec.configuration import DEFAULTS_FILE
    from retail_synth.spec.network import fulfilment_node_ids

    line = next(x for x in DEFAULTS_FILE.read_text().splitlines() if x.strip().startswith("outage_location_id:"))
    assert re.findall(r"\b[A-Z]{2,3}-[A-Z]{3}-\d{3}\b", line) == list(fulfilment_node_ids())


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError, match="presets are: " + ", ".join(preset_names())):
        resolve(preset="huge")


def test_segment_shares_must_add_up_to_one():
    with pytest.raises(ConfigError, match="add up to 1"):
        resolve(preset="tiny", assignments=["customers.segments.vip.share=0.5"])


def test_parse_assignment_builds_a_nested_mapping():
    assert parse_assignment("a.b.c=3") == {"a": {"b": {"c": 3}}}


def test_resolve_returns_a_typed_frozen_run_config_that_pickles():
    config = resolve(preset="tiny", assignments=["inventory.safety_adjust_rate=1"])
    assert isinstance(config, RunConfig)
    assert config.inventory.safety_adjust_rate == 1.0 and isinstance(config.inventory.safety_adjust_rate, float)
    assert config.distributions.basket_lines["vip"] == Uniform(low=2, high=6)
    assert config.distributions.quantity == Categorical(labels=("1", "2", "3"), weights=(0.80, 0.15, 0.05))
    assert config.guard.protected_patterns == ("prod", "production", "live")
    assert config.simulated_days == config.warmup_days + config.horizon_days == 75
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.output.batch_rows = 1
    assert pickle.loads(pickle.dumps(config)) == config
    assert hash(config) == hash(resolve(preset="tiny", assignments=["inventory.safety_adjust_rate=1"]))


def _annotation_matches(kind, default) -> bool:
    if isinstance(default, list):
        return typing.get_origin(kind) is tuple and typing.get_args(kind)[0] is type(default[0])
    if typing.get_origin(kind) in (typing.Union, types.UnionType):      # an optional number: a RealismRange's bound
        return type(default) in typing.get_args(kind)
    return kind is type(default)


def test_every_declared_key_is_a_field_of_the_type_of_its_default():
    def fields_of(cls, prefix=""):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            if kind is DistributionParams:
                continue                  # declarations, not plain keys: see the distribution tests below
            if dataclasses.is_dataclass(kind):
                yield from fields_of(kind, f"{prefix}{f.name}.")
            elif kind in (Segments, Realism):           # named members of one type
                members = defaults()
                for part in f"{prefix}{f.name}".split("."):
                    members = members[part]
                for name, declared in members.items():      # a member may leave out a field with a default
                    yield from ((key, member_kind) for key, member_kind
                                in fields_of(kind.member, f"{prefix}{f.name}.{name}.")
                                if key.rsplit(".", 1)[1] in declared)
            else:
                yield f"{prefix}{f.name}", kind

    declared = {key: value for key, value in flatten(defaults()).items() if not key.startswith("distributions.")}
    fields = {key: kind for key, kind in fields_of(RunConfig) if key not in ("horizon_days", "preset", "scenario_name")}
    assert set(fields) == set(declared)
    assert [key for key, kind in fields.items() if not _annotation_matches(kind, declared[key])] == []


def test_the_full_preset_fits_the_default_row_limit():
    full = resolve(preset="full")
    assert full.output.max_rows == 250_000_000
    assert full.products.product_count * full.locations.location_count * full.horizon_days < full.output.max_rows


@pytest.mark.parametrize(
    "assignment, expected",
    [
        ("start_date=2024-13-01", "'start_date' must be a date YYYY-MM-DD, got '2024-13-01'"),
        ("forecast.confidence_probability=1", "'forecast.confidence_probability' must be strictly between 0 and 1"),
        ("inventory.warehouse_lead_time_days_max=60", "must stay below 64 days"),
        ("guard.protected_patterns=[prod, '']", "'guard.protected_patterns' must be a list of non-empty texts"),
        ("distributions.quantity.weights.1=a", "'distributions.quantity.weights.1' must be a finite number"),
        ("customers.customer_count={a: 1}", "'customers.customer_count' must be a whole number, not a mapping"),
        ("distributions.product_popularity.exponent=.inf", "must be a finite number"),
    ],
)
def test_rules_the_simulation_relies_on_are_configuration_errors(assignment, expected):
    with pytest.raises(ConfigError) as error:
        resolve(preset="tiny", assignments=[assignment])
    assert expected in str(error.value)


def test_every_declaration_is_a_field_with_a_use():
    assert list(defaults()["distributions"]) == [f.name for f in dataclasses.fields(DistributionParams)]
    assert set(DISTRIBUTION_USES) == {f.name for f in dataclasses.fields(DistributionParams)}


def test_a_change_of_kind_keeps_only_the_parameters_of_the_new_kind():
    config = resolve(preset="tiny", assignments=[
        "distributions.product_popularity.mu=0", "distributions.product_popularity.sigma=1.5",
        "distributions.product_popularity.distribution=lognormal",
    ])
    assert config.distributions.product_popularity == LogNormal(mu=0.0, sigma=1.5)
    jitter = resolve(preset="tiny", assignments=["distributions.price_jitter={distribution: normal, mean: 0, sd: 0.1}"])
    assert jitter.distributions.price_jitter == Normal(mean=0.0, sd=0.1)


def test_weights_are_declared_whole_in_their_order_whether_labels_read_as_numbers_or_text(tmp_path):
    file = tmp_path / "run.yaml"
    file.write_text("distributions:\n  quantity: {weights: {2: 0.5, 1: 0.3, 4: 0.2}}\n")
    config = resolve(config_file=str(file))
    assert config.distributions.quantity == Categorical(labels=("2", "1", "4"), weights=(0.5, 0.3, 0.2))
    one = resolve(preset="tiny", assignments=["distributions.quantity.weights={1: 0.6, '2': 0.4}"])
    assert one.distributions.quantity == Categorical(labels=("1", "2"), weights=(0.6, 0.4))
    with pytest.raises(ConfigError, match="must add up to 1"):      # a layer gives every weight, not one
        resolve(preset="tiny", assignments=["distributions.quantity.weights.1=0.6"])


@pytest.mark.parametrize(
    "assignment, expected",
    [
        ("distributions.abandonment_stage.weights.cart=-0.1",
         "'distributions.abandonment_stage.weights.cart' must not be negative, got -0.1"),
        ("distributions.abandonment_stage.weights={cart: 0.5, shipping: 0.2, payment: 0.15, review: 0.1}",
         "'distributions.abandonment_stage.weights' must add up to 1 (within 1e-06), got 0.5 + 0.2 + 0.15 + 0.1 = 0.95"),
        ("distributions.product_popularity.distribution=pareto",
         ("'distributions.product_popularity.distribution' is 'pareto', an unknown distribution; known: zipf, normal, "
          "lognormal, poisson, uniform, categorical")),
        ("distributions.product_popularity.distribution=poisson",
         "'distributions.product_popularity.distribution' is 'poisson', which this draw cannot use; allowed: zipf, lognormal"),
        ("distributions.product_popularity.distribution=lognormal",
         "'distributions.product_popularity' (lognormal) is missing its parameter 'mu'; lognormal takes mu, sigma"),
        ("distributions.product_popularity.sigma=1",
         "'distributions.product_popularity' (zipf) has an unknown parameter 'sigma'; zipf takes exponent"),
        ("distributions.payment_method.store.weights.bitcoin=0",
         ("'distributions.payment_method.store.weights' has an unknown label 'bitcoin'; allowed: credit_card, "
          "debit_card, cash, gift_card, paypal, mobile_wallet")),
        ("distributions.quantity.weights.100=0",
         "'distributions.quantity.weights' has an unknown label '100'; allowed: whole numbers from 1 to 99"),
        ("distributions.basket_lines.vip.high=64",
         "'distributions.basket_lines.vip.high' must be one of the whole numbers from 1 to 63, got 64"),
        ("distributions.basket_lines.vip.low=7", "'distributions.basket_lines.vip.low' (7) must not exceed"),
        ("distributions.browse_sessions.mean=-1", "'distributions.browse_sessions.mean' must not be negative"),
        ("distributions.quantity.weights=[0.7, 0.3]", "'distributions.quantity.weights' must map labels to weights"),
        ("distributions.quantity.weights.1=-0.5", "'distributions.quantity.weights.1' must not be negative"),
        ("distributions.brand=zipf", "'distributions.brand' is a section; give it a mapping"),
        ("products.popularity_zipf_exponent=1.1",
         "'products.popularity_zipf_exponent' is now the declaration 'distributions.product_popularity'"),
        ("customers.segments.vip.basket_lines_max=6",
         "'customers.segments.vip.basket_lines_max' is now the declaration 'distributions.basket_lines.vip'"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_its_key(assignment, expected):
    with pytest.raises(ConfigError) as error:
        resolve(preset="tiny", assignments=[assignment])
    assert expected in str(error.value) and "\n" not in str(error.value)
