"""tiny loaded into a real PostgreSQL, SQLite and DuckDB: counts equal Delta, keys and checks enforced,
failed loads leave nothing.

PostgreSQL and DuckDB are filled from the Parquet snapshot staged once
(conftest.py) through the same `load` the command uses; SQLite through the
`retail-synth load` command itself, Spark staging included.
"""

from __future__ import annotations

import re

import pytest

from retail_synth.cli.main import main
from retail_synth.io.database_session import DatabaseSession
from retail_synth.io.load import batches, load, tables_to_load
from retail_synth.io.load_ddl import qualified
from retail_synth.spec.contracts import all_tables, load_contract
from retail_synth.spec.database_url import parse_database_url
from tests.support.databases import load_staged

DATABASES = ["postgresql", "sqlite", "duckdb"]

pytestmark = pytest.mark.spark     # every database here is filled from tiny, some through fixtures asked for by name


@pytest.fixture(scope="module")
def loaded_sqlite(tiny_run, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tiny.db'}"
    assert main(["load", "--output", tiny_run.output_dir, "--to", url, "--quiet"]) == 0
    return url


@pytest.fixture(params=DATABASES)
def database(request):
    """A session on tiny loaded into each database; whatever a test changes is rolled back."""
    url = request.getfixturevalue({"postgresql": "loaded_postgres", "sqlite": "loaded_sqlite",
                                   "duckdb": "loaded_duckdb"}[request.param])
    session = DatabaseSession(parse_database_url(url), "tiny" if request.param == "postgresql" else None)
    yield session
    session.discard()


# What each database says when a statement breaks a constraint of each kind ({table}, {column}, {name}: the
# table, the key column or the column checked, and the check's name). Only these count as the constraint refusing: a statement
# refused for any other reason (a typo, a column that is not there) fails the test.
VIOLATIONS = {
    "postgresql": {"primary key": r'duplicate key value violates unique constraint "{table}_pkey"',
                   "foreign key": r'violates foreign key constraint "{table}_{column}_fkey"',
                   "check": r'violates check constraint "{name}"'},
    "sqlite": {"primary key": r"UNIQUE constraint failed: {table}\.{column}",
               "foreign key": r"FOREIGN KEY constraint failed",
               "check": r"CHECK constraint failed: {name}"},
    "duckdb": {"primary key": r'Duplicate key "{column}: \d+" violates primary key constraint',
               "foreign key": r'Violates foreign key constraint because key "{column}: -?\d+" does not exist',
               "check": r'CHECK constraint failed on table "{table}" with expression CHECK\(\({column} '},
}


def refusal(session: DatabaseSession, sql: str) -> str | None:
    """The database's error for `sql`, or None when it ran; either way nothing of it stays."""
    try:
        session.execute(sql)
    except Exception as error:
        return str(error)
    finally:
        session.rollback()
    return None


def assert_refused(session: DatabaseSession, sql: str, kind: str, table: str, column: str = "", name: str = "") -> None:
    error = refusal(session, sql)
    assert error is not None, f"accepted: {sql}"
    assert re.search(VIOLATIONS[session.dialect][kind].format(table=table, column=column, name=name), error), error


def test_row_counts_equal_the_delta_tables(database, tiny_rows):
    assert {t: database.count(t) for t in all_tables()} == tiny_rows


def test_primary_keys_are_unique_and_a_duplicate_is_refused(database):
    for table in [t for t in all_tables() if load_contract(t).primary_key]:
        key = ", ".join(load_contract(table).primary_key)
        duplicates = database.rows(f"SELECT COUNT(*) FROM (SELECT {key} FROM {qualified(table, database.schema)} "
                                   f"GROUP BY {key} HAVING COUNT(*) > 1) AS d")
        assert duplicates == [(0,)], table
    channels = qualified("gold_channel_dim", database.schema)
    rest = ", ".join(c.name for c in load_contract("gold_channel_dim").columns[1:])
    copy_first = f"INSERT INTO {channels} SELECT channel_key{{}}, {rest} FROM {channels} ORDER BY channel_key LIMIT 1"
    assert_refused(database, copy_first.format(""), "primary key", "gold_channel_dim", "channel_key")
    assert refusal(database, copy_first.format(" + 1000")) is None      # the same row under a new key goes in


def test_an_orphan_update_is_refused(database):
    sales = qualified("gold_sales_fact", database.schema)
    first = database.rows(f"SELECT MIN(line_item_id) FROM {sales}")[0][0]
    for column, parent, orphan in (("customer_key", "gold_customer_dim", -1), ("date_key", "gold_date_dim", 19000101)):
        update = f"UPDATE {sales} SET {column} = {{}} WHERE line_item_id = '{first}'"
        assert_refused(database, update.format(orphan), "foreign key", "gold_sales_fact", column)
        other = database.rows(f"SELECT MIN({column}) FROM {qualified(parent, database.schema)} WHERE {column} <> "
                              f"(SELECT {column} FROM {sales} WHERE line_item_id = '{first}')")[0][0]
        assert refusal(database, update.format(other)) is None            # another key that is there: accepted


def test_an_enforced_contract_check_is_refused(database):
    sales = qualified("gold_sales_fact", database.schema)
    update = f"UPDATE {sales} SET quantity_sold = {{}}"
    assert_refused(database, update.format(0), "check", "gold_sales_fact", "quantity_sold", "quantity_sold_positive")
    assert refusal(database, update.format(1)) is None                    # one sold is within every line's bounds


def test_postgresql_columns_types_and_comments_follow_the_contract(loaded_postgres):
    session = DatabaseSession(parse_database_url(loaded_postgres), "tiny")
    try:
        contract = load_contract("gold_sales_fact")
        columns = session.rows("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                               "WHERE table_schema = 'tiny' AND table_name = 'gold_sales_fact' ORDER BY ordinal_position")
        expected_types = {"int": "integer", "string": "text", "double": "double precision", "boolean": "boolean",
                          "timestamp": "timestamp with time zone"}
        assert columns == [(c.name, expected_types[c.type], "YES" if c.nullable else "NO") for c in contract.columns]
        assert session.rows("SELECT obj_description('tiny.gold_sales_fact'::regclass)") == [(contract.description,)]
        assert session.rows("SELECT col_description('tiny.gold_sales_fact'::regclass, 1)") == [(contract.columns[0].description,)]
    finally:
        session.discard()


class Broken(Exception):
    pass


@pytest.mark.parametrize("kind", DATABASES)
def test_a_load_failing_half_way_leaves_none_of_its_tables(kind, staged_tiny, tiny_rows, spark, tiny_run,
                                                           postgres_url, tmp_path):
    url = {"postgresql": postgres_url, "sqlite": f"sqlite:///{tmp_path / 'broken.db'}",
           "duckdb": f"duckdb:///{tmp_path / 'broken.duckdb'}"}[kind]
    schema = "broken" if kind == "postgresql" else None
    tables = tables_to_load(spark, tiny_run)
    half = tables[len(tables) // 2]

    def rows_of(table):
        if table == half:
            raise Broken(f"stopped at {table}")
        return batches(staged_tiny / table, table)

    with pytest.raises(Broken):
        load(DatabaseSession(parse_database_url(url), schema), tables, tiny_rows, rows_of)
    if kind == "postgresql":
        session = DatabaseSession(parse_database_url(url), schema)
        assert session.tables() == set()
        session.discard()
    else:
        assert not (tmp_path / url.rsplit("/", 1)[1]).exists()


def test_replace_reloads_only_the_projects_tables(staged_tiny, tiny_rows, spark, tiny_run, tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'again.duckdb'}"
    load_staged(url, staged_tiny, tiny_rows, spark, tiny_run)
    session = DatabaseSession(parse_database_url(url))
    session.execute("CREATE TABLE customer_notes (note VARCHAR)")
    session.execute("INSERT INTO customer_notes VALUES ('kept')")
    session.commit()
    session.close()

    assert main(["load", "--output", tiny_run.output_dir, "--to", url]) == 2
    assert "add --replace" in capsys.readouterr().err
    load_staged(url, staged_tiny, tiny_rows, spark, tiny_run, replace=True)
    session = DatabaseSession(parse_database_url(url))
    assert session.rows("SELECT note FROM customer_notes") == [("kept",)]
    assert {t: session.count(t) for t in all_tables()} == tiny_rows
    session.discard()
