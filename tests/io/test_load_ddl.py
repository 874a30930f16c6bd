"""The contracts' DDL runs as written on SQLite and DuckDB, in an order that satisfies every foreign key."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest

from retail_synth.io.load_ddl import (
    add_foreign_keys,
    check_predicate,
    create_table,
    load_order,
)
from retail_synth.spec.contracts import all_tables, load_contract
from retail_synth.spec.databases import DIALECTS, DUCKDB, POSTGRESQL, SQLITE


def test_the_load_order_puts_every_referenced_table_first():
    order = load_order(all_tables())
    assert sorted(order) == all_tables()
    for position, table in enumerate(order):
        assert {k.table for k in load_contract(table).foreign_keys} <= set(order[:position]), table


def test_a_partial_load_references_only_its_own_tables():
    statement = create_table(load_contract("gold_sales_fact"), DUCKDB, ["gold_sales_fact", "gold_date_dim"])[0]
    assert 'REFERENCES "gold_date_dim"' in statement and "gold_customer_dim" not in statement


def test_every_dialect_maps_every_contract_type():
    used = {c.type for t in all_tables() for c in load_contract(t).columns}
    assert all(used <= set(d.types) for d in DIALECTS.values())


@pytest.mark.parametrize("connect", [lambda: sqlite3.connect(":memory:"), lambda: duckdb.connect(":memory:")],
                         ids=["sqlite", "duckdb"])
def test_the_ddl_creates_every_table(connect):
    """Enforcement on real rows is tested on loaded tiny (tests/io/test_load.py)."""
    dialect = SQLITE if connect().__class__.__module__.startswith("sqlite3") else DUCKDB
    connection = connect()
    if dialect is SQLITE:
        connection.execute("PRAGMA foreign_keys = ON")
    order = load_order(all_tables())
    for table in order:
        for statement in create_table(load_contract(table), dialect, order):
            connection.execute(statement)
    listed = "SELECT name FROM sqlite_master WHERE type = 'table'" if dialect is SQLITE else "SHOW TABLES"
    assert sorted(r[0] for r in connection.execute(listed).fetchall()) == all_tables()


def test_a_check_is_written_in_the_dialect():
    assert check_predicate("NOT recovery_email_opened OR recovery_email_sent", POSTGRESQL) == \
        "NOT recovery_email_opened OR recovery_email_sent"
    assert "BETWEEN 1 AND 3" in check_predicate("quantity_requested BETWEEN 1 AND 3", DUCKDB)


def test_postgresql_adds_its_foreign_keys_once_the_rows_are_in():
    contract, order = load_contract("gold_sales_fact"), load_order(all_tables())
    assert "FOREIGN KEY" not in create_table(contract, POSTGRESQL, order)[0]
    added = add_foreign_keys(contract, order, "s")
    assert len(added) == len(contract.foreign_keys)
    assert added[0].startswith('ALTER TABLE "s"."gold_sales_fact" ADD FOREIGN KEY')
