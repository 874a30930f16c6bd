"""Bad input to export, load, journeys and validate --database: one line naming it, exit 2, before Spark or the target."""

from __future__ import annotations

import sqlite3

import pytest

from retail_synth.cli.main import main

pytestmark = pytest.mark.usefixtures("no_spark")      # tests/cli/conftest.py


@pytest.fixture
def warehouse(tmp_path):
    """A folder that passes the 'has gold tables' check without any Delta table to read."""
    (tmp_path / "w" / "gold_date_dim" / "_delta_log").mkdir(parents=True)
    return str(tmp_path / "w")


def refused(capsys, *arguments: str) -> str:
    assert main(list(arguments)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("retail-synth: error:"), captured.err
    return lines[0]


@pytest.mark.parametrize("url, named", [
    ("mysql://u@h/db", "'mysql'"), ("", "empty"), ("sqlite://x.db", "three slashes"), ("duckdb:///", "three slashes"),
    ("retail.db", "'retail.db'"),
])
def test_a_url_that_names_no_database_is_refused(capsys, warehouse, tmp_path, url, named):
    line = refused(capsys, "load", "--output", warehouse, "--to", url)
    assert named in line
    assert not (tmp_path / "x.db").exists()


def test_schema_is_only_for_postgresql(capsys, warehouse, tmp_path):
    assert "only for postgresql" in refused(capsys, "load", "--output", warehouse, "--to", f"sqlite:///{tmp_path}/a.db",
                                            "--schema", "s")
    assert "only for postgresql" in refused(capsys, "load", "--output", warehouse, "--to", "postgresql:///db",
                                            "--schema", "bad-name")
    assert not (tmp_path / "a.db").exists()


def test_a_database_holding_the_projects_tables_needs_replace(capsys, warehouse, tmp_path):
    path = tmp_path / "held.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE gold_date_dim (date_key INTEGER)")
    line = refused(capsys, "load", "--output", warehouse, "--to", f"sqlite:///{path}")
    assert "gold_date_dim" in line and "--replace" in line


def test_an_output_without_tables_is_refused(capsys, tmp_path):
    assert "no gold tables" in refused(capsys, "load", "--output", str(tmp_path), "--to", f"sqlite:///{tmp_path}/a.db")


@pytest.mark.parametrize("arguments, named", [
    (["--format", "xml"], "'xml'"),
    (["--format", "csv", "--compression", "zstd"], "'zstd'"),
    (["--format", "parquet", "--tables", "gold_date_dim,sales"], "'sales'"),
])
def test_export_names_the_bad_flag(capsys, warehouse, tmp_path, arguments, named):
    line = refused(capsys, "export", "--output", warehouse, "--to", str(tmp_path / "out"), *arguments)
    assert named in line
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_folder_of_other_files(capsys, warehouse, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    assert "not empty" in refused(capsys, "export", "--output", warehouse, "--format", "csv", "--to", str(tmp_path / "out"))


def test_journeys_needs_at_least_one_journey(capsys, warehouse, tmp_path):
    assert "--per-workflow 0" in refused(capsys, "journeys", "--output", warehouse, "--to", str(tmp_path / "j"),
                                         "--per-workflow", "0")
    assert not (tmp_path / "j").exists()


def test_validate_database_refuses_sqlite_and_a_delta_target(capsys, warehouse, tmp_path):
    assert "not sqlite" in refused(capsys, "validate", "--database", f"sqlite:///{tmp_path}/a.db")
    assert "without --output" in refused(capsys, "validate", "--database", "duckdb:///a.duckdb", "--output", warehouse)
    assert not (tmp_path / "a.db").exists()
