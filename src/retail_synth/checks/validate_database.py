"""`retail-synth validate --database URL`: the quickstart checks and realism figures on a database `load` filled.

Each quickstart and realism file (Spark SQL, contracts/quickstart/ and
contracts/realism/) is transpiled by sqlglot to the database's dialect and
run there as it is, so the bounds and ranges are the ones `validate` checks
on Delta; a check the database cannot run (see SPARK_ONLY) is listed as not
run instead of failing. The database holds no run journal, so bounds that
name a setting, and the realism ranges, use conf/defaults.yaml.
SQLite is not checked: it has no date arithmetic or FULL OUTER JOIN the
queries need.
"""

from __future__ import annotations

import sqlglot

from retail_synth.checks.validate import (
    FAIL,
    MISSING,
    CheckResult,
    SqlCheck,
    Validation,
    judged,
    sql_checks,
)
from retail_synth.io.database_session import DatabaseSession
from retail_synth.spec.configuration import defaults, flatten

# Checks whose Spark SQL does not survive transpilation to a dialect, with why.
SPARK_ONLY: dict[str, dict[str, str]] = {
    "postgres": {"quickstart.event_timestamps_out_of_order": "hour() and minute() of a timestamp are Spark SQL, not PostgreSQL",
                 "quickstart.recovery_revenue_matches_orders": "substring_index has no PostgreSQL counterpart sqlglot writes"},
    "duckdb": {"quickstart.recovery_revenue_matches_orders": "substring_index has no DuckDB counterpart sqlglot writes"},
}


def statement(check: SqlCheck, dialect: str) -> str:
    return sqlglot.transpile(check.query.statement, read="spark", write=dialect)[0]


def run_check(session: DatabaseSession, check: SqlCheck) -> CheckResult:
    try:
        result = session.arrow(statement(check, session.database.dialect.sqlglot)).to_pylist()[0]
    except Exception as exc:
        session.rollback()
        return CheckResult(check.name, FAIL, None, str(check.bound), str(exc).strip().splitlines()[0], check.source)
    value = result["value"]
    value = float(value) if value is not None and not isinstance(value, (int, float)) else value
    return judged(check, {**result, "value": value})


def validate_database(session: DatabaseSession) -> Validation:
    """Every quickstart check and realism figure whose tables are loaded and whose SQL the dialect runs."""
    present, dialect = set(session.gold_tables()), session.database.dialect.sqlglot
    results, not_run = [], []
    for check in sql_checks(flatten(defaults())):
        if check.name in SPARK_ONLY.get(dialect, {}):
            not_run.append(check.name)
        elif not check.query.tables <= present:
            results.append(CheckResult(check.name, MISSING, None, str(check.bound),
                                       "not loaded: " + ", ".join(sorted(check.query.tables - present)), check.source))
        else:
            results.append(run_check(session, check))
    return Validation(results, not_run)
