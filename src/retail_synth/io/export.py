"""`retail-synth export`: the gold tables as Parquet, CSV or JSON-lines files, one folder per table, and a manifest.

Spark writes each table from its Delta snapshot with the contract's column
order; CSV gets a header, and CSV and JSON carry ISO-8601 dates and
timestamps (UTC, `Z`). Parquet timestamps are written as microseconds since
the epoch (not Spark's legacy INT96), so any Parquet reader gets them right.
`manifest.json` lists, per table, its folder, files, rows and the contract's
columns, so a reader needs no schema inference either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from retail_synth.spec.contracts import all_tables, load_contract

FORMATS = ("parquet", "csv", "json")
COMPRESSIONS = {
    "parquet": ("snappy", "zstd", "gzip", "lz4", "none"),
    "csv": ("none", "gzip", "bzip2", "deflate"),
    "json": ("none", "gzip", "bzip2", "deflate"),
}
MANIFEST = "manifest.json"
DATE_FORMAT = "yyyy-MM-dd"
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
PARQUET_TIMESTAMPS = "spark.sql.parquet.outputTimestampType"


@dataclass(frozen=True)
class ExportedTable:
    table: str
    folder: str
    files: list[str]
    rows: int

    def as_json(self) -> dict:
        columns = [{"name": c.name, "type": c.type, "nullable": c.nullable, "description": c.description}
                   for c in load_contract(self.table).columns]
        return {"table": self.table, "folder": self.folder, "files": self.files, "rows": self.rows, "columns": columns}


def gold_tables_in(spark, target) -> list[str]:
    """The gold tables of the contracts that the target holds."""
    return [t for t in all_tables() if target.exists(spark, t)]


def delta_row_counts(spark, target, tables: list[str]) -> dict[str, int]:
    """Rows of each Delta table (Delta answers a bare count from its log)."""
    return {t: target.read(spark, t).count() for t in tables}


def export_table(spark, target, table: str, folder: Path, file_format: str, compression: str,
                 single_file: bool = False) -> list[str]:
    """Write one table to `folder/<table>` (replacing it) and return the names of its data files."""
    frame = target.read(spark, table).select(*load_contract(table).column_names)
    if single_file:
        frame = frame.coalesce(1)
    writer = frame.write.mode("overwrite").format(file_format).option("compression", compression)
    if file_format in ("csv", "json"):
        writer = writer.option("dateFormat", DATE_FORMAT).option("timestampFormat", TIMESTAMP_FORMAT)
    if file_format == "csv":
        writer = writer.option("header", True)
    destination = folder / table
    previous = spark.conf.get(PARQUET_TIMESTAMPS, None)
    spark.conf.set(PARQUET_TIMESTAMPS, "TIMESTAMP_MICROS")
    try:
        writer.save(str(destination))
    finally:
        if previous is not None:
            spark.conf.set(PARQUET_TIMESTAMPS, previous)
    return sorted(p.name for p in destination.glob("part-*"))


def export_tables(spark, target, tables: list[str], folder: Path, file_format: str, compression: str,
                  single_file: bool = False, on_table=None) -> list[ExportedTable]:
    """Every table in turn, then `manifest.json`; `on_table(exported)` is told after each."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = delta_row_counts(spark, target, tables)
    exported = []
    for table in tables:
        files = export_table(spark, target, table, folder, file_format, compression, single_file)
        exported.append(ExportedTable(table, table, files, rows[table]))
        if on_table:
            on_table(exported[-1])
    manifest = {"source": target.describe(), "format": file_format, "compression": compression,
                "tables": [e.as_json() for e in exported]}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return exported
