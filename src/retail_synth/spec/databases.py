"""The databases `load` and `validate --database` write to and read from, described once.

Each dialect says how a contract type is spelled, which constraints the
database enforces or keeps, and which sqlglot dialect its SQL is written
in, so the DDL and the transpiled quickstart SQL follow one description.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str                       # the URL scheme users write
    sqlglot: str                    # sqlglot's name for the dialect
    types: dict[str, str]           # contract type -> column type
    keeps_comments: bool            # COMMENT ON TABLE/COLUMN is stored
    has_schemas: bool               # tables can be placed in a named schema (--schema)
    keys_after_load: bool = False   # foreign keys are added once the rows are in (ALTER TABLE ... ADD FOREIGN KEY)
    keys_into_facts: bool = True    # foreign keys whose parent is a fact (the bridge's line_item_id) are declared


POSTGRESQL = Dialect(
    name="postgresql", sqlglot="postgres",
    types={"int": "INTEGER", "bigint": "BIGINT", "string": "TEXT", "double": "DOUBLE PRECISION",
           "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"},
    keeps_comments=True, has_schemas=True,
    # one validating join per key after the load instead of a trigger call per row during COPY
    keys_after_load=True,
)
DUCKDB = Dialect(
    name="duckdb", sqlglot="duckdb",
    types={"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR", "double": "DOUBLE",
           "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"},
    keeps_comments=True, has_schemas=False,
    # DuckDB refuses every UPDATE of a row another table's foreign key references (it updates by delete and
    # insert), which would leave the apparel lines of gold_sales_fact read-only; validate checks that key
    keys_into_facts=False,
)
# SQLite has no date, time or boolean storage class: ADBC stores dates and
# timestamps as ISO-8601 text and booleans as 0/1, which is what these affinities keep.
SQLITE = Dialect(
    name="sqlite", sqlglot="sqlite",
    types={"int": "INTEGER", "bigint": "INTEGER", "string": "TEXT", "double": "REAL",
           "boolean": "INTEGER", "date": "TEXT", "timestamp": "TEXT"},
    keeps_comments=False, has_schemas=False,
)

DIALECTS = {d.name: d for d in (POSTGRESQL, SQLITE, DUCKDB)}
