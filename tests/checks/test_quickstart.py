"""The quickstart files: header and bound parsing (no Spark)."""

from __future__ import annotations

import pytest

from retail_synth.checks.quickstart import (
    QuickstartError,
    load_quickstart,
    parse_bound,
    parse_quickstart,
    settle_bound,
)


@pytest.mark.parametrize("text, inside, outside", [
    ("0.05 <= value <= 0.10", [0.05, 0.075, 0.10], [0.049, 0.11, None]),
    ("value > 0", [1, 0.5], [0, -1]),
    ("value = 0", [0], [1, -1]),
    ("value >= 1", [1, 2], [0.99]),
    ("value <= 3", [3, -1], [3.01]),
    ("1 < value < 3", [2], [1, 3]),
])
def test_bound_forms(text, inside, outside):
    bound = parse_bound(text)
    assert str(bound) == text
    assert all(bound.holds(v) for v in inside) and not any(bound.holds(v) for v in outside)


@pytest.mark.parametrize("text", ["value", "3 >= value", "x > 1", "1 <= value >= 2", "value ~ 2"])
def test_malformed_bounds_are_rejected(text):
    with pytest.raises(QuickstartError):
        parse_bound(text)


def test_header_must_name_the_file_and_give_a_bound(tmp_path):
    query = tmp_path / "some_check.sql"
    query.write_text("-- check: other_name\n-- description: d\n-- bound: value = 0\nSELECT 0 AS value;\n")
    with pytest.raises(QuickstartError, match="file name"):
        parse_quickstart(query)
    query.write_text("-- check: some_check\n-- description: d\nSELECT 0 AS value;\n")
    with pytest.raises(QuickstartError, match="bound"):
        parse_quickstart(query)


def test_every_shipped_query_parses_and_reads_gold_tables():
    queries = load_quickstart()
    assert len(queries) >= 15
    for query in queries:
        assert query.tables, query.check
        assert not query.statement.endswith(";")


def test_configured_bounds_follow_the_settings():
    settle = {"inventory.target_stockout_rate": 0.03, "returns.restock_delay_days_min": 2,
              "returns.restock_delay_days_max": 6}
    assert str(settle_bound("{inventory.target_stockout_rate} - 0.025 <= value <= "
                            "{inventory.target_stockout_rate} + 0.025", settle)) == "0.005 <= value <= 0.055"
    assert str(settle_bound("({returns.restock_delay_days_min} + {returns.restock_delay_days_max}) / 2 - 0.2"
                            " <= value <= 4.2", settle)) == "3.8 <= value <= 4.2"
    stockouts = next(q for q in load_quickstart() if q.check == "stockout_rate_all_days")
    assert stockouts.bound(settle).holds(0.03) and not stockouts.bound(settle).holds(0.075)


@pytest.mark.parametrize("template", ["value <= {no.such_key}", "value <= {seed} ** 2", "value <= __import__('os')"])
def test_configured_bounds_accept_only_numeric_settings_and_arithmetic(template):
    with pytest.raises(QuickstartError):
        settle_bound(template, {"seed": 42})


def test_a_bound_gives_its_interval():
    assert parse_bound("0.05 <= value <= 0.10").interval == (0.05, 0.10)
    assert parse_bound("value > 0").interval == (0.0, float("inf"))
