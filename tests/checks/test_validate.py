"""`retail-synth validate` on the tiny run, and on a copy of it broken through Delta."""

from __future__ import annotations

import json
import shutil

import pytest

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.checks.realism import load_realism
from retail_synth.checks.validate import (
    FAIL,
    INFO,
    MISSING,
    PASS,
    TOO_SMALL,
    WARN,
    CheckResult,
    Validation,
    format_lines,
    judged,
    realism_checks,
)
from retail_synth.cli.main import main
from retail_synth.spark.dimension_tables import DIMENSION_TABLES
from retail_synth.spark.run_journal import RUN_MARKER, run_settings
from retail_synth.spec.configuration import defaults


def test_validate_passes_on_the_tiny_run(tiny_validation):
    assert tiny_validation.passed
    lines = format_lines(tiny_validation)
    # statistical checks need more observations than the tiny preset has: too small, not failed
    invariants = [line for line in lines if not line.split()[1].startswith("realism.")]
    assert invariants and all(line.split()[0] in (PASS, TOO_SMALL) for line in invariants), \
        [line for line in invariants if not line.startswith(PASS)]
    realism = {line.split()[1]: line for line in lines if line.split()[1].startswith("realism.")}
    assert set(realism) == {f"realism.{q.check}" for q in load_realism()}
    information = {f"realism.{c}" for c, r in defaults()["realism"].items() if "value_min" not in r}
    assert information and all(line.split()[0] in (INFO, TOO_SMALL) and "  information  " in line
                               for check, line in realism.items() if check in information), list(realism.values())
    assert all(line.split()[0] in (PASS, WARN, TOO_SMALL) and " <= value <= " in line and "  source: " in line
               for check, line in realism.items() if check not in information), list(realism.values())
    checks = {line.split()[1] for line in lines}
    assert {
        "run_complete",
        "gold_inventory_fact.schema_matches_contract",
        "gold_inventory_fact.primary_key_unique",
        "gold_sales_fact.customer_key_references_gold_customer_dim",
        "gold_sales_fact.sold_within_inventory",
        "quickstart.inventory_flow_identity",
        "quickstart.stockout_episodes_match_snapshots",
        "quickstart.return_restock_delay_avg",
    } <= checks


INVENTORY_TABLES = (*DIMENSION_TABLES, "gold_sales_fact", "gold_inventory_fact", "gold_inventory_movement_fact",
                    "gold_stockout_events")


@pytest.fixture(scope="module")
def broken_copy(spark, tiny_run, tmp_path_factory):
    """A copy of the tiny run with one oversold sales line, one wrong stockout flag, a customer twice, a stockout
    of a product that does not exist, a column too many and a table gone.

    Its run marker lists only the dimensions and the inventory facts, so only those are validated.
    """
    copy = tmp_path_factory.mktemp("broken") / "warehouse"
    shutil.copytree(tiny_run.output_dir, copy)
    journal = json.loads((copy / RUN_MARKER).read_text())
    run = journal["runs"][-1]["summary"]
    run["tables"] = [t for t in run["tables"] if t["table"] in INVENTORY_TABLES]
    (copy / RUN_MARKER).write_text(json.dumps(journal))
    sales = f"delta.`{copy / 'gold_sales_fact'}`"
    line = spark.sql(f"SELECT line_item_id FROM {sales} ORDER BY inventory_at_purchase - quantity_requested, line_item_id "
                     "LIMIT 1").first()["line_item_id"]
    for constraint in ("sold_within_request", "sold_within_inventory"):    # Delta itself would refuse the update
        spark.sql(f"ALTER TABLE {sales} DROP CONSTRAINT {constraint}")
    spark.sql(f"UPDATE {sales} SET quantity_sold = quantity_requested + 1 WHERE line_item_id = '{line}'")
    inventory = f"delta.`{copy / 'gold_inventory_fact'}`"
    row = spark.sql(f"SELECT product_key, location_key, date_key FROM {inventory} WHERE is_stockout "
                    "ORDER BY product_key, location_key, date_key LIMIT 1").first()
    spark.sql(f"UPDATE {inventory} SET is_stockout = false WHERE product_key = {row.product_key} "
              f"AND location_key = {row.location_key} AND date_key = {row.date_key}")
    customers = f"delta.`{copy / 'gold_customer_dim'}`"
    spark.sql(f"INSERT INTO {customers} SELECT * FROM {customers} ORDER BY customer_key LIMIT 1")
    stockouts = f"delta.`{copy / 'gold_stockout_events'}`"
    event = spark.sql(f"SELECT min(stockout_id) AS id FROM {stockouts}").first()["id"]
    spark.sql(f"UPDATE {stockouts} SET product_key = -1 WHERE stockout_id = '{event}'")
    spark.sql(f"ALTER TABLE delta.`{copy / 'gold_channel_dim'}` ADD COLUMNS (channel_owner string)")
    shutil.rmtree(copy / "gold_time_dim")
    return copy


