"""Database URLs: libpq URIs pass through untouched, file URLs name their file,
anything else is refused naming what is allowed."""

from __future__ import annotations

import pytest

from retail_synth.spec.database_url import DatabaseUrlError, parse_database_url


@pytest.mark.parametrize("url", ["postgresql://me:secret@db.example:5433/retail?sslmode=require",
                                 "postgres:///retail?host=/run/postgresql", "postgresql://%2Frun%2Fpostgresql/retail"])
def test_a_libpq_uri_is_kept_as_given_and_never_shows_its_password(url):
    database = parse_database_url(url)
    assert database.dialect.name == "postgresql" and database.url == url and database.path is None
    assert "secret" not in database.describe()


@pytest.mark.parametrize("url, path", [("sqlite:///retail.db", "retail.db"), ("sqlite:////tmp/r.db", "/tmp/r.db"),
                                       ("duckdb:///data/r.duckdb", "data/r.duckdb")])
def test_a_file_url_names_its_file(url, path):
    assert parse_database_url(url).path == path


@pytest.mark.parametrize("url", ["", "  ", "mysql://u@h/db", "sqlite://r.db", "duckdb:///", "r.duckdb", "sqlite:///dir/"])
def test_anything_else_is_refused(url):
    with pytest.raises(DatabaseUrlError, match=":///"):
        parse_database_url(url)
