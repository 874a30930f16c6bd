"""`retail-synth validate`: the contracts, the quickstart queries and the realism figures, run against gold tables.

Every table of the run is registered as a temp view named like the table,
so the quickstart and realism SQL files run unchanged. Per contract: the schema (names,
order, types, nullability), a GROUP BY for primary-key duplicates, and ONE
aggregation over the table counting the rows failing each row-level check
(one scan per table, not one per check). The foreign-key orphans of all
tables are counted by one anti join. A realism figure outside its published
range is a WARN: the data looks less like retail, but nothing is broken.
"""

from __future__ import annotations

import decimal
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from pyspark.errors import PySparkException

from retail_synth.checks.quickstart import Bound, load_quickstart, parse_bound
from retail_synth.checks.realism import realism_figures
from retail_synth.checks.sql_checks import SqlText
from retail_synth.spark.delta_tables import (
    Target,
    constraints,
    not_null_constraint,
    spark_schema,
)
from retail_synth.spark.run_journal import (
    COMPLETE,
    RUNNING,
    RunJournal,
    RunRecord,
    held_run,
    run_settings,
    run_tables,
)
from retail_synth.spec.contracts import Contract, load_contract

PASS, FAIL, MISSING, TOO_SMALL, WARN, INFO = "PASS", "FAIL", "MISSING", "TOO_SMALL", "WARN", "INFO"
ZERO = parse_bound("value = 0")
PARALLEL_QUERIES = 4


class NothingToValidate(Exception):
    """The target holds no gold table at all."""


@dataclass(frozen=True)
class CheckResult:
    check: str              # quickstart.<name>, realism.<figure>, <table>.<contract check>, run_complete
    status: str             # PASS, FAIL, MISSING (a table the check needs is not there), TOO_SMALL (sample below
                            # min_sample), WARN (a realism figure outside its published range) or INFO (a realism
                            # figure without a published range: reported, not judged)
    value: object           # the figure measured; None when nothing could be measured
    bound: str
    detail: str = ""
    source: str = ""        # where a realism figure's range comes from

    @property
    def passed(self) -> bool:
        """Only invariants fail a run: a check too small to test has too few observations to judge, and a
        realism WARN says the data looks less like published retail figures, not that a promise is broken, and
        an INFO figure has no range to judge."""
        return self.status in (PASS, TOO_SMALL, WARN, INFO)


@dataclass
class Validation:
    results: list[CheckResult]
    not_in_run: list[str] = field(default_factory=list)   # quickstart and realism checks on tables this run did not write

    @property
    def passed(self) -> bool:
        """Every check passed, was too small to judge, or is a realism WARN: the run keeps its promises."""
        return all(r.passed for r in self.results)

    @property
    def tally(self) -> str:
        """`N checks, F failed` (and `, W warned` when a realism figure is outside its range)."""
        failed, warned = sum(not r.passed for r in self.results), sum(r.status == WARN for r in self.results)
        return f"{len(self.results)} checks, {failed} failed" + (f", {warned} warned" if warned else "")

    def as_json(self) -> dict:
        return {"passed": self.passed, "checks": [asdict(r) for r in self.results], "not_in_run": self.not_in_run}


def _number(value):
    return float(value) if isinstance(value, decimal.Decimal) else value


def _measured(check: str, value, bound: Bound, detail: str = "", outside: str = FAIL, source: str = "") -> CheckResult:
    value = _number(value)
    if not bound.conditions:         # a realism figure without a published range
        return CheckResult(check, INFO, value, str(bound), detail, source)
    return CheckResult(check, PASS if bound.holds(value) else outside, value, str(bound), detail, source)


def _failed_all(checks: list[tuple[str, Bound]], error: Exception) -> list[CheckResult]:
    message = str(error).strip().splitlines()[0]
    return [CheckResult(name, FAIL, None, str(bound), message) for name, bound in checks]


# ---------------------------------------------------------------- which tables

