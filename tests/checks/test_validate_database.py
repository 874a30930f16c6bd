"""The quickstart checks and realism figures, transpiled from Spark SQL, run on tiny loaded into PostgreSQL and DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    assert {r.status for r in validation.results if r.check.startswith("realism.")} <= {"PASS", "WARN", "TOO_SMALL", "INFO"}
    assert any(r.status == "PASS" and r.value not in (0, None) for r in validation.results)


def test_the_command_prints_one_line_per_check(loaded_duckdb, capsys):
    assert main(["validate", "--database", loaded_duckdb]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(every_check()) - len(SPARK_ONLY["duckdb"])


CORRUPTED = "quickstart.stockout_peak_flag_matches_calendar"


def corrupt(session: DatabaseSession) -> None:
    """One stockout event flagged in or out of peak season against the calendar (no constraint guards the flag)."""
    session.execute("UPDATE gold_stockout_events SET peak_season_flag = NOT peak_season_flag "
                    "WHERE stockout_id = (SELECT min(stockout_id) FROM gold_stockout_events)")
    session.commit()


def failed_lines(capsys) -> list[str]:
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("PASS ") for line in out)
    return [line for line in out if not line.startswith(("PASS ", "TOO_SMALL ", "WARN ", "INFO "))]


def test_a_corrupted_row_fails_validate_on_a_copy_of_the_duckdb_database(loaded_duckdb, tmp_path, capsys):
    copy, loaded = tmp_path / "corrupted.duckdb", Path(parse_database_url(loaded_duckdb).file)
    for file, to in ((loaded, copy), (Path(f"{loaded}.wal"), Path(f"{copy}.wal"))):   # shared: never changed
        if file.exists():
            shutil.copy(file, to)
    session = DatabaseSession(parse_database_url(f"duckdb:///{copy}"))
    try:
        corrupt(session)
    finally:
        session.close()
    assert main(["validate", "--database", f"duckdb:///{copy}"]) == 1
    (line,) = failed_lines(capsys)
    assert line.split()[:3] == ["FAIL", CORRUPTED, "1"]


def test_a_corrupted_row_fails_validate_on_a_copy_of_the_postgres_schema(loaded_postgres, capsys):
    database = parse_database_url(loaded_postgres)
    session = DatabaseSession(database, "tiny")
    try:
        session.execute("CREATE SCHEMA tiny_corrupted")
        for table in session.gold_tables():
            session.execute(f"CREATE TABLE tiny_corrupted.{table} AS SELECT * FROM tiny.{table}")
        session.execute("SET search_path TO tiny_corrupted")
        corrupt(session)
        assert main(["validate", "--database", loaded_postgres, "--schema", "tiny_corrupted"]) == 1
    finally:
        session.rollback()
        session.execute("DROP SCHEMA IF EXISTS tiny_corrupted CASCADE")
        session.commit()
        session.close()
    (line,) = failed_lines(capsys)
    assert line.split()[:3] == ["FAIL", CORRUPTED, "1"]
