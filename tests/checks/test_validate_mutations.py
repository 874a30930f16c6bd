"""Every check `validate` reports can fail: a corruption of the tiny run per check (tests/checks/corruptions.yaml).

Each corruption is a temp view over the run's tables, read once into memory
(nothing is rewritten), measured with validate's own query builders and
runners, so a check that stops measuring (a predicate turned `true`, a query
returning 0) fails here. Each outcome has a control: the same check on the
uncorrupted tables passes (validate's own result on tiny, where that is the
same query). The contract checks of a table's corruptions share a query; the
quickstart and realism files run one at a time on views named like the tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import pytest
from chispa import assert_df_equality

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.checks.realism import load_realism
from retail_synth.checks.validate import (
    FAIL,
    PASS,
    TOO_SMALL,
    WARN,
    CheckResult,
    foreign_keys_query,
    primary_key_query,
    row_checks_query,
    run_completion,
    run_query,
    run_sql_check,
    schema_and_missing_parents,
    sql_checks,
)
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.run_journal import RunJournal, held_run, run_settings
from retail_synth.spec.contracts import Contract, all_tables, load_contract
from tests.checks.corruption import Corruption, load_catalogue

CATALOGUE = load_catalogue()
SCHEMA, PRIMARY_KEY = "schema_matches_contract", "primary_key_unique"


def declared_checks() -> list[str]:
    """Every check validate reports on a run that wrote every table, named from the contract and SQL files."""
    checks = ["run_complete"]
    for table in all_tables():
        contract = load_contract(table)
        checks += [f"{table}.{SCHEMA}"] + ([f"{table}.{PRIMARY_KEY}"] if contract.primary_key else [])
        checks += [f"{table}.{c.name}" for c in contract.checks]
        checks += [f"{table}.{fk.column}_references_{fk.table}" for fk in contract.foreign_keys]
    return checks + [f"quickstart.{q.check}" for q in load_quickstart()] + [f"realism.{q.check}" for q in load_realism()]


def test_validate_reports_exactly_the_declared_checks(tiny_validation):
    reported = [r.check for r in tiny_validation.results]
    assert len(reported) == len(set(reported))
    assert sorted(reported) == sorted(declared_checks())


def test_every_check_has_a_corruption_or_a_reason_why_none_reaches_it():
    declared, corrupted, unreachable = set(declared_checks()), set(CATALOGUE.corruptions), set(CATALOGUE.unreachable)
    assert not corrupted & unreachable
    assert declared - corrupted - unreachable == set(), "checks without a corruption in tests/checks/corruptions.yaml"
    assert (corrupted | unreachable) - declared == set(), "corruptions of checks validate does not report"
    assert all(reason.strip() for reason in CATALOGUE.unreachable.values())
    one_row = [c for c in CATALOGUE.corruptions.values() if kind(c) == "contract"]     # measured as one row each
    assert all(c.rows == "first" and not c.delete and c.add == (family(c) == "primary_key") for c in one_row)


# ---------------------------------------------------------------- measuring the corruptions

@dataclass(frozen=True)
class Outcome:
    corrupted: CheckResult      # the check on the corrupted tables
    control: CheckResult        # the same check on the tables as the run wrote them
    weight: int = 0             # of a row-level or foreign-key corruption: its bit in the check's count


def kind(corruption: Corruption) -> str:
    """Which of validate's queries measures the check: journal, schema, contract (row-level, primary and foreign keys) or sql."""
    if corruption.journal:
        return "journal"
    if corruption.check.startswith(("quickstart.", "realism.")):
        return "sql"
    return "schema" if corruption.changes_columns else "contract"


def family(corruption: Corruption) -> str:
    """Which contract query measures the corruption's check: primary_key, row (row-level) or foreign_key."""
    name = corruption.check.split(".", 1)[1]
    if name == PRIMARY_KEY:
        return "primary_key"
    return "row" if name in {c.name for c in corruption.contract.checks} else "foreign_key"