def run_completion(runs: list[RunRecord]) -> list[CheckResult]:
    """Whether the target holds a finished run: its journal's last run completed, or was rolled back cleanly."""
    last, held = (runs[-1] if runs else None), held_run(runs)
    if last is None:
        return [CheckResult("run_complete", FAIL, None, "a completed run recorded",
                            "no run journal: the last run did not finish")]
    if last.status == RUNNING:
        return [CheckResult("run_complete", FAIL, last.run_id, "a completed run recorded",
                            f"run {last.run_id} is incomplete (stopped while writing), so no other check "
                            "runs: 'retail-synth rollback' puts its tables back")]
    if last.status != COMPLETE and last.summary.get("rollback_left"):
        return [CheckResult("run_complete", FAIL, last.run_id, "a completed run recorded", last.summary["rollback"])]
    if held is None:
        return [CheckResult("run_complete", FAIL, last.run_id, "a completed run recorded", f"run {last.run_id} is {last.status}")]
    return [CheckResult("run_complete", PASS, held.run_id, "a completed run recorded")]


# ---------------------------------------------------------------- contracts

def _describe_column(fields, position: int, enforced: dict[str, str]) -> str:
    if position >= len(fields):
        return "nothing"
    f = fields[position]
    not_null = not f.nullable or enforced.get(not_null_constraint(f.name), "").lower() == f"{f.name} is not null"
    return f"{f.name} {f.dataType.simpleString()}{' NOT NULL' if not_null else ''}"


def schema_differences(actual, contract: Contract, enforced: dict[str, str]) -> list[str]:
    """Columns whose name, position, type or NOT NULL differ from the contract, and contract constraints not enforced.

    `enforced` holds the table's CHECK constraints by name; a NOT NULL column
    is one Delta enforces, by nullability or by its `<column>_not_null` check.
    """
    expected = spark_schema(contract).fields
    differences = []
    for position in range(max(len(actual.fields), len(expected))):
        got = _describe_column(actual.fields, position, enforced)
        want = _describe_column(expected, position, {})
        if got != want:
            differences.append(f"column {position + 1}: {got} instead of {want}")
    differences += [f"constraint {name} not enforced" for name in constraints(contract) if name not in enforced]
    return differences


Query = tuple[str, list[tuple[str, Bound]]]      # SQL returning one row, and the check each of its columns measures


def primary_key_query(contract: Contract) -> Query:
    """Rows beyond the first of each key.

    A query of its own: a count(DISTINCT key) beside the row checks would make
    Spark expand and shuffle every row of the table with all the check results.
    """
    if not contract.primary_key:
        return "", []
    sql = (f"SELECT coalesce(sum(rows_with_key - 1), 0) AS m0\n"
           f"FROM (SELECT count(*) AS rows_with_key FROM {contract.table} GROUP BY {', '.join(contract.primary_key)})")
    return sql, [(f"{contract.table}.primary_key_unique", ZERO)]


def row_checks_query(contract: Contract) -> Query:
    """ONE scan of the table counting the rows that fail each row-level check."""
    if not contract.checks:
        return "", []
    columns = ",\n  ".join(f"sum(CASE WHEN NOT coalesce(({c.predicate}), false) THEN 1 ELSE 0 END) AS m{i}"
                           for i, c in enumerate(contract.checks))
    return f"SELECT\n  {columns}\nFROM {contract.table}", [(f"{contract.table}.{c.name}", ZERO) for c in contract.checks]


