"""Configuration: presets resolve, and every kind of bad input is one clear ConfigError."""

import datetime as dt

import pytest

from components.configuration import ConfigError, describe_presets, parse_assignment, preset_names, resolve


def test_presets_resolve_with_the_documented_sizes():
    sizes = {r["preset"]: (r["customers"], r["products"], r["locations"], r["days"]) for r in describe_presets()}
    assert sizes == {
        "tiny": (500, 60, 13, 30),
        "small": (50_000, 2_000, 13, 90),
        "medium": (50_000, 2_000, 25, 365),
        "full": (100_000, 10_000, 13, 730),
    }


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
    ],
)
def test_bad_input_is_one_line_naming_the_problem(assignment, expected):
    with pytest.raises(ConfigError) as error:
        resolve(preset="tiny", assignments=[assignment])
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError, match="presets are: " + ", ".join(preset_names())):
        resolve(preset="huge")


def test_segment_shares_must_add_up_to_one():
    with pytest.raises(ConfigError, match="add up to 1"):
        resolve(preset="tiny", assignments=["customers.segments.vip.share=0.5"])


def test_parse_assignment_builds_a_nested_mapping():
    assert parse_assignment("a.b.c=3") == {"a": {"b": {"c": 3}}}