class CachedRun:
    """The tables of a run read once into memory, registered as temp views named like the tables."""

    def __init__(self, spark, target: Target):
        self.spark, self.target = spark, target
        self.present = {t for t in all_tables() if target.exists(spark, t)}
        self.frames = {t: target.read(spark, t).coalesce(1).cache() for t in sorted(self.present)}    # a task a scan
        self.views: list[str] = []
        self.restore(self.present)

    def view(self, name: str, sql: str, checkpoint: bool = False) -> None:
        """A temp view of `sql` (its rows, computed now, when `checkpoint`) that lives until the run is released."""
        frame = self.spark.sql(sql)
        (frame.localCheckpoint() if checkpoint else frame).createOrReplaceTempView(name)
        self.views.append(name)

    def restore(self, tables) -> None:
        for table in tables:
            self.frames[table].createOrReplaceTempView(table)

    def corrupt(self, corruption: Corruption) -> None:
        """The corrupted table in place of the real one (its SQL reads the real one, resolved now)."""
        self.spark.sql(corruption.corrupted()).createOrReplaceTempView(corruption.table)

    def release(self) -> None:
        """Unpersist what was cached, and drop the views of the corruptions."""
        for frame in self.frames.values():
            frame.unpersist()
        for view in self.views:
            self.spark.catalog.dropTempView(view)


def journal_outcomes(run: CachedRun, corruptions: list[Corruption]) -> dict[str, Outcome]:
    """run_complete on the run's journal with its last run given another status (one stopped while writing)."""
    runs = RunJournal(run.spark, run.target).runs()
    return {c.check: Outcome(run_completion([*runs[:-1], replace(runs[-1], status=c.journal)])[0],
                             run_completion(runs)[0])
            for c in corruptions}


def schema_outcomes(run: CachedRun, corruptions: list[Corruption], validated: dict[str, CheckResult]
                    ) -> dict[str, Outcome]:
    """The schema check with the corrupted columns in place of the table (the constraints are the Delta table's)."""
    outcomes = {}
    for corruption in corruptions:
        control = validated.get(corruption.check) or \
            schema_and_missing_parents(run.spark, run.target, corruption.contract, run.present)[0]
        run.corrupt(corruption)
        outcomes[corruption.check] = Outcome(
            schema_and_missing_parents(run.spark, run.target, corruption.contract, run.present)[0], control)
        run.restore([corruption.table])
    return outcomes


def first_rows(run: CachedRun, table: str, corruptions: list[Corruption]) -> list[str]:
    """SQL of the row each corruption picks, all found by one query: picking a row takes Spark a stage."""
    contract, view = corruptions[0].contract, f"picked_{table}"
    order = ", ".join(contract.primary_key or contract.column_names)
    picks = ", ".join(f"min_by(struct(*), struct({order})) FILTER (WHERE {c.where}) AS pick_{i}"
                      for i, c in enumerate(corruptions))
    run.view(view, f"SELECT {picks} FROM {table} AS t", checkpoint=True)
    return [f"SELECT pick_{i}.* FROM {view} WHERE pick_{i} IS NOT NULL" for i in range(len(corruptions))]


def weighted(changed: list[str], contract: Contract) -> str:
    """The rows of `changed` (SQL each) together, those of the i-th 2**i times, in one partition (else a query
    reading them takes a task per corruption)."""
    columns = ", ".join(contract.column_names)
    copies = "\nUNION ALL ".join(f"SELECT {columns} FROM (SELECT *, explode(sequence(1, {2 ** i})) FROM ({sql}))"
                                 for i, sql in enumerate(changed))
    return f"SELECT /*+ COALESCE(1) */ * FROM ({copies})"


def contract_outcomes(run: CachedRun, corruptions: list[Corruption], validated: dict[str, CheckResult]
                      ) -> dict[str, Outcome]:
    """The row-level, foreign-key and primary-key corruptions, measured by validate's queries: one per table and
    kind of check, one for all foreign keys.

    The changed rows of a table's row-level corruptions share one view, the
    i-th of them 2**i times, so a check's count, in binary, says which of the
    corruptions it caught (a query per corruption would take minutes); so do
    those of its foreign-key corruptions. A primary-key corruption copies one
    row of the whole table.
    """
    spark, queries, children, measured_on = run.spark, [], [], {}
    by_table: dict[str, list[Corruption]] = defaultdict(list)
    for corruption in corruptions:
        by_table[corruption.table].append(corruption)
    for table, of_table in by_table.items():
        picked = dict(zip((c.check for c in of_table), first_rows(run, table, of_table), strict=True))
        for kind_of_check in ("primary_key", "row", "foreign_key"):
            group = [c for c in of_table if family(c) == kind_of_check]
            if not group:
                continue
            view = f"mutated_{kind_of_check}_{table}"
            renamed = replace(group[0].contract, table=view)
            if kind_of_check == "primary_key":
                run.view(view, group[0].corrupted(picked[group[0].check]))
                queries.append(primary_key_query(renamed))
            else:
                # the foreign keys' rows computed now: Spark would push validate's anti join into every one of them
                run.view(view, weighted([c.changed(picked[c.check]) for c in group], renamed),
                         checkpoint=kind_of_check == "foreign_key")
                queries += [row_checks_query(renamed)] if kind_of_check == "row" else []
                children += [renamed] if kind_of_check == "foreign_key" else []
            measured_on |= {c.check: (c.check.replace(table, view, 1), 2 ** i) for i, c in enumerate(group)}
    unjudged = [load_contract(t) for t in sorted({c.table for c in corruptions if c.check not in validated})]
    controls = [q for c in unjudged for q in (primary_key_query(c), row_checks_query(c))]
    orphans = foreign_keys_query(children + unjudged, run.present)
    results = {r.check: r for query in [*queries, *controls, orphans] for r in run_query(spark, query)}
    return {c.check: Outcome(results[measured_on[c.check][0]], validated.get(c.check) or results[c.check],
                             measured_on[c.check][1])
            for c in corruptions}


