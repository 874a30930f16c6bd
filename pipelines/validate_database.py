"""`retail-synth validate --database URL`: the quickstart checks on a PostgreSQL or DuckDB database that `load` filled.

Each quickstart file (Spark SQL, contracts/quickstart/) is transpiled by
sqlglot to the database's dialect and run there as it is, so the bounds
are the ones `validate` checks on Delta; a check the database cannot run
(see SPARK_ONLY) is listed as not run instead of failing. The database holds
no run journal, so bounds that name a setting use conf/defaults.yaml.
SQLite is not checked: it has no date arithmetic or FULL OUTER JOIN the
queries need.
"""

from __future__ import annotations

import sqlglot

from components.configuration import defaults, flatten
from components.quickstart import QuickstartQuery, load_quickstart
from pipelines.database_session import DatabaseSession
from pipelines.validate import FAIL, MISSING, PASS, TOO_SMALL, CheckResult, Validation

# Checks whose Spark SQL does not survive transpilation to a dialect, with why.
SPARK_ONLY: dict[str, dict[str, str]] = {
    "postgres": {"event_timestamps_out_of_order": "hour() and minute() of a timestamp are Spark SQL, not PostgreSQL",
                 "recovery_revenue_matches_orders": "substring_index has no PostgreSQL counterpart sqlglot writes"},
    "duckdb": {"recovery_revenue_matches_orders": "substring_index has no DuckDB counterpart sqlglot writes"},
}


def statement(query: QuickstartQuery, dialect: str) -> str:
    return sqlglot.transpile(query.statement, read="spark", write=dialect)[0]


def run_check(session: DatabaseSession, query: QuickstartQuery, settings: dict) -> CheckResult:
    bound = query.bound(settings)
    name = f"quickstart.{query.check}"
    try:
        result = session.arrow(statement(query, session.database.dialect.sqlglot)).to_pylist()[0]
    except Exception as exc:
        session.rollback()
        return CheckResult(name, FAIL, None, str(bound), str(exc).strip().splitlines()[0])
    value = result["value"]
    value = float(value) if value is not None and not isinstance(value, (int, float)) else value
    if query.min_sample and (result.get("sample") or 0) < query.min_sample:
        return CheckResult(name, TOO_SMALL, value, str(bound), f"sample {result.get('sample')} < {query.min_sample}")
    return CheckResult(name, PASS if bound.holds(value) else FAIL, value, str(bound))


def validate_database(session: DatabaseSession) -> Validation:
    """Every quickstart check whose tables are loaded and whose SQL the dialect runs."""
    settings, present = flatten(defaults()), set(session.gold_tables())
    dialect = session.database.dialect.sqlglot
    results, not_run = [], []
    for query in load_quickstart():
        if query.check in SPARK_ONLY.get(dialect, {}):
            not_run.append(query.check)
        elif not query.tables <= present:
            results.append(CheckResult(f"quickstart.{query.check}", MISSING, None, query.bound_template,
                                       "not loaded: " + ", ".join(sorted(query.tables - present))))
        else:
            results.append(run_check(session, query, settings))
    return Validation(results, not_run)
