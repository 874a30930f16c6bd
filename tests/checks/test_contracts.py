"""Contract tests: the Delta tables a real tiny run wrote, checked against contracts/."""

import pytest
from chispa.schema_comparer import assert_schema_equality

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.checks.validate import (
    PASS,
    TOO_SMALL,
    enforced_constraints,
    schema_differences,
)
from retail_synth.spark.delta_tables import STATS_COLUMNS_PROPERTY, spark_schema
from retail_synth.spec.contracts import all_tables, load_contract
from retail_synth.tables.registry import WRITTEN_TABLES
from tests.conftest import NORMAL_OPS_EMPTY

REFERENCE_TABLES = {
    "gold_customer_dim", "gold_product_dim", "gold_location_dim", "gold_date_dim", "gold_channel_dim",
    "gold_time_dim", "gold_sales_fact", "gold_inventory_fact", "gold_stockout_events",
    "gold_cart_abandonment_fact", "gold_customer_event_fact", "gold_demand_forecast_fact",
    "gold_customer_product_affinity_agg", "gold_size_fit_bridge", "gold_inventory_movement_fact",
}
SCENARIO_TABLES = {"gold_anomaly_label"}      # the labels of injected anomalies (docs/scenarios.md, gold_anomaly_label)


def test_every_reference_table_has_a_contract():
    assert set(all_tables()) == REFERENCE_TABLES | SCENARIO_TABLES


@pytest.mark.parametrize("table", all_tables())
def test_contract_keys_name_real_columns(table):
    contract = load_contract(table)
    names = set(contract.column_names)
    assert len(names) == len(contract.columns), "duplicate column"
    assert set(contract.primary_key) <= names
    for fk in contract.foreign_keys:
        assert fk.column in names
        assert fk.target_column in load_contract(fk.table).column_names


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_delta_schema_equals_contract(spark, tiny_run, table):
    contract = load_contract(table)
    written = tiny_run.read(spark, table).schema
    assert_schema_equality(written, spark_schema(contract), ignore_nullable=True, ignore_metadata=True)
    assert schema_differences(written, contract, enforced_constraints(spark, tiny_run, table)) == []
    comments = {f.name: f.metadata.get("comment") for f in written.fields}
    assert comments == {c.name: c.description for c in contract.columns}


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_table_has_rows_comment_and_statistics_on_its_keys(spark, tiny_run, table):
    assert tiny_run.read(spark, table).limit(1).count() == int(table not in NORMAL_OPS_EMPTY)
    detail = spark.sql(f"DESCRIBE DETAIL {tiny_run.identifier(table)}").collect()[0]
    contract = load_contract(table)
    assert detail["description"] == contract.description
    assert detail["properties"][STATS_COLUMNS_PROPERTY].split(",") == contract.key_columns
    assert contract.key_columns, "a table without keys would have no statistics for data skipping"


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_keys_foreign_keys_and_row_checks_hold(tiny_validation, table):
    """Primary-key uniqueness, zero orphans per foreign key, and every row-level check of the contract."""
    results = [r for r in tiny_validation.results if r.check.startswith(f"{table}.")]
    contract = load_contract(table)
    expected = len(contract.foreign_keys) + len(contract.checks) + bool(contract.primary_key) + 1   # + schema
    assert len(results) == expected
    assert [f"{r.check} = {r.value} ({r.detail})" for r in results if r.status != PASS] == []


def test_quickstart_queries_hold_or_are_too_small_to_judge(tiny_validation):
    results = [r for r in tiny_validation.results if r.check.startswith("quickstart.")]
    assert len(results) == len(load_quickstart())
    assert [f"{r.check} = {r.value}, bound {r.bound}" for r in results if r.status not in (PASS, TOO_SMALL)] == []
