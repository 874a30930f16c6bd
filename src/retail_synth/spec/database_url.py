"""Database URLs of `load --to` and `validate --database`, checked before Spark starts or the database is touched.

`postgresql://…` (or `postgres://…`) is handed to libpq as it is, so every
libpq URI works, Unix sockets included (`postgresql:///db?host=/run/postgresql`).
`sqlite:///FILE` and `duckdb:///FILE` name a database file: three slashes
then a relative path, four for an absolute one (`sqlite:////tmp/retail.db`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from retail_synth.spec.databases import DIALECTS, Dialect

ALLOWED = "postgresql://USER@HOST/DB (any libpq URI), sqlite:///FILE or duckdb:///FILE"
SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite", "duckdb": "duckdb"}


class DatabaseUrlError(ValueError):
    """A URL that names no database this project loads; reported as one line."""


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: Dialect
    url: str                 # the URL as given
    path: str | None = None  # the database file (SQLite, DuckDB)

    @property
    def file(self) -> str:
        """The database file of a SQLite or DuckDB URL (parse_database_url gives them one); PostgreSQL has none."""
        if self.path is None:
            raise DatabaseUrlError(f"'{self.url}' names a server, not a database file")
        return self.path

    def describe(self) -> str:
        if self.path is not None:
            return f"{self.dialect.name} {self.path}"
        parts = urlsplit(self.url)
        host = parts.hostname or "local socket"
        return f"postgresql {host}{parts.path or ''}"      # never the password


def parse_database_url(url: str | None) -> DatabaseUrl:
    if not url or not url.strip():
        raise DatabaseUrlError(f"the database URL is empty: give {ALLOWED}")
    scheme, separator, rest = url.partition("://")
    dialect = SCHEMES.get(scheme.lower()) if separator else None
    if dialect is None:
        raise DatabaseUrlError(f"'{url.split('://')[0] if separator else url}' is not a database URL this loads: give {ALLOWED}")
    if dialect == "postgresql":
        return DatabaseUrl(DIALECTS[dialect], url)
    if not rest.startswith("/") or not rest[1:].strip() or rest.endswith("/"):
        raise DatabaseUrlError(f"{scheme}:// needs a file after three slashes, e.g. {scheme}:///retail.db "
                               f"or {scheme}:////tmp/retail.db (got '{url}')")
    return DatabaseUrl(DIALECTS[dialect], url, rest[1:])
