"""One open connection to a PostgreSQL, SQLite or DuckDB database, with the few operations loads and checks need.

PostgreSQL and SQLite go through ADBC, whose `adbc_ingest` bulk-loads an
Arrow stream (PostgreSQL with binary COPY); DuckDB scans a registered Arrow
stream natively. All three run DDL inside a transaction, so a session opens
one transaction and everything up to `commit` (tables created or dropped,
rows loaded) stays or goes together. SQLite enforces foreign keys only when
a connection asks, before its transaction begins, so the session does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from retail_synth.io.load_ddl import literal, qualified, quoted
from retail_synth.spec.contracts import all_tables
from retail_synth.spec.database_url import DatabaseUrl

STREAM_VIEW = "retail_synth_incoming"


class DatabaseSession:
    def __init__(self, database: DatabaseUrl, schema: str | None = None):
        self.database, self.schema = database, schema
        self.dialect = database.dialect.name
        self.created_file = database.path is not None and not Path(database.path).exists()
        self.connection: Any        # duckdb's own connection, or an ADBC DB-API one: `dialect` says which
        if self.dialect == "duckdb":
            import duckdb

            self.connection = duckdb.connect(database.file)
            self.connection.begin()
        elif self.dialect == "sqlite":
            import adbc_driver_sqlite.dbapi

            self.connection = adbc_driver_sqlite.dbapi.connect(database.file, autocommit=True)
            self.connection.execute("PRAGMA foreign_keys = ON")
            self.connection.adbc_connection.set_autocommit(False)
        else:
            import adbc_driver_postgresql.dbapi

            self.connection = adbc_driver_postgresql.dbapi.connect(database.url)
            if schema:
                self.execute(f"SET search_path TO {quoted(schema)}")     # unqualified names (quickstart SQL) find the tables

    def execute(self, sql: str) -> None:
        if self.dialect == "duckdb":
            self.connection.execute(sql)
        else:
            with self.connection.cursor() as cursor:
                cursor.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        if self.dialect == "duckdb":
            return self.connection.execute(sql).fetchall()
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def arrow(self, sql: str) -> pa.Table:
        if self.dialect == "duckdb":
            return self.connection.sql(sql).to_arrow_table()
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    def ingest(self, table: str, stream: pa.RecordBatchReader) -> None:
        """Append the stream's rows to an existing table in bulk."""
        if self.dialect == "duckdb":
            self.connection.register(STREAM_VIEW, stream)
            try:
                self.connection.execute(f"INSERT INTO {qualified(table)} SELECT * FROM {STREAM_VIEW}")
            finally:
                self.connection.unregister(STREAM_VIEW)
        else:
            with self.connection.cursor() as cursor:
                cursor.adbc_ingest(table, stream, mode="append", db_schema_name=self.schema)

    def count(self, table: str) -> int:
        return int(self.rows(f"SELECT COUNT(*) FROM {qualified(table, self.schema)}")[0][0])

    def tables(self) -> set[str]:
        """The names of the tables in the session's schema (PostgreSQL: --schema, else the current schema)."""
        if self.dialect == "sqlite":
            return {r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if self.dialect == "duckdb":
            return {r[0] for r in self.rows("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = current_schema()")}
        schema = literal(self.schema) if self.schema else "current_schema()"
        return {r[0] for r in self.rows(f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema}")}

    def gold_tables(self) -> list[str]:
        """The project's tables already in the database: the only ones `--replace` drops."""
        present = self.tables()
        return [t for t in all_tables() if t in present]

    def commit(self) -> None:
        if self.dialect == "duckdb":
            self.connection.commit()
        else:
            self.connection.adbc_connection.commit()

    def rollback(self) -> None:
        """Undo everything since the last commit; the session goes on in a new transaction."""
        if self.dialect == "duckdb":
            self.connection.rollback()
            self.connection.begin()
        else:
            self.connection.adbc_connection.rollback()

    def close(self) -> None:
        self.connection.close()

    def discard(self) -> None:
        """Roll back, close, and remove the database file when this session created it."""
        try:
            self.rollback()
        finally:
            self.close()
            if self.created_file:
                for leftover in (Path(self.database.file), Path(self.database.file + ".wal")):
                    leftover.unlink(missing_ok=True)
