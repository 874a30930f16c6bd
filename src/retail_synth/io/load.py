"""`retail-synth load`: the gold tables of a run into PostgreSQL, SQLite or DuckDB, in one transaction.

How rows travel: Spark reads each Delta table and writes it, in contract
column order, as a Parquet snapshot to a staging folder (src/retail_synth/io/export.py);
pyarrow then streams that snapshot batch by batch into the database's bulk
path (ADBC `adbc_ingest`, binary COPY on PostgreSQL; DuckDB's scan of a
registered Arrow stream). The driver holds one batch at a time, never a
whole fact table, and the staging folder holds one table at a time.

One transaction per load: the tables are created from the contracts
(src/retail_synth/io/load_ddl.py) and filled in foreign-key order (PostgreSQL gets
its foreign keys right after the rows, still inside the transaction), the database's
row counts are compared with the Delta tables', and only then is it
committed. On any failure, Ctrl-C or SIGTERM the transaction is rolled back
(and a database file the load created is removed), so nothing of it stays.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from retail_synth.io.database_session import DatabaseSession
from retail_synth.io.export import export_table, gold_tables_in
from retail_synth.io.load_ddl import (
    add_foreign_keys,
    create_table,
    drop_table,
    load_order,
    quoted,
)
from retail_synth.spec.contracts import load_contract

BATCH_ROWS = 65_536
STAGING_COMPRESSION = "snappy"     # pyarrow misreads large pages of Spark's Hadoop-framed lz4


class RowCountMismatch(Exception):
    """The database holds other row counts than the Delta tables: the load is rolled back."""


@dataclass(frozen=True)
class LoadedTable:
    table: str
    delta_rows: int
    database_rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.database_rows / self.seconds if self.seconds > 0 else 0.0


class StreamedRows:
    """The share of the current table's rows already streamed: the `tasks` of a RunProgress during a load."""

    def __init__(self):
        self.rows, self.expected = 0, 0

    def start(self, expected: int) -> None:
        self.rows, self.expected = 0, expected

    def follow(self, table: str) -> None:
        """Tables load one at a time: `start` says what the next one expects."""

    def share(self, table: str) -> float:  # noqa: ARG002  SparkTaskShare's signature; a load streams one table at a time
        return min(self.rows / self.expected, 1.0) if self.expected else 0.0

    def close(self) -> None:
        pass


def tables_to_load(spark, target) -> list[str]:
    """The gold tables present in the Delta target, in foreign-key order."""
    return load_order(gold_tables_in(spark, target))


def batches(folder: Path, table: str, streamed: StreamedRows | None = None) -> pa.RecordBatchReader:
    """The staged table as a stream of batches in the contract's Arrow schema, read one at a time."""
    schema = load_contract(table).arrow_schema()

    def cast():
        for batch in ds.dataset(folder, format="parquet", schema=schema).to_batches(batch_size=BATCH_ROWS):
            if streamed is not None:
                streamed.rows += batch.num_rows
            yield batch.cast(schema)

    return pa.RecordBatchReader.from_batches(schema, cast())


class SparkSnapshot:
    """The rows of each table as Spark last committed them, staged as Parquet one table at a time and streamed back.

    Called with a table, it removes the previous table's staging files,
    stages this one and returns its stream, so the staging folder holds one
    table at most.
    """

    def __init__(self, spark, target, folder: Path, streamed: StreamedRows | None = None):
        self.spark, self.target, self.folder, self.streamed = spark, target, folder, streamed
        self.staged: str | None = None

    def __call__(self, table: str) -> pa.RecordBatchReader:
        if self.staged:
            shutil.rmtree(self.folder / self.staged, ignore_errors=True)
        export_table(self.spark, self.target, table, self.folder, "parquet", STAGING_COMPRESSION)
        self.staged = table
        return batches(self.folder / table, table, self.streamed)


def prepare(session: DatabaseSession, tables: list[str], replace: bool) -> None:
    """Drop the project's tables already there (only with `replace`), then create every table of the load."""
    if session.schema:
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(session.schema)}")
    if replace:
        for table in reversed(load_order(session.gold_tables())):
            session.execute(drop_table(table, session.schema))
    for table in tables:
        for statement in create_table(load_contract(table), session.database.dialect, tables, session.schema):
            session.execute(statement)


def load(session: DatabaseSession, tables: list[str], delta_rows: dict[str, int],
         rows_of: Callable[[str], pa.RecordBatchReader], replace: bool = False, progress=None,
         streamed: StreamedRows | None = None) -> list[LoadedTable]:
    """Load `tables` (in foreign-key order) from `rows_of(table)` into the session's database and commit.

    Anything else, an exception or a signal, rolls the whole load back.
    """
    loaded = []
    try:
        prepare(session, tables, replace)
        for table in tables:
            started = time.perf_counter()
            if progress:
                progress.table_started(table)
            if streamed is not None:
                streamed.start(delta_rows[table])
            session.ingest(table, rows_of(table))
            loaded.append(LoadedTable(table, delta_rows[table], session.count(table), time.perf_counter() - started))
            if progress:
                progress.table_written(table, loaded[-1].database_rows, loaded[-1].seconds)
        if session.database.dialect.keys_after_load:
            for table in tables:
                for statement in add_foreign_keys(load_contract(table), tables, session.schema):
                    session.execute(statement)
        differing = [t for t in loaded if t.database_rows != t.delta_rows]
        if differing:
            raise RowCountMismatch("row counts differ from Delta: " + ", ".join(
                f"{t.table} {t.database_rows:,} instead of {t.delta_rows:,}" for t in differing))
        session.commit()
    except BaseException:
        session.discard()
        raise
    session.close()
    return loaded