def test_validate_names_the_broken_checks_and_exits_1(broken_copy, capsys):
    assert main(["validate", "--output", str(broken_copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    status = {c["check"]: c["status"] for c in report["checks"]}
    failed = {check for check, s in status.items() if s == FAIL}
    assert {
        "gold_sales_fact.sold_within_request",
        "gold_sales_fact.sold_within_inventory",
        "quickstart.sales_exceeding_stock",
        "quickstart.sale_movements_match_lines",
        "gold_inventory_fact.stockout_flag_exact",
        "quickstart.stockout_episodes_match_snapshots",
        "gold_sales_fact.schema_matches_contract",          # two of its constraints were dropped for the update
        "gold_customer_dim.primary_key_unique",
        "gold_stockout_events.product_key_references_gold_product_dim",
        "gold_channel_dim.schema_matches_contract",
    } <= failed
    assert status["gold_time_dim"] == MISSING
    assert status["gold_sales_fact.time_key_references_gold_time_dim"] == MISSING
    assert status["quickstart.inventory_flow_identity"] == PASS     # movements and on hand were not touched
    assert not any(check.startswith("gold_demand_forecast_fact.") for check in status)   # not in the marker
    outside = {f"quickstart.{q.check}" for q in load_quickstart()
               if not q.tables <= set(INVENTORY_TABLES) and "gold_time_dim" not in q.tables}
    outside |= {f"realism.{q.check}" for q in load_realism() if not q.tables <= set(INVENTORY_TABLES)}
    assert set(report["not_in_run"]) == outside
    assert "realism.low_inventory_cart_share" in outside and status["realism.stockout_rate"] != MISSING


def test_a_failed_line_shows_check_figure_and_bound():
    validation = Validation([CheckResult("quickstart.stockout_rate_last_day", FAIL, 0.1234, "0.05 <= value <= 0.10")])
    (line,) = format_lines(validation)
    assert line.split() == ["FAIL", "quickstart.stockout_rate_last_day", "0.1234", "0.05", "<=", "value", "<=", "0.10"]


@pytest.mark.parametrize("row, status", [
    ({"value": 0.25, "sample": 4000}, PASS),
    ({"value": 0.31, "sample": 4000}, WARN),
    ({"value": 0.1, "sample": 4000}, WARN),
    ({"value": None, "sample": 4000}, WARN),
    ({"value": 0.9, "sample": 999}, TOO_SMALL),
])
def test_a_realism_figure_outside_its_range_warns_and_still_passes(row, status):
    check = next(c for c in realism_checks(run_settings(None)) if c.name == "realism.digital_return_rate")
    result = judged(check, row)
    assert (result.status, result.bound, result.source) == (status, "0.18 <= value <= 0.3", check.source)
    assert result.passed and Validation([result]).passed
    assert "Coresight" in result.source and f"source: {result.source}" in format_lines(Validation([result]))[0]


def test_json_and_the_tally_carry_the_realism_lines():
    validation = Validation([CheckResult("run_complete", PASS, "r1", "a completed run recorded"),
                             CheckResult("realism.peak_day_rank", WARN, 9, "1 <= value <= 5", source="ShopperTrak")])
    report = validation.as_json()
    assert report["passed"] is True and report["checks"][1]["source"] == "ShopperTrak"
    assert validation.tally == "2 checks, 0 failed, 1 warned"


def test_an_output_without_tables_is_a_one_line_usage_error(tmp_path, capsys):
    assert main(["validate", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no gold tables" in err
