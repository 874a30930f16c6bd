"""Databases for the load, export and validate --database tests: one PostgreSQL server, tiny staged and loaded once each."""

from __future__ import annotations

import subprocess
import warnings

import pytest

from retail_synth.io.database_session import DatabaseSession
from retail_synth.io.export import delta_row_counts, export_tables
from retail_synth.io.load import batches, load, tables_to_load
from retail_synth.spec.contracts import all_tables
from retail_synth.spec.database_url import parse_database_url


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A real PostgreSQL server (pgserver) in a temporary folder, reached over its Unix socket.

    pgserver gives PostgreSQL a fixed 10 s to start; on a busy machine that can pass, and a
    second call starts the server the first one initialised. pgserver is in the `test` extra:
    without it the PostgreSQL cases are errors, never skipped.
    """
    with warnings.catch_warnings():      # its import warns where XDG_RUNTIME_DIR is unset (a container): harmless
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver
    folder = tmp_path_factory.mktemp("pg")
    for attempt in range(3):
        try:
            server = pgserver.get_server(folder, cleanup_mode="stop")
            break
        except subprocess.CalledProcessError:
            if attempt == 2:
                raise
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
def staged_tiny(spark, tiny_run, tmp_path_factory):
    """tiny exported once as Parquet: the export under test, and the rows every test load streams from."""
    folder = tmp_path_factory.mktemp("tiny-parquet")
    export_tables(spark, tiny_run, all_tables(), folder, "parquet", "snappy")
    return folder


@pytest.fixture(scope="session")
def tiny_rows(spark, tiny_run) -> dict[str, int]:
    return delta_row_counts(spark, tiny_run, all_tables())


def load_staged(url: str, staged, tiny_rows, spark, tiny_run, schema=None, replace=False):
    """Load the staged tiny snapshot into `url` through retail_synth.io.load.load; returns the loaded tables."""
    tables = tables_to_load(spark, tiny_run)
    session = DatabaseSession(parse_database_url(url), schema)
    return load(session, tables, tiny_rows, lambda t: batches(staged / t, t), replace=replace)


@pytest.fixture(scope="session")
def loaded_postgres(postgres_url, staged_tiny, tiny_rows, spark, tiny_run):
    load_staged(postgres_url, staged_tiny, tiny_rows, spark, tiny_run, schema="tiny")
    return postgres_url


@pytest.fixture(scope="session")
def loaded_duckdb(staged_tiny, tiny_rows, spark, tiny_run, tmp_path_factory):
    url = f"duckdb:///{tmp_path_factory.mktemp('duckdb') / 'tiny.duckdb'}"
    load_staged(url, staged_tiny, tiny_rows, spark, tiny_run)
    return url
