"""Contract tests: the Delta tables a real tiny run wrote, checked against contracts/."""

import pytest
from chispa.schema_comparer import assert_schema_equality
from pyspark.sql import functions as F

from components.contracts import all_tables, load_contract
from pipelines.delta_tables import spark_schema
from pipelines.generate import WRITTEN_TABLES

REFERENCE_TABLES = {
    "gold_customer_dim", "gold_product_dim", "gold_location_dim", "gold_date_dim", "gold_channel_dim",
    "gold_time_dim", "gold_sales_fact", "gold_inventory_fact", "gold_stockout_events",
    "gold_cart_abandonment_fact", "gold_customer_event_fact", "gold_demand_forecast_fact",
    "gold_customer_product_affinity_agg", "gold_size_fit_bridge", "gold_inventory_movement_fact",
}


def test_every_reference_table_has_a_contract():
    assert set(all_tables()) == REFERENCE_TABLES


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
    assert_schema_equality(written, spark_schema(contract), ignore_nullable=False, ignore_metadata=True)
    comments = {f.name: f.metadata.get("comment") for f in written.fields}
    assert comments == {c.name: c.description for c in contract.columns}


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_table_has_rows_and_comment(spark, tiny_run, table):
    assert tiny_run.read(spark, table).limit(1).count() == 1
    detail = spark.sql(f"DESCRIBE DETAIL {tiny_run.identifier(table)}").collect()[0]
    assert detail["description"] == load_contract(table).description


@pytest.mark.parametrize("table", [t for t in WRITTEN_TABLES if load_contract(t).primary_key])
def test_primary_key_is_unique(spark, tiny_run, table):
    key = list(load_contract(table).primary_key)
    frame = tiny_run.read(spark, table)
    duplicates = frame.groupBy(*key).count().where("count > 1").count()
    nulls = frame.where(" OR ".join(f"{k} IS NULL" for k in key)).count()
    assert (duplicates, nulls) == (0, 0)


@pytest.mark.parametrize(
    "table, fk",
    [(t, fk) for t in WRITTEN_TABLES for fk in load_contract(t).foreign_keys],
    ids=lambda value: value if isinstance(value, str) else f"{value.column}->{value.table}",
)
def test_foreign_keys_have_no_orphans(spark, tiny_run, table, fk):
    child = tiny_run.read(spark, table).where(F.col(fk.column).isNotNull()).select(F.col(fk.column).alias("k"))
    parent = tiny_run.read(spark, fk.table).select(F.col(fk.target_column).alias("k"))
    orphans = child.join(parent, "k", "left_anti")
    assert orphans.count() == 0, orphans.distinct().limit(5).collect()


@pytest.mark.parametrize(
    "table, check",
    [(t, c) for t in WRITTEN_TABLES for c in load_contract(t).checks],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_quality_check_holds_on_every_row(spark, tiny_run, table, check):
    violations = tiny_run.read(spark, table).where(f"NOT coalesce(({check.predicate}), false)")
    assert violations.count() == 0, violations.limit(3).collect()
