"""`extend`: a run split into a generate and an extend writes the tables one run over all the days writes.

Tiny runs 2024-11-15 .. 2024-12-14. The split run generates to CUT and
extends to the end; its tables must equal the shared one-shot runs' table by
table (etl_timestamp aside): normal-ops (`tiny_run`) and anomaly-heavy
(`anomaly_heavy_run`). Rows that describe an entity as of the last day (an
open stockout, a cart whose recovery was still to come) are rewritten by the
extend, which is what makes the split equal.
"""

import datetime as dt
import shutil

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from retail_synth.checks.validate import FAIL, validate
from retail_synth.cli.main import main
from retail_synth.spark.affinity_table import PAIRS_SCHEMA
from retail_synth.spark.delta_tables import Target, table_version
from retail_synth.spark.generate import run_generation
from retail_synth.spark.job import extend
from retail_synth.spark.run_journal import COMPLETE, RunJournal
from retail_synth.spark.state_table import AFFINITY_PAIRS_TABLE, STATE_TABLE, STATE_TABLES
from retail_synth.spark.target_claim import claim
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import load_contract
from retail_synth.tables.registry import DIMENSION_TABLES, FACT_TABLES, WRITTEN_TABLES
from tests.support.simulated_worlds import ANOMALY_HEAVY

CUT, END = "2024-11-30", dt.date(2024, 12, 14)
REWRITTEN = ("gold_stockout_events", "gold_cart_abandonment_fact")


def split_run(spark, folder, scenario: str | None, *assignments: str, seed: int | None = None
              ) -> tuple[Target, dict[str, int | None], dict[str, int]]:
    """Tiny generated to CUT, then extended to its end: the target, each table's version before the extend and the
    rows the extend reported per table."""
    config = resolve(preset="tiny", scenario=scenario, assignments=[*assignments, f"end_date={CUT}"], seed=seed)
    target = Target(output_dir=str(folder))
    run_generation(config, target, spark)
    before = {t: table_version(spark, target, t) for t in (*WRITTEN_TABLES, *STATE_TABLES)}
    summary = extend(target=target, until=END, spark=spark)
    return target, before, {t.table: t.rows for t in summary.tables}


@pytest.fixture(scope="module")
def extended(spark, tmp_path_factory):
    # as tiny_run, but walked in two barrier tasks (tiny_run walks in one): the resumed walk's barrier exchange
    return split_run(spark, tmp_path_factory.mktemp("extended") / "warehouse", None, "spark.walk_blocks_per_task=2",
                     "spark.cart_exchange=barrier", seed=7)


@pytest.fixture(scope="module")
def extended_anomaly_heavy(spark, tmp_path_factory):
    # as anomaly_heavy_run (one task), but walked in 4 tasks after the pilot walk: the resumed pilot
    return split_run(spark, tmp_path_factory.mktemp("extended-ah") / "warehouse", "anomaly-heavy",
                     *ANOMALY_HEAVY, "spark.cart_exchange=pilot", "spark.walk_blocks_per_task=1")


def same_rows(spark, one: Target, split: Target, table: str) -> None:
    contract = load_contract(table)
    columns = [c for c in contract.column_names if c != "etl_timestamp"]
    key = list(contract.primary_key) or columns
    expected = one.read(spark, table).select(columns).orderBy(*key)
    got = split.read(spark, table).select(columns).orderBy(*key)
    assert_df_equality(got, expected, ignore_nullable=True)


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_generate_then_extend_writes_what_one_run_writes(spark, tiny_run, extended, table):
    same_rows(spark, tiny_run, extended[0], table)


def test_the_extend_leaves_the_pair_sums_the_one_shot_run_has(spark, tiny_run, extended):
    """The aggregate of the next extend is derived from them: the touched pairs added up, the others kept."""
    columns = [f.name for f in PAIRS_SCHEMA]
    expected = tiny_run.read(spark, AFFINITY_PAIRS_TABLE).select(columns).orderBy("customer_key", "product_key")
    got = extended[0].read(spark, AFFINITY_PAIRS_TABLE).select(columns).orderBy("customer_key", "product_key")
    assert_df_equality(got, expected, ignore_nullable=True)


@pytest.mark.long
@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_the_same_holds_with_every_anomaly_and_an_outage_across_the_cut(spark, anomaly_heavy_run,
                                                                         extended_anomaly_heavy, table):
    same_rows(spark, anomaly_heavy_run, extended_anomaly_heavy[0], table)


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_the_extend_is_one_commit_per_table_and_its_change_feed_turns_the_old_table_into_the_new(spark, extended,
                                                                                                 table):
    """Replaying the feed of the extend's commit on the table as it was gives the table as it is.

    Facts: inserts only, except the rewritten rows (an update pre- and post-image each). Dimensions: new rows,
    or none and no commit. The affinity aggregate is rewritten whole (every row depends on the end date).
    """
    target, before, reported = extended
    version = table_version(spark, target, table)
    assert version - before[table] in (0, 1)
    if version == before[table]:         # nothing to add (a dimension the longer run leaves as it is, no labels)
        old = spark.read.format("delta").option("versionAsOf", before[table]).load(target.table_path(table))
        assert table in (*DIMENSION_TABLES, "gold_anomaly_label") and old.count() == target.read(spark, table).count()
        assert reported[table] == 0
        return
    changes = (spark.read.format("delta").option("readChangeFeed", "true")
               .option("startingVersion", before[table] + 1).load(target.table_path(table)))
    kinds = {r["_change_type"] for r in changes.select("_change_type").distinct().collect()}
    if table in FACT_TABLES and table not in REWRITTEN:
        assert kinds == {"insert"}
    if table in FACT_TABLES or table in DIMENSION_TABLES:     # what the extend said it wrote: inserts and updates
        assert reported[table] == changes.where("_change_type IN ('insert', 'update_postimage')").count()
    columns = load_contract(table).column_names
    old = spark.read.format("delta").option("versionAsOf", before[table]).load(target.table_path(table))

    def of(kind):
        return changes.where(F.col("_change_type") == kind).select(columns)

    replayed = old.select(columns).exceptAll(of("delete")).exceptAll(of("update_preimage")) \
        .unionAll(of("update_postimage")).unionAll(of("insert"))
    now = target.read(spark, table).select(columns)
    assert replayed.exceptAll(now).count() == 0 and now.exceptAll(replayed).count() == 0


