"""`retail-synth validate`: the contracts and the quickstart queries, run against written gold tables.

Every table of the run is registered as a temp view named like the table,
so the quickstart SQL files run unchanged. Per contract: the schema
(names, order, types, nullability) and ONE aggregation over the table that
counts primary-key duplicates, foreign-key orphans and the rows failing each
row-level check; one scan per table instead of one per check keeps the small
preset well under a minute.
"""

from __future__ import annotations

import decimal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial

from pyspark.errors import PySparkException

from components.contracts import Contract, load_contract
from components.quickstart import Bound, QuickstartQuery, load_quickstart, parse_bound
from pipelines.delta_tables import Target, read_run_marker, run_tables, spark_schema

PASS, FAIL, MISSING = "PASS", "FAIL", "MISSING"
ZERO = parse_bound("value = 0")
PARALLEL_QUERIES = 4


class NothingToValidate(Exception):
    """The target holds no gold table at all."""


@dataclass(frozen=True)
class CheckResult:
    check: str              # quickstart.<name>, <table>.<contract check>, run_complete
    status: str             # PASS, FAIL or MISSING (a table the check needs is not there)
    value: object           # the figure measured; None when nothing could be measured
    bound: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass
class Validation:
    results: list[CheckResult]
    not_in_run: list[str] = field(default_factory=list)   # quickstart checks on tables this run did not write

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def as_json(self) -> dict:
        return {"passed": self.passed, "checks": [asdict(r) for r in self.results], "not_in_run": self.not_in_run}


def _measured(check: str, value, bound: Bound, detail: str = "") -> CheckResult:
    if isinstance(value, decimal.Decimal):
        value = float(value)
    return CheckResult(check, PASS if bound.holds(value) else FAIL, value, str(bound), detail)


def _failed_all(checks: list[tuple[str, Bound]], error: Exception) -> list[CheckResult]:
    message = str(error).strip().splitlines()[0]
    return [CheckResult(name, FAIL, None, str(bound), message) for name, bound in checks]


# ---------------------------------------------------------------- which tables

def run_completion(target: Target) -> list[CheckResult]:
    """Whether the run that wrote a path target finished (its marker is written last); catalogs have no marker."""
    if not target.is_path:
        return []
    marker = read_run_marker(target)
    if marker is None:
        return [CheckResult("run_complete", FAIL, None, "run marker present", "no run marker: the last run did not finish")]
    return [CheckResult("run_complete", PASS, marker["run_id"], "run marker present")]


# ---------------------------------------------------------------- contracts

def _describe_column(fields, position: int) -> str:
    if position >= len(fields):
        return "nothing"
    f = fields[position]
    return f"{f.name} {f.dataType.simpleString()}{'' if f.nullable else ' NOT NULL'}"


def schema_differences(actual, contract: Contract) -> list[str]:
    """Columns whose name, position, type or nullability differ from the contract."""
    expected = spark_schema(contract).fields
    differences = []
    for position in range(max(len(actual.fields), len(expected))):
        got, want = _describe_column(actual.fields, position), _describe_column(expected, position)
        if got != want:
            differences.append(f"column {position + 1}: {got} instead of {want}")
    return differences


Query = tuple[str, list[tuple[str, Bound]]]      # SQL returning one row, and the check each of its columns measures


def primary_key_query(contract: Contract) -> Query:
    """Rows beyond the first of each key: a GROUP BY, which costs less than a count(DISTINCT) beside other sums."""
    key = ", ".join(contract.primary_key)
    sql = (f"SELECT coalesce(sum(rows_with_key - 1), 0) AS m0\n"
           f"FROM (SELECT count(*) AS rows_with_key FROM {contract.table} GROUP BY {key})")
    return sql, [(f"{contract.table}.primary_key_unique", ZERO)]