def sql_outcomes(run: CachedRun, corruptions: list[Corruption], validated: dict[str, CheckResult]
                 ) -> dict[str, Outcome]:
    """The quickstart and realism checks on the corrupted tables; the control is validate's result on the run
    (`validated`) where the check's bound is the run's, else the check on the real tables."""
    settings = run_settings(held_run(RunJournal(run.spark, run.target).runs()))
    outcomes = {}
    for corruption in corruptions:
        check = next(c for c in sql_checks({**settings, **corruption.settings}) if c.name == corruption.check)
        control = validated.get(check.name) if not corruption.settings else None
        control = control or run_sql_check(run.spark, check)[0]
        run.corrupt(corruption)
        outcomes[check.name] = Outcome(run_sql_check(run.spark, check)[0], control)
        run.restore([corruption.table])
    return outcomes


@pytest.fixture(scope="module")
def outcomes(spark, tiny_run, anomaly_heavy_run, tiny_validation) -> dict[str, Outcome]:
    """Every corruption of the catalogue measured, run by run, on views named like the tables."""
    runs = {"tiny": (tiny_run, {r.check: r for r in tiny_validation.results}), "anomaly_heavy": (anomaly_heavy_run, {})}
    measured: dict[str, Outcome] = {}
    for name, (target, validated) in runs.items():
        run = CachedRun(spark, target)
        corruptions = [c for c in CATALOGUE.corruptions.values() if c.run == name]
        by_kind = {k: [c for c in corruptions if kind(c) == k] for k in ("journal", "schema", "contract", "sql")}
        measured |= journal_outcomes(run, by_kind["journal"])
        measured |= schema_outcomes(run, by_kind["schema"], validated)
        measured |= contract_outcomes(run, by_kind["contract"], validated)
        measured |= sql_outcomes(run, by_kind["sql"], validated)
        run.release()
    for table in all_tables():               # as validate on tiny left them
        tiny_run.read(spark, table).createOrReplaceTempView(table)
    return measured


@pytest.mark.parametrize("check", sorted(CATALOGUE.corruptions))
def test_the_corruption_makes_its_check_fail(outcomes, check):
    """The check passes on the run and fails on the corruption, on a figure it measured: an error is no failure."""
    corruption, outcome = CATALOGUE.corruptions[check], outcomes[check]
    assert outcome.control.status in (PASS, TOO_SMALL), f"the uncorrupted run does not pass: {outcome.control}"
    failed = outcome.corrupted
    assert failed.status == (WARN if check.startswith("realism.") else FAIL), failed
    assert failed.value is not None, f"nothing measured (an error is no failure): {failed}"
    if kind(corruption) == "contract" and family(corruption) == "primary_key":
        assert failed.value == 1, failed        # one row copied: one key twice
    elif kind(corruption) == "contract":
        assert int(failed.value) & outcome.weight, f"the check caught other corruptions, not this one: {failed}"


@pytest.mark.parametrize("table, where", [("gold_sales_fact", "is_return"), ("gold_size_fit_bridge", "true")])
def test_a_corruption_that_changes_nothing_leaves_the_table_as_it_was(spark, tiny_run, table, where):
    """The view replacing the picked row (by primary key, or EXCEPT ALL without one) by itself holds the same rows."""
    unchanged = Corruption(f"{table}.none", table, where=where)
    source = tiny_run.read(spark, table)
    source.createOrReplaceTempView(table)
    assert_df_equality(spark.sql(unchanged.corrupted()), source,
                       ignore_row_order=True, ignore_nullable=True)
