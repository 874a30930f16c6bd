"""Targets: names are checked before Spark starts and quoted wherever they enter SQL; ordered files bound a MERGE."""

from dataclasses import replace

import pytest
from pyspark.sql import functions as F

from retail_synth.cli.main import main
from retail_synth.spark import delta_tables
from retail_synth.spark.delta_tables import Target, merge_rows, replace_table
from retail_synth.spec.contracts import load_contract


@pytest.mark.parametrize("flags", [
    ["--catalog", "spark_catalog", "--schema", "rs`; DROP TABLE x; --"],
    ["--catalog", "main;", "--schema", "rs"],
    ["--catalog", "spark_catalog", "--schema", "9lives"],
    ["--catalog", "spark_catalog", "--schema", ""],
])
def test_bad_catalog_or_schema_names_are_one_line_and_exit_2(flags, capsys):
    for command in (["generate", "--preset", "tiny"], ["validate"], ["rollback"], ["clean"], ["history"]):
        assert main([*command, *flags]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("retail-synth: error:")


def test_identifiers_are_quoted():
    assert Target(catalog="main", schema="rs").identifier("gold_sales_fact") == "`main`.`rs`.`gold_sales_fact`"
    assert Target(output_dir="/tmp/a`b").identifier("gold_x") == "delta.`/tmp/a``b/gold_x`"


def _episodes(spark, ids, open_every: int | None):
    """gold_stockout_events rows with ids `ids` in 3 partitions: every `open_every`-th still open (NULL end)."""
    still_open = F.col("id") % open_every == 0 if open_every else F.lit(False)
    return spark.range(*ids, numPartitions=3).select(
        F.format_string("SO-%08d", "id").alias("stockout_id"),
        (F.col("id") % 100).cast("int").alias("product_key"),
        F.lit(1).alias("location_key"),
        F.lit(20240101).alias("stockout_start_date_key"),
        F.when(still_open, F.lit(None)).otherwise(20240101 + F.col("id") % 28).cast("int").alias("stockout_end_date_key"),
        F.lit(1).alias("stockout_duration_days"),
        F.lit(0).alias("lost_sales_attempts"),
        F.lit(0).alias("lost_sales_quantity"),
        F.lit(0.0).alias("lost_sales_revenue"),
        F.lit(False).alias("peak_season_flag"),
        F.lit("WMS").alias("source_system"),
        F.lit("2024-01-01 00:00:00").cast("timestamp").alias("etl_timestamp"))


def _rows_copied(spark, target: Target, contract) -> int:
    """Rows an extend-like MERGE copies unchanged when it closes the 30 open episodes of a table of 30,000 rows."""
    replace_table(spark, _episodes(spark, (0, 30_000), 1000), contract, target, "r1", "normal-ops")
    closed = _episodes(spark, (0, 30_000, 1000), None)
    assert merge_rows(spark, closed, contract, target, "closed", "t.stockout_end_date_key IS NULL") == 30
    table = target.read(spark, contract.table)
    assert table.count() == 30_000 and table.where("stockout_end_date_key IS NULL").count() == 0
    metrics = spark.sql(f"DESCRIBE HISTORY {target.identifier(contract.table)} LIMIT 1").collect()[0]["operationMetrics"]
    return int(metrics["numTargetRowsCopied"])


def test_a_merge_of_rewritable_rows_rewrites_only_the_files_that_hold_them(spark, tmp_path, monkeypatch):
    """gold_stockout_events is written sorted by stockout_end_date_key (open episodes, NULL, first), in files of at
    most ORDERED_FILE_ROWS rows: a task's open episodes share its first file, the only one of the task's files an
    extend's MERGE rewrites. Unordered, every file holds some and is rewritten whole."""
    monkeypatch.setattr(delta_tables, "ORDERED_FILE_ROWS", 2_500)     # 3 partitions of 10,000 rows: 12 files
    contract = load_contract("gold_stockout_events")
    assert _rows_copied(spark, Target(output_dir=str(tmp_path / "ordered")), contract) == 3 * 2_500 - 30
    unordered = replace(contract, file_order=())
    assert _rows_copied(spark, Target(output_dir=str(tmp_path / "unordered")), unordered) == 30_000 - 30
