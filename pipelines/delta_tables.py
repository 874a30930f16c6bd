"""Where gold tables go, and how a table is (re)created from its contract.

Each run replaces every table: the table is recreated (REPLACE TABLE when it
exists, else CREATE TABLE) with the contract's schema, comments and enforced
CHECK constraints, then filled by one append commit. Delta commits are
atomic, so a reader sees either no rows or all of them; a run that dies
part-way leaves no completion marker (see `run_marker`), which is how a
half-finished set of tables is told apart from a complete one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import types as T

from components.contracts import Contract, all_tables

SPARK_TYPES = {
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "string": T.StringType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}

RUN_MARKER = "_retail_synth_run.json"


def spark_schema(contract: Contract) -> T.StructType:
    return T.StructType(
        [
            T.StructField(c.name, SPARK_TYPES[c.type], c.nullable, metadata={"comment": c.description})
            for c in contract.columns
        ]
    )


@dataclass(frozen=True)
class Target:
    """Path-based tables under `output_dir`, or managed tables `catalog.schema.<table>`."""

    output_dir: str | None = None
    catalog: str | None = None
    schema: str | None = None

    @property
    def is_path(self) -> bool:
        return self.output_dir is not None

    def table_path(self, table: str) -> str:
        return str(Path(self.output_dir).resolve() / table)

    def identifier(self, table: str) -> str:
        if self.is_path:
            return f"delta.`{self.table_path(table)}`"
        return f"{self.catalog}.{self.schema}.{table}"

    def describe(self) -> str:
        return str(Path(self.output_dir).resolve()) if self.is_path else f"{self.catalog}.{self.schema}"

    def exists(self, spark, table: str) -> bool:
        if self.is_path:
            return (Path(self.table_path(table)) / "_delta_log").is_dir()
        return spark.catalog.tableExists(f"{self.catalog}.{self.schema}.{table}")

    def read(self, spark, table: str):
        if self.is_path:
            return spark.read.format("delta").load(self.table_path(table))
        return spark.table(self.identifier(table))

    def prepare(self, spark) -> None:
        if self.is_path:
            Path(self.output_dir).mkdir(parents=True, exist_ok=True)
        else:
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {self.catalog}.{self.schema}")


def _sql_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_table_sql(contract: Contract, target: Target, run_id: str, replace: bool = False) -> str:
    """CREATE (or, for an existing table, REPLACE) DDL carrying the contract's schema, comments and enforced checks.

    Enforced checks are declared as `delta.constraints.*` properties in the
    same commit: Delta enforces them on every later write, and one commit
    is far cheaper than one ALTER TABLE ... ADD CONSTRAINT per check.
    Not CREATE OR REPLACE: on a path table that already exists Delta takes it
    as a CREATE and rejects the new run id property
    (DELTA_CREATE_TABLE_WITH_DIFFERENT_PROPERTY); REPLACE TABLE replaces it.
    """
    columns = ",\n  ".join(
        f"{c.name} {c.type.upper()}{'' if c.nullable else ' NOT NULL'} COMMENT {_sql_text(c.description)}"
        for c in contract.columns
    )
    properties = {"retail_synth.run_id": run_id}
    properties.update({f"delta.constraints.{c.name}": c.predicate for c in contract.checks if c.enforce})
    props = ",\n  ".join(f"{_sql_text(k)} = {_sql_text(v)}" for k, v in properties.items())
    return (
        f"{'REPLACE' if replace else 'CREATE'} TABLE {target.identifier(contract.table)} (\n  {columns}\n) USING DELTA\n"
        f"COMMENT {_sql_text(contract.description)}\nTBLPROPERTIES (\n  {props}\n)"
    )


def recreate_table(spark, contract: Contract, target: Target, run_id: str) -> None:
    """Replace the table with an empty one carrying the contract's schema, comments and constraints."""
    spark.sql(create_table_sql(contract, target, run_id, replace=target.exists(spark, contract.table)))


def write_table(spark, frame, contract: Contract, target: Target, run_id: str) -> int:
    """Recreate the table and fill it in one append commit; returns the rows written."""
    recreate_table(spark, contract, target, run_id)
    writer = frame.select(*contract.column_names).write.format("delta").mode("append")
    if target.is_path:
        writer.save(target.table_path(contract.table))
    else:
        writer.saveAsTable(target.identifier(contract.table))
    return last_commit_rows(spark, contract.table, target)


def last_commit_rows(spark, table: str, target: Target) -> int:
    """Rows added by the table's latest commit, read from the Delta log instead of a scan."""
    metrics = spark.sql(f"DESCRIBE HISTORY {target.identifier(table)} LIMIT 1").collect()[0]["operationMetrics"]
    return int(metrics.get("numOutputRows", 0))


def clear_run_marker(target: Target) -> None:
    if target.is_path:
        Path(target.output_dir, RUN_MARKER).unlink(missing_ok=True)


def write_run_marker(target: Target, summary: dict) -> None:
    """Written last: its presence says every table of this run was written completely."""
    if target.is_path:
        Path(target.output_dir, RUN_MARKER).write_text(json.dumps(summary, indent=2, default=str) + "\n")


def read_run_marker(target: Target) -> dict | None:
    path = Path(target.output_dir or "", RUN_MARKER)
    return json.loads(path.read_text()) if target.is_path and path.is_file() else None


def run_tables(spark, target: Target) -> list[str]:
    """The tables of the last run: those its marker lists (path targets), else the gold tables that exist."""
    marker = read_run_marker(target)
    if marker is not None:
        return [t["table"] for t in marker["tables"]]
    return [t for t in all_tables() if target.exists(spark, t)]