def test_both_runs_of_the_split_walked_in_two_barrier_tasks(spark, extended):
    runs = RunJournal(spark, extended[0]).runs()
    assert [(run.summary["cart_exchange"], run.summary["walk_tasks"]) for run in runs] == [("barrier", 2)] * 2


@pytest.mark.long  # a second split run of its own (~30 s); the pilot's resumed walk
def test_both_runs_of_the_anomaly_heavy_split_walked_in_four_tasks_after_the_pilot(spark, extended_anomaly_heavy):
    runs = RunJournal(spark, extended_anomaly_heavy[0]).runs()
    assert [(run.summary["cart_exchange"], run.summary["walk_tasks"]) for run in runs] == [("pilot", 4)] * 2
    assert all(run.summary["phase_seconds"]["pilot"] > 0 for run in runs)


@pytest.mark.long  # a whole validate (~19 s); make test validates the tiny run
def test_an_extended_target_passes_validate_and_its_history_lists_both_runs(spark, extended):
    target = extended[0]
    result = validate(spark, target)
    assert [r for r in result.results if r.status == FAIL] == []
    runs = RunJournal(spark, target).runs()
    assert [r.status for r in runs] == [COMPLETE, COMPLETE]
    assert runs[0].settings["end_date"] == CUT and runs[1].settings["end_date"] == END.isoformat()


def versions(spark, target: Target) -> dict[str, int | None]:
    return {t: table_version(spark, target, t) for t in (*WRITTEN_TABLES, *STATE_TABLES)}


@pytest.fixture
def copy_of(extended, tmp_path):
    """A copy of the extended target, for refusals to be tried on."""
    folder = tmp_path / "copy"
    shutil.copytree(extended[0].output_dir, folder)
    return Target(output_dir=str(folder))


@pytest.mark.parametrize(("flags", "says"), [
    (["--until", "2024-12-14"], "is not after 2024-12-14, the last day"),
    (["--until", "2024-12-01"], "is not after 2024-12-14, the last day"),
    (["--days", "3", "--set", "customers.customer_count=400"], "--set customers.customer_count=400 differs"),
])
def test_an_extend_that_cannot_continue_the_run_says_why_in_one_line_and_touches_nothing(spark, copy_of, capsys,
                                                                                          flags, says):
    before = versions(spark, copy_of)
    assert main(["extend", "--output", copy_of.output_dir, "--quiet", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
    assert versions(spark, copy_of) == before


def test_an_unfinished_run_must_be_rolled_back_before_an_extend(spark, copy_of, capsys):
    journal = RunJournal(spark, copy_of)
    last = journal.last()
    last.status = "running"              # what a run killed hard leaves in the journal
    journal.record(last)
    before = versions(spark, copy_of)
    assert main(["extend", "--output", copy_of.output_dir, "--days", "1", "--quiet"]) == 2
    assert "run `retail-synth rollback` first" in capsys.readouterr().err
    assert versions(spark, copy_of) == before


def test_a_target_without_a_run_or_without_the_state_is_refused(spark, copy_of, tmp_path, capsys):
    assert main(["extend", "--output", str(tmp_path / "empty"), "--days", "1", "--quiet"]) == 2
    assert "holds no run of retail-synth" in capsys.readouterr().err
    shutil.rmtree(copy_of.table_path(STATE_TABLE))          # as a target written before the state table existed
    before = versions(spark, copy_of)
    assert main(["extend", "--output", copy_of.output_dir, "--days", "1", "--quiet"]) == 2
    assert "without the simulation state" in capsys.readouterr().err
    assert versions(spark, copy_of) == before


@pytest.mark.parametrize(("flags", "says"), [
    (["--days", "0"], "0 days: give 1 or more"),
    (["--days", "x"], "'x' is not a number of days"),
    (["--until", "2024-13-01"], "'2024-13-01' is not a date"),
    ([], "one of the arguments --days --until is required"),
])
def test_bad_days_are_refused_before_spark_starts(tmp_path, capsys, flags, says):
    assert main(["extend", "--output", str(tmp_path), *flags]) == 2
    assert says in capsys.readouterr().err


def test_an_extend_into_a_target_another_live_run_holds_is_refused(spark, copy_of, capsys):
    """One writer per target holds for extend too: the claim here is a real one, held as a live run holds it."""
    before = versions(spark, copy_of)
    with claim(spark, copy_of, "tiny-seed7-20261205T000000Z"):
        assert main(["extend", "--output", copy_of.output_dir, "--days", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is being written by tiny-seed7-20261205T000000Z" in err[0], err
    assert versions(spark, copy_of) == before
