"""The quickstart checks and realism figures, transpiled from Spark SQL, run on tiny loaded into PostgreSQL and DuckDB."""

from __future__ import annotations

import pytest

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.checks.realism import load_realism
from retail_synth.checks.validate_database import SPARK_ONLY, validate_database
from retail_synth.cli.main import main
from retail_synth.io.database_session import DatabaseSession
from retail_synth.spec.database_url import parse_database_url

pytestmark = pytest.mark.spark     # the databases are filled from tiny, asked for by name


def every_check() -> set[str]:
    return {f"quickstart.{q.check}" for q in load_quickstart()} | {f"realism.{q.check}" for q in load_realism()}


@pytest.mark.parametrize("fixture, schema", [("loaded_postgres", "tiny"), ("loaded_duckdb", None)])
def test_every_quickstart_check_the_dialect_runs_passes(request, fixture, schema):
    database = parse_database_url(request.getfixturevalue(fixture))
    session = DatabaseSession(database, schema)
    try:
        validation = validate_database(session)
    finally:
        session.discard()
    skipped = set(SPARK_ONLY[database.dialect.sqlglot])
    assert set(validation.not_in_run) == skipped
    assert {r.check for r in validation.results} == every_check() - skipped
    assert validation.passed, [r for r in validation.results if not r.passed]
    assert {r.status for r in validation.results if r.check.startswith("realism.")} <= {"PASS", "WARN", "TOO_SMALL"}
    assert any(r.status == "PASS" and r.value not in (0, None) for r in validation.results)


def test_the_command_prints_one_line_per_check(loaded_duckdb, capsys):
    assert main(["validate", "--database", loaded_duckdb]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(every_check()) - len(SPARK_ONLY["duckdb"])
