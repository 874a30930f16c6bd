"""The DDL of the gold tables in another database, derived from the contracts.

Types follow the dialect's mapping (src/retail_synth/spec/databases.py); NOT NULL,
primary keys and foreign keys come from the contract, the contract's
enforced checks become CHECK constraints (their Spark SQL transpiled by
sqlglot), and table and column descriptions become comments where the
database keeps them. Foreign keys only point at tables of the same load, so
a partial load still creates. The loading order is derived from the foreign
keys, so every referenced table is filled before the tables that point at it.
"""

from __future__ import annotations

import sqlglot

from retail_synth.spec.contracts import Contract, load_contract
from retail_synth.spec.databases import Dialect


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(table: str, schema: str | None = None) -> str:
    return f"{quoted(schema)}.{quoted(table)}" if schema else quoted(table)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_order(tables: list[str]) -> list[str]:
    """`tables` with every table after the tables its foreign keys reference; ties by name, so the order is stable."""
    waiting = {t: {k.table for k in load_contract(t).foreign_keys if k.table in tables and k.table != t} for t in tables}
    order: list[str] = []
    while waiting:
        ready = sorted(t for t, needs in waiting.items() if not needs - set(order))
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {', '.join(sorted(waiting))}")
        order.append(ready[0])
        del waiting[ready[0]]
    return order


def check_predicate(predicate: str, dialect: Dialect) -> str:
    """A contract check (Spark SQL) in the dialect's SQL."""
    return sqlglot.parse_one(predicate, read="spark").sql(dialect=dialect.sqlglot)


def foreign_keys(contract: Contract, loaded: list[str], schema: str | None = None, into_facts: bool = True) -> list[str]:
    """The contract's foreign keys to tables of this load, as constraint clauses (to dimensions only, unless `into_facts`)."""
    return [f"FOREIGN KEY ({quoted(key.column)}) REFERENCES {qualified(key.table, schema)} ({quoted(key.target_column)})"
            for key in contract.foreign_keys
            if key.table in loaded and (into_facts or key.into_dimension)]


def add_foreign_keys(contract: Contract, loaded: list[str], schema: str | None = None) -> list[str]:
    """ALTER TABLE statements adding the foreign keys to a filled table (dialects with `keys_after_load`)."""
    return [f"ALTER TABLE {qualified(contract.table, schema)} ADD {key}" for key in foreign_keys(contract, loaded, schema)]


def create_table(contract: Contract, dialect: Dialect, loaded: list[str], schema: str | None = None) -> list[str]:
    """CREATE TABLE with the contract's constraints, then its comments where the dialect keeps them.

    A dialect with `keys_after_load` gets its foreign keys from `add_foreign_keys` once the rows are in.
    """
    name = qualified(contract.table, schema)
    lines = [f"{quoted(c.name)} {dialect.types[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in contract.columns]
    if contract.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(quoted(c) for c in contract.primary_key)})")
    if not dialect.keys_after_load:
        lines += foreign_keys(contract, loaded, schema, dialect.keys_into_facts)
    for check in contract.checks:
        if check.enforce:
            lines.append(f"CONSTRAINT {quoted(check.name)} CHECK ({check_predicate(check.predicate, dialect)})")
    statements = [f"CREATE TABLE {name} (\n  " + ",\n  ".join(lines) + "\n)"]
    if dialect.keeps_comments:
        statements.append(f"COMMENT ON TABLE {name} IS {literal(contract.description)}")
        statements += [f"COMMENT ON COLUMN {name}.{quoted(c.name)} IS {literal(c.description)}" for c in contract.columns]
    return statements


def drop_table(table: str, schema: str | None = None) -> str:
    return f"DROP TABLE IF EXISTS {qualified(table, schema)}"