def foreign_keys_query(contracts: list[Contract], present: set[str]) -> Query:
    """ONE query for the orphans of every foreign key of every table.

    The child keys of all foreign keys to dimensions, each tagged with its
    parent column, meet all dimension keys in a single broadcast anti join
    (duplicate parent keys cannot multiply child rows there), then are counted
    per foreign key. A key of a fact (the size-fit bridge's line_item_id) is
    too many rows to broadcast: each such foreign key is a subquery of its
    own, a plain anti join.
    """
    links = [(c.table, fk) for c in contracts for fk in c.foreign_keys if fk.table in present]
    if not links:
        return "", []
    to_dimension = [fk.into_dimension for _, fk in links]
    parents = sorted({(fk.table, fk.target_column) for (_, fk), small in zip(links, to_dimension, strict=True) if small})
    parent_id = {parent: i for i, parent in enumerate(parents)}
    children = "\n  UNION ALL ".join(
        f"SELECT {i} AS link, {parent_id[fk.table, fk.target_column]} AS parent, {fk.column} AS key "
        f"FROM {table} WHERE {fk.column} IS NOT NULL"
        for i, ((table, fk), small) in enumerate(zip(links, to_dimension, strict=True)) if small)
    parent_keys = "\n  UNION ALL ".join(
        f"SELECT {i} AS parent, {column} AS key FROM {table}" for i, (table, column) in enumerate(parents))
    counts = ", ".join(
        f"count_if(link = {i}) AS m{i}" if small else
        f"(SELECT count(*) FROM {table} AS c LEFT ANTI JOIN {fk.table} AS p ON c.{fk.column} = p.{fk.target_column} "
        f"WHERE c.{fk.column} IS NOT NULL) AS m{i}"
        for i, ((table, fk), small) in enumerate(zip(links, to_dimension, strict=True)))
    if parents:
        sql = (f"WITH child_keys AS (\n  {children}\n),\nparent_keys AS (\n  {parent_keys}\n)\n"
               f"SELECT /*+ BROADCAST(p) */ {counts}\nFROM child_keys AS c LEFT ANTI JOIN parent_keys AS p USING (parent, key)")
    else:
        sql = f"SELECT {counts}"
    return sql, [(f"{table}.{fk.column}_references_{fk.table}", ZERO) for table, fk in links]


def run_query(spark, query: Query) -> list[CheckResult]:
    sql, checks = query
    if not checks:
        return []
    try:
        row = spark.sql(sql).collect()[0]
    except PySparkException as exc:
        return _failed_all(checks, exc)
    return [_measured(name, row[i] or 0, bound) for i, (name, bound) in enumerate(checks)]


def enforced_constraints(spark, target: Target, table: str) -> dict[str, str]:
    properties = spark.sql(f"DESCRIBE DETAIL {target.identifier(table)}").collect()[0]["properties"]
    prefix = "delta.constraints."
    return {k[len(prefix):]: v for k, v in properties.items() if k.startswith(prefix)}


def schema_and_missing_parents(spark, target: Target, contract: Contract, present: set[str]) -> list[CheckResult]:
    enforced = enforced_constraints(spark, target, contract.table)
    differences = schema_differences(spark.table(contract.table).schema, contract, enforced)
    results = [_measured(f"{contract.table}.schema_matches_contract", len(differences), ZERO, "; ".join(differences[:3]))]
    return results + [
        CheckResult(f"{contract.table}.{fk.column}_references_{fk.table}", MISSING, None, str(ZERO),
                    f"{fk.table} is not there")
        for fk in contract.foreign_keys if fk.table not in present
    ]


# ---------------------------------------------------------------- quickstart and realism

@dataclass(frozen=True)
class SqlCheck:
    """A check kept as a SQL file returning one row: its `value` against `bound`, `outside` when it misses."""

    name: str               # quickstart.<check> or realism.<figure>
    query: SqlText          # a QuickstartQuery or RealismQuery: statement, tables, min_sample
    bound: Bound
    outside: str = FAIL     # realism figures: WARN
    source: str = ""


def realism_checks(settings: dict[str, object]) -> list[SqlCheck]:
    """The realism figures with the ranges of a run configured with `settings` (run_journal.run_settings)."""
    return [SqlCheck(f.name, f.query, f.bound, WARN, f.range.source) for f in realism_figures(settings)]


def sql_checks(settings: dict[str, object]) -> list[SqlCheck]:
    """The quickstart checks, then the realism figures, with the bounds and ranges of a run configured with `settings`."""
    return [SqlCheck(f"quickstart.{q.check}", q, q.bound(settings)) for q in load_quickstart()] + realism_checks(settings)


