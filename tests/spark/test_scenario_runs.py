"""A real anomaly-heavy run of tiny: its labels match the Delta facts, the invariants hold, the scenario is recorded."""

from __future__ import annotations

from retail_synth.checks.validate import PASS, run_sql_check, sql_checks
from retail_synth.spark.delta_tables import SCENARIO_PROPERTY
from retail_synth.spark.run_journal import RunJournal, held_run, run_settings
from retail_synth.spec.contracts import all_tables

LABEL_CHECKS = ("anomaly_shrinkage_matches_adjustments", "anomaly_late_deliveries_arrive_late",
                "anomaly_price_errors_priced", "anomaly_node_outage_idle", "customers_order_after_acquisition",
                "inventory_flow_identity", "lost_sales_reconciled", "recovery_revenue_matches_orders",
                "stockout_episodes_match_snapshots", "sales_exceeding_stock")


def test_every_anomaly_type_is_labelled(spark, anomaly_heavy_run):
    counts = {r["anomaly_type"]: r["n"] for r in anomaly_heavy_run.read(spark, "gold_anomaly_label")
              .groupBy("anomaly_type").count().withColumnRenamed("count", "n").collect()}
    assert set(counts) == {"shrinkage", "late_delivery", "demand_spike", "price_error", "node_outage"}
    assert counts["node_outage"] == 1


def test_every_label_matches_its_facts(spark, anomaly_heavy_run):
    """validate's label checks, run as validate runs them (the whole of validate runs on the tiny run elsewhere)."""
    settings = run_settings(held_run(RunJournal(spark, anomaly_heavy_run).runs()))
    for table in all_tables():
        anomaly_heavy_run.read(spark, table).createOrReplaceTempView(table)
    checks = [c for c in sql_checks(settings) if c.name.removeprefix("quickstart.") in LABEL_CHECKS]
    assert len(checks) == len(LABEL_CHECKS)
    results = [r for c in checks for r in run_sql_check(spark, c)]
    assert [(r.check, r.status) for r in results if r.status != PASS] == []


def test_a_shrinkage_label_joins_to_its_write_off(spark, anomaly_heavy_run):
    """The join from a label to the movement it describes, as docs/scenarios.md shows it."""
    for table in ("gold_anomaly_label", "gold_inventory_movement_fact"):
        anomaly_heavy_run.read(spark, table).createOrReplaceTempView(table)
    rows = spark.sql("""
        SELECT l.magnitude, m.quantity, m.reference_type
        FROM gold_anomaly_label AS l
        JOIN gold_inventory_movement_fact AS m
          ON m.product_key = l.product_key AND m.from_location_key = l.location_key
         AND m.date_key = l.start_date_key AND m.movement_type = 'adjustment'
        WHERE l.anomaly_type = 'shrinkage'""").collect()
    assert rows and all(r["magnitude"] == r["quantity"] and r["reference_type"] == "stock_count" for r in rows)


def test_the_scenario_is_recorded_in_the_journal_and_the_table_properties(spark, anomaly_heavy_run):
    assert held_run(RunJournal(spark, anomaly_heavy_run).runs()).scenario == "anomaly-heavy"
    detail = spark.sql(f"DESCRIBE DETAIL {anomaly_heavy_run.identifier('gold_sales_fact')}").collect()[0]
    assert detail["properties"][SCENARIO_PROPERTY] == "anomaly-heavy"
