"""Every bad input to `generate` is one line naming the key, exit status 2, before Spark starts and before the target exists.

The cases are derived from conf/defaults.yaml: every declared key gets
values of the wrong type and, where its type has a range, values outside it,
so a newly declared key is covered without touching this file. Declarations
under `distributions:` have their own kinds and rules (src/retail_synth/spec/distributions.py):
their cases are listed below.
"""

import datetime as dt

import pytest

from retail_synth.cli.main import main
from retail_synth.spec.configuration import (
    KEY_RULES,
    MAY_BE_ZERO,
    POSITIVE_WORDS,
    UNIT_INTERVAL_SUFFIXES,
    defaults,
    flatten,
)

DECLARED = {key: value for key, value in flatten(defaults()).items() if not key.startswith("distributions.")}

# values of a wrong type, by the type of the key's default
WRONG_TYPES = {
    int: ["many", "1.5", "true", "[1, 2]", "{a: 1}"],
    float: ["many", "true", "[1, 2]", "{a: 1}"],
    dt.date: ["2024-13-01", "2024-02-30", "tomorrow", "20240101", "2024-01-01 10:00:00", "[2024-01-01]", "{a: 1}"],
    str: ["7", "1.5", "true", "[a, b]", "{a: 1}", "''"],
    "numbers": ["0.5", "[a, b]", "[true]", "{a: 1}"],
    "texts": ["prod", "[1, 2]", "[prod, 3]", "[prod, '']", "{a: 1}"],
}

# values outside the range of particular keys (KEY_RULES), beyond the ranges that key names imply
OUT_OF_RANGE = {
    "seed": [str(2**63)],
    "start_date": ["1899-12-31", "3000-01-01"],
    "end_date": ["3000-01-01"],
    "customers.history_years": ["101"],
    "customers.customer_count": ["10000000"],
    "locations.location_count": ["12", "56"],
    "forecast.confidence_probability": ["0", "1"],
    "output.batch_rows": [str(2**31)],
    "spark.cart_exchange": ["sideways"],
    "spark.driver_memory": ["lots", "0g", "4 g"],
    "carts.recovery_delay_days_max": ["16"],
    "returns.restock_delay_days_max": ["366"],
    "scenario.peak_demand_factor": ["0"],
    "scenario.shock_demand_factor": ["0.5"],
    "anomalies.shrinkage_units_max": ["0"],
    "anomalies.demand_spike_factor_min": ["0.5"],
    "anomalies.price_error_factor_min": ["1"],
    "anomalies.price_error_factor_max": ["1.5"],
}


def _kind(default):
    if isinstance(default, list):
        return "texts" if isinstance(default[0], str) else "numbers"
    return type(default)


def _out_of_range(key: str, default) -> list[str]:
    """Values of the right type that the key's range refuses."""
    leaf = key.rsplit(".", 1)[-1]
    values = list(OUT_OF_RANGE.get(key, []))
    if _kind(default) == "numbers":
        values += ["[-1, 2]", "[0, 0]", "[]", "[.inf]", "[.nan]"]
    elif isinstance(default, (int, float)):
        values += ["-1"] if isinstance(default, int) else ["-0.5", ".inf", ".nan"]
        if leaf.endswith(UNIT_INTERVAL_SUFFIXES):
            values.append("1.5")
        if leaf not in MAY_BE_ZERO and POSITIVE_WORDS & set(leaf.split("_")):
            values.append("0")
    return values


CASES = sorted(
    {(key, value) for key, default in DECLARED.items() for value in WRONG_TYPES[_kind(default)]}
    | {(key, value) for key, default in DECLARED.items() for value in _out_of_range(key, default)}
)


pytestmark = pytest.mark.usefixtures("no_spark")      # tests/cli/conftest.py


