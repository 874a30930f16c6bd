"""Exported tiny: Parquet read back equals each Delta table, CSV and JSON lines keep every row in ISO form."""

from __future__ import annotations

import json
import re

from chispa import assert_df_equality

from retail_synth.cli.main import main
from retail_synth.io.export import MANIFEST
from retail_synth.spark.delta_tables import spark_schema
from retail_synth.spec.contracts import all_tables, load_contract

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def test_parquet_read_back_equals_every_delta_table(spark, tiny_run, staged_tiny):
    for table in all_tables():
        contract = load_contract(table)
        order = contract.primary_key or contract.column_names
        back = spark.read.schema(spark_schema(contract)).parquet(str(staged_tiny / table))
        delta = tiny_run.read(spark, table)
        assert_df_equality(back.orderBy(*order), delta.orderBy(*order),
                           ignore_nullable=True, ignore_metadata=True)


def test_the_manifest_lists_tables_files_rows_and_contract_columns(staged_tiny, tiny_rows):
    manifest = json.loads((staged_tiny / MANIFEST).read_text())
    assert manifest["format"] == "parquet"
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == tiny_rows
    for entry in manifest["tables"]:
        assert [c["name"] for c in entry["columns"]] == load_contract(entry["table"]).column_names
        assert entry["files"] and all((staged_tiny / entry["folder"] / f).is_file() for f in entry["files"])


def test_csv_has_a_header_iso_dates_and_every_row(spark, tiny_run, tiny_rows, tmp_path):
    tables = ["gold_date_dim", "gold_customer_event_fact", "gold_sales_fact"]
    assert main(["export", "--output", tiny_run.output_dir, "--format", "csv", "--to", str(tmp_path),
                 "--tables", ",".join(tables), "--single-file"]) == 0
    for table in tables:
        contract = load_contract(table)
        files = list((tmp_path / table).glob("part-*.csv"))
        assert len(files) == 1
        header, _first_row = files[0].read_text().splitlines()[:2]
        assert header.split(",") == contract.column_names
        back = spark.read.schema(spark_schema(contract)).option("header", True).csv(str(tmp_path / table))
        assert back.count() == tiny_rows[table]
    events = (tmp_path / "gold_customer_event_fact").glob("part-*.csv")
    row = spark.read.option("header", True).csv(str(next(events))).select("event_timestamp").first()
    assert ISO_TIMESTAMP.match(row[0]), row[0]
    dates = spark.read.option("header", True).csv(str(tmp_path / "gold_date_dim")).select("calendar_date").first()
    assert ISO_DATE.match(dates[0]), dates[0]


def test_json_is_one_object_per_line(tiny_run, tiny_rows, tmp_path):
    assert main(["export", "--output", tiny_run.output_dir, "--format", "json", "--to", str(tmp_path),
                 "--tables", "gold_stockout_events", "--compression", "none"]) == 0
    lines = [line for f in sorted((tmp_path / "gold_stockout_events").glob("part-*")) for line in f.read_text().splitlines()]
    assert len(lines) == tiny_rows["gold_stockout_events"]
    assert set(json.loads(lines[0])) <= set(load_contract("gold_stockout_events").column_names)