def judged(check: SqlCheck, row: dict) -> CheckResult:
    """The result of a check's one row: TOO_SMALL below its min_sample, else its value against its bound."""
    value, bound = _number(row["value"]), str(check.bound)
    if check.query.min_sample:
        sample = row.get("sample")
        if sample is None:
            return CheckResult(check.name, FAIL, None, bound, "a check with min_sample must return a column 'sample'")
        if sample < check.query.min_sample:
            return CheckResult(check.name, TOO_SMALL, value, bound,
                               f"sample of {sample:,} is below the {check.query.min_sample:,} needed to test the bound",
                               check.source)
    return _measured(check.name, value, check.bound, outside=check.outside, source=check.source)


def run_sql_check(spark, check: SqlCheck) -> list[CheckResult]:
    try:
        rows = spark.sql(check.query.statement).collect()
    except PySparkException as exc:
        return _failed_all([(check.name, check.bound)], exc)
    if len(rows) != 1 or "value" not in rows[0].asDict():
        return [CheckResult(check.name, FAIL, None, str(check.bound),
                            f"expected one row with a column 'value', got {len(rows)} rows")]
    return [judged(check, rows[0].asDict())]


# ---------------------------------------------------------------- the run

def validate(spark, target: Target, parallel_queries: int = PARALLEL_QUERIES) -> Validation:
    runs = RunJournal(spark, target).runs()
    held = held_run(runs)
    tables, results = run_tables(spark, target, held), run_completion(runs)
    if not tables:
        raise NothingToValidate(f"no gold tables in {target.describe()}")
    if runs and runs[-1].status == RUNNING:
        # the tables hold rows of two runs: any other check would judge a mix that no run wrote
        return Validation(results, [])
    # A path target validates what its run marker lists, so a run that wrote only some of the
    # tables passes, and a listed table that is gone is MISSING; a catalog, the tables it has.
    present = {t for t in tables if target.exists(spark, t)}
    for table in tables:
        if table in present:
            target.read(spark, table).createOrReplaceTempView(table)
        else:
            results.append(CheckResult(table, MISSING, None, "table present", "listed by the run but not there"))

    # Queries run a few at a time (while one is planned on the driver, another keeps the cores
    # busy); results are collected in report order: per table, then the quickstart and realism files.
    contracts = [load_contract(table) for table in sorted(present)]
    settings = run_settings(held)
    not_in_run: list[str] = []
    pending: list[Future[list[CheckResult]] | list[CheckResult] | str] = []    # a str: that table's foreign keys
    with ThreadPoolExecutor(max_workers=parallel_queries) as pool:
        orphans = pool.submit(run_query, spark, foreign_keys_query(contracts, present))
        for contract in contracts:
            pending.append(schema_and_missing_parents(spark, target, contract, present))
            pending.append(pool.submit(run_query, spark, primary_key_query(contract)))
            pending.append(pool.submit(run_query, spark, row_checks_query(contract)))
            pending.append(contract.table)     # placeholder: this table's foreign-key results
        for check in sql_checks(settings):
            if check.query.tables <= present:
                pending.append(pool.submit(run_sql_check, spark, check))
            elif check.query.tables & (set(tables) - present):
                missing = ", ".join(sorted(check.query.tables - present))
                pending.append([CheckResult(check.name, MISSING, None, str(check.bound), f"{missing} not there",
                                            check.source)])
            else:
                not_in_run.append(check.name)
        for item in pending:
            if isinstance(item, str):
                results += [r for r in orphans.result() if r.check.startswith(f"{item}.")]
            else:
                results += item.result() if isinstance(item, Future) else item
    return Validation(results, not_in_run)


def format_value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4f}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{int(value)}"
    return str(value)


def format_lines(validation: Validation) -> list[str]:
    """One line per check: status, check, the figure measured, the bound (and why, when it did not pass),
    and where a realism range comes from."""
    rows = [(r.status, r.check, format_value(r.value), r.bound, "" if r.status == PASS else r.detail, r.source)
            for r in validation.results]
    width = max((len(r[1]) for r in rows), default=0)
    return [f"{status:<9} {check:<{width}}  {value:>14}  {bound}{f'  ({detail})' if detail else ''}"
            f"{f'  source: {source}' if source else ''}"
            for status, check, value, bound, detail, source in rows]