def row_checks_query(contract: Contract, present: set[str]) -> Query:
    """ONE scan of the table counting foreign-key orphans and the rows failing each row-level check.

    Parents are joined by broadcast on their key; a parent with duplicate keys
    (its own primary_key_unique fails) would repeat child rows here.
    """
    table = contract.table
    measures, checks, joins, parents = [], [], [], []
    for i, fk in enumerate(fk for fk in contract.foreign_keys if fk.table in present):
        parent = f"parent{i}"
        parents.append(parent)
        joins.append(f"LEFT JOIN (SELECT {fk.target_column} AS _parent_key FROM {fk.table}) AS {parent} "
                     f"ON t.{fk.column} = {parent}._parent_key")
        measures.append(f"count_if(t.{fk.column} IS NOT NULL AND {parent}._parent_key IS NULL)")
        checks.append((f"{table}.{fk.column}_references_{fk.table}", ZERO))
    for check in contract.checks:
        measures.append(f"sum(CASE WHEN NOT coalesce(({check.predicate}), false) THEN 1 ELSE 0 END)")
        checks.append((f"{table}.{check.name}", ZERO))
    hint = f"/*+ BROADCAST({', '.join(parents)}) */" if parents else ""
    columns = ",\n  ".join(f"{m} AS m{i}" for i, m in enumerate(measures))
    return f"SELECT {hint}\n  {columns}\nFROM {table} AS t\n" + "\n".join(joins), checks


def contract_queries(contract: Contract, present: set[str]) -> list[Query]:
    queries = [primary_key_query(contract)] if contract.primary_key else []
    sql, checks = row_checks_query(contract, present)
    return queries + ([(sql, checks)] if checks else [])


def run_query(spark, query: Query) -> list[CheckResult]:
    sql, checks = query
    try:
        row = spark.sql(sql).collect()[0]
    except PySparkException as exc:
        return _failed_all(checks, exc)
    return [_measured(name, row[i] or 0, bound) for i, (name, bound) in enumerate(checks)]


def schema_and_missing_parents(spark, contract: Contract, present: set[str]) -> list[CheckResult]:
    differences = schema_differences(spark.table(contract.table).schema, contract)
    results = [_measured(f"{contract.table}.schema_matches_contract", len(differences), ZERO, "; ".join(differences[:3]))]
    return results + [
        CheckResult(f"{contract.table}.{fk.column}_references_{fk.table}", MISSING, None, str(ZERO),
                    f"{fk.table} is not there")
        for fk in contract.foreign_keys if fk.table not in present
    ]


# ---------------------------------------------------------------- quickstart

def run_quickstart(spark, query: QuickstartQuery) -> CheckResult:
    name = f"quickstart.{query.check}"
    try:
        rows = spark.sql(query.statement).collect()
    except PySparkException as exc:
        return _failed_all([(name, query.bound)], exc)[0]
    if len(rows) != 1 or "value" not in rows[0].asDict():
        return CheckResult(name, FAIL, None, str(query.bound), f"expected one row with a column 'value', got {len(rows)} rows")
    return _measured(name, rows[0]["value"], query.bound)


# ---------------------------------------------------------------- the run

def validate(spark, target: Target, parallel_queries: int = PARALLEL_QUERIES) -> Validation:
    tables, results = run_tables(spark, target), run_completion(target)
    if not tables:
        raise NothingToValidate(f"no gold tables in {target.describe()}")
    # A path target validates what its run marker lists, so a run that wrote only some of the
    # tables passes, and a listed table that is gone is MISSING; a catalog, the tables it has.
    present = {t for t in tables if target.exists(spark, t)}
    for table in tables:
        if table in present:
            target.read(spark, table).createOrReplaceTempView(table)
        else:
            results.append(CheckResult(table, MISSING, None, "table present", "listed by the run but not there"))

    jobs = []
    for table in sorted(present):
        contract = load_contract(table)
        results += schema_and_missing_parents(spark, contract, present)
        jobs += [partial(run_query, spark, query) for query in contract_queries(contract, present)]
    not_in_run = []
    for query in load_quickstart():
        if query.tables <= present:
            jobs.append(partial(lambda q: [run_quickstart(spark, q)], query))
        elif query.tables & (set(tables) - present):
            missing = ", ".join(sorted(query.tables - present))
            results.append(CheckResult(f"quickstart.{query.check}", MISSING, None, str(query.bound), f"{missing} not there"))
        else:
            not_in_run.append(f"quickstart.{query.check}")
    # Queries run a few at a time: while one is planned on the driver, another keeps the cores busy.
    with ThreadPoolExecutor(max_workers=parallel_queries) as pool:
        for job_results in pool.map(lambda job: job(), jobs):
            results += job_results
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
    """One line per check: status, check, the figure measured, the bound (and why, when it did not pass)."""
    rows = [(r.status, r.check, format_value(r.value), r.bound, "" if r.passed else r.detail) for r in validation.results]
    width = max((len(r[1]) for r in rows), default=0)
    return [f"{status:<7} {check:<{width}}  {value:>14}  {bound}{f'  ({detail})' if detail else ''}"
            for status, check, value, bound, detail in rows]