def generate(tmp_path, capsys, *arguments: str) -> tuple[int, list[str]]:
    status = main(["generate", "--preset", "tiny", *arguments, "--output", str(tmp_path / "t")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "t").exists()
    return status, captured.err.splitlines()


def assert_refused(tmp_path, capsys, key: str, *arguments: str) -> str:
    status, lines = generate(tmp_path, capsys, *arguments)
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith("retail-synth: error:"), lines
    assert f"'{key}'" in lines[0], lines[0]
    return lines[0]


def test_every_declared_key_has_cases():
    assert {key for key, _ in CASES} == set(DECLARED)
    assert set(KEY_RULES) <= set(OUT_OF_RANGE)


@pytest.mark.parametrize("key, value", CASES)
def test_a_bad_value_of_any_key_is_refused_naming_it(tmp_path, capsys, key, value):
    assert_refused(tmp_path, capsys, key, "--set", f"{key}={value}")


@pytest.mark.parametrize(
    "assignments, key, allowed",
    [
        (["forecast.confidence_probability=1"], "forecast.confidence_probability", "strictly between 0 and 1"),
        (["inventory.warehouse_lead_time_days_max=60"], "inventory.warehouse_lead_time_days_max", "below 64 days"),
        (["inventory.store_lead_time_days_max=57"], "inventory.store_lead_time_days_max", "below 64 days"),
        (["inventory.review_cycle_days=55"], "inventory.review_cycle_days", "below 64 days"),
        (["returns.restock_delay_days_min=4"], "returns.restock_delay_days_min", "must not exceed"),
        (["events.browse_views_min=5"], "events.browse_views_max", "must not exceed"),
        (["end_date=2024-11-14"], "end_date", "before 'start_date'"),
        (["customers.segments.vip.share=0.5"], "customers.segments.*.share", "must add up to 1"),
        (["customers.customer_count=9999999"], "customers.customer_count", "orders a day"),
        (["demand.peak_season_uplift_rate=1", "customers.customer_count=5000000"], "customers.customer_count",
         "orders a day"),
        (["scenario.outage_location_id=STR-NYC-001"], "scenario.outage_location_id", "a warehouse or DC"),
        (["scenario.outage_location_id=WH-NWK-001", "scenario.outage_days=31"], "scenario.outage_days",
         "must not exceed the plan of 30 days"),
        (["plan_days=10", "scenario.outage_location_id=WH-NWK-001"], "scenario.outage_days",
         "must not exceed the plan of 10 days"),
        (["plan_days=400000"], "plan_days", "the plan ends by 2999-12-31"),
        (["scenario.shock_product_share=0.1", "scenario.shock_first_day=25", "scenario.shock_days=10"],
         "scenario.shock_first_day", "inside the plan"),
        (["scenario.outage_location_id=WH-NWK-001", "scenario.outage_first_day=20"], "scenario.outage_first_day",
         "inside the plan"),
    ],
)
def test_rules_across_keys_are_checked_before_spark(tmp_path, capsys, assignments, key, allowed):
    line = assert_refused(tmp_path, capsys, key, *(a for assignment in assignments for a in ("--set", assignment)))
    assert allowed in line


def test_a_section_set_to_an_empty_mapping_is_refused(tmp_path, capsys):
    line = assert_refused(tmp_path, capsys, "customers.segments", "--set", "customers.segments={}")
    assert "cannot be emptied" in line


def test_an_unknown_scenario_is_refused_with_the_list(tmp_path, capsys):
    status, lines = generate(tmp_path, capsys, "--scenario", "peak")
    assert status == 2 and len(lines) == 1
    assert "unknown scenario 'peak'; scenarios are: anomaly-heavy, growth-phase, normal-ops, peak-season" in lines[0]




@pytest.mark.parametrize(
    "assignment, key, allowed",
    [
        ("distributions.payment_method.store.weights={credit_card: 0.5, cash: -0.1, gift_card: 0.6}",
         "distributions.payment_method.store.weights.cash", "must not be negative"),
        ("distributions.abandonment_stage.weights={cart: 0.5, review: 0.4}",
         "distributions.abandonment_stage.weights", "must add up to 1 (within 1e-06), got 0.5 + 0.4 = 0.9"),
        ("distributions.product_popularity.distribution=pareto",
         "distributions.product_popularity.distribution", "an unknown distribution; known: zipf, normal, lognormal"),
        ("distributions.price_jitter.distribution=normal", "distributions.price_jitter",
         "is missing its parameter 'mean'; normal takes mean, sd"),
        ("distributions.browse_sessions.lambda=2", "distributions.browse_sessions",
         "unknown parameter 'lambda'; poisson takes mean"),
        ("distributions.session_source.WEB_DESKTOP.weights={direct: 0.5, tiktok: 0.5}",
         "distributions.session_source.WEB_DESKTOP.weights", "unknown label 'tiktok'; allowed: direct, google_organic"),
        ("distributions.quantity.distribution=zipf", "distributions.quantity.distribution", "allowed: categorical"),
    ],
)
def test_a_bad_distribution_declaration_is_refused_before_spark(tmp_path, capsys, assignment, key, allowed):
    assert allowed in assert_refused(tmp_path, capsys, key, "--set", assignment)


@pytest.mark.parametrize("section", sorted(k for k, v in defaults().items() if isinstance(v, dict)))
def test_a_section_given_a_single_value_is_refused(tmp_path, capsys, section):
    assert_refused(tmp_path, capsys, section, "--set", f"{section}=3")


def test_an_impossible_date_in_a_config_file_names_the_key(tmp_path, capsys):
    file = tmp_path / "run.yaml"
    file.write_text("start_date: 2024-13-01\n")
    status = main(["generate", "--config", str(file), "--output", str(tmp_path / "t")])
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1 and "'start_date' must be a date" in lines[0]
    assert not (tmp_path / "t").exists()


def test_a_config_file_is_checked_on_the_preset_it_layers_on(tmp_path, capsys):
    file = tmp_path / "run.yaml"
    file.write_text("end_date: 2024-10-01\n")
    for preset, start in (("tiny", "2024-11-15"), (None, "2024-10-03")):       # --preset tiny, else small
        status = main(["generate", *(["--preset", preset] if preset else []), "--config", str(file),
                       "--output", str(tmp_path / "t")])
        lines = capsys.readouterr().err.splitlines()
        assert status == 2 and lines == [f"retail-synth: error: 'end_date' (2024-10-01) is before 'start_date' ({start})"]
    assert not (tmp_path / "t").exists()


def test_a_negative_seed_flag_is_refused(tmp_path, capsys):
    assert_refused(tmp_path, capsys, "seed", "--seed", "-1")
