"""A run stopped part-way puts every table back: after a failure or SIGINT/SIGTERM by itself, after SIGKILL through
`retail-synth rollback`; a table the run created is dropped, one another writer committed to is left alone and named."""

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from retail_synth.checks.validate import FAIL, INFO, MISSING, PASS, TOO_SMALL, WARN, CheckResult, run_completion
from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import COMMIT_METADATA_CONF, Target, replace_table, table_run_id, table_version
from retail_synth.spark.generate import begin_run, run_id_of
from retail_synth.spark.rollback import roll_back
from retail_synth.spark.run_journal import ROLLED_BACK, RUN_MARKER, RUNNING, RunJournal
from retail_synth.spark.state_table import STATE_TABLE, state_last_day, write_state
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import load_contract
from retail_synth.tables.registry import DIMENSION_TABLES, WALK_TABLES, WRITTEN_TABLES

BIN = Path(sys.executable).parent
TABLE_WRITTEN = re.compile(r"\[\d+/\d+\] (gold_\w+): ")     # generate's line once a table is committed


def table_state(spark, target: Target, tables=WRITTEN_TABLES) -> dict[str, tuple[int, str]]:
    """Rows and run id of every written table (or of `tables`)."""
    return {t: (target.read(spark, t).count(), table_run_id(spark, target, t)) for t in tables}


def operations(spark, target: Target, table: str) -> list[tuple[str, str | None]]:
    """(operation, userMetadata) of every commit of the table, oldest first."""
    history = spark.sql(f"DESCRIBE HISTORY {target.identifier(table)}").orderBy("version")
    return [(r["operation"], r["userMetadata"]) for r in history.collect()]


class RunOutput(threading.Thread):
    """Reads a run's stderr as it comes: `settled` is set once a fact table is committed, or the run's output ended."""

    def __init__(self, run: subprocess.Popen):
        super().__init__(daemon=True)
        self.stream, self.lines = run.stderr, []
        self.fact_written, self.settled = False, threading.Event()

    def run(self):
        for line in self.stream:
            self.lines.append(line)
            written = TABLE_WRITTEN.match(line)
            if written and written.group(1) in WALK_TABLES:
                self.fact_written = True
                self.settled.set()
        self.settled.set()

    @property
    def text(self) -> str:
        return "".join(self.lines)


def start_rerun(folder: Path, tmp_path: Path) -> tuple[subprocess.Popen, RunOutput]:
    """A rerun with seed 9 in a process of its own; it prints a line per table written (no --quiet)."""
    env = dict(os.environ, SPARK_LOCAL_DIRS=str(tmp_path / "spark-local"))
    run = subprocess.Popen(
        [str(BIN / "retail-synth"), "generate", "--preset", "tiny", "--seed", "9", "--output", str(folder)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    output = RunOutput(run)
    output.start()
    return run, output


def wait_for_a_replaced_fact_table(run: subprocess.Popen, output: RunOutput) -> None:
    assert output.settled.wait(timeout=600), "no fact table was replaced in time"
    assert output.fact_written, f"the run ended with {run.wait()} before it replaced a fact table: {output.text[-3000:]}"


def finished(run: subprocess.Popen, output: RunOutput) -> str:
    """The run's exit status is in `run.returncode` after this; its stderr is returned."""
    run.wait(timeout=600)
    output.join(timeout=60)
    return output.text


@pytest.fixture(scope="module")
def tiny_state(spark, tiny_run) -> dict[str, tuple[int, str]]:
    return table_state(spark, tiny_run)


@pytest.fixture
def copy_of_tiny(tiny_run, tmp_path) -> Path:
    folder = tmp_path / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    return folder


# ---------------------------------------------------------------- in the shared session

CHANNELS, LOCATIONS, DATES, TIMES = "gold_channel_dim", "gold_location_dim", "gold_date_dim", "gold_time_dim"
PRODUCTS = "gold_product_dim"


@pytest.fixture(params=[pytest.param("path", marks=pytest.mark.long), "catalog"])   # path: make test-processes
def small_target(request, spark, tiny_run, tmp_path):
    """A target of each kind holding three of tiny's tables and its state, and the flags that name it on the command line."""
    tables = (CHANNELS, LOCATIONS, DATES)
    if request.param == "path":
        folder = tmp_path / "warehouse"
        for table in tables:
            shutil.copytree(Path(tiny_run.output_dir) / table, folder / table)
        target, flags = Target(output_dir=str(folder)), ["--output", str(folder)]
    else:
        target, flags = (Target(catalog="spark_catalog", schema="rs_rollback_left"),
                         ["--catalog", "spark_catalog", "--schema", "rs_rollback_left"])
        target.prepare(spark)
        for table in tables:
            replace_table(spark, tiny_run.read(spark, table), load_contract(table), target,
                          table_run_id(spark, tiny_run, table), "normal-ops")
    write_state(spark, tiny_run.read(spark, STATE_TABLE), target, table_run_id(spark, tiny_run, STATE_TABLE),
                state_last_day(spark, tiny_run))
    yield target, flags
    if not target.is_path:
        spark.sql(f"DROP SCHEMA IF EXISTS {target.schema_identifier} CASCADE")


def test_rollback_restores_the_runs_tables_drops_the_ones_it_created_and_leaves_another_writers_alone(
        spark, tiny_run, small_target, capsys):
    target, flags = small_target
    before = {t: table_version(spark, target, t) for t in (CHANNELS, LOCATIONS, DATES)}
    config = resolve(preset="tiny", seed=9)
    try:
        # What generate does up to a kill: record the run, then replace tables in commits tagged with its id.
        run = begin_run(spark, target, config, run_id_of(config, dt.datetime.now(dt.timezone.utc).replace(microsecond=0)))
        for table, frame in ((CHANNELS, tiny_run.read(spark, CHANNELS).where("channel_key % 2 = 0")),
                             (TIMES, tiny_run.read(spark, TIMES)), (LOCATIONS, tiny_run.read(spark, LOCATIONS))):
            replace_table(spark, frame, load_contract(table), target, run.run_id, config.scenario_name)
        write_state(spark, tiny_run.read(spark, STATE_TABLE).where("kind = 'position'"), target, run.run_id, 9)
    finally:
        spark.conf.unset(COMMIT_METADATA_CONF)
    # Another writer (its commits carry no run id) deletes a location after the run replaced the table.
    first_location = tiny_run.read(spark, LOCATIONS).agg(F.min("location_key")).first()[0]
    spark.sql(f"DELETE FROM {target.identifier(LOCATIONS)} WHERE location_key = {first_location}")
    foreign_version = table_version(spark, target, LOCATIONS)
    assert RunJournal(spark, target).last().status == RUNNING

    assert main(["rollback", *flags]) == 1
    outcome = ("restored 2 table(s) to their previous version; dropped 1 table(s) the run had created; "
               f"left {LOCATIONS} alone: another writer committed to it since")
    assert capsys.readouterr().out.strip() == f"retail-synth: rolled back run {run.run_id}: {outcome}"

    assert_df_equality(target.read(spark, CHANNELS), tiny_run.read(spark, CHANNELS), ignore_row_order=True)
    assert operations(spark, target, CHANNELS)[-2:] == [("CREATE OR REPLACE TABLE AS SELECT", run.run_id),
                                                        ("RESTORE", None)]
    assert_df_equality(target.read(spark, STATE_TABLE), tiny_run.read(spark, STATE_TABLE), ignore_row_order=True)
    assert state_last_day(spark, target) == state_last_day(spark, tiny_run)
    assert not target.exists(spark, TIMES)
    assert TIMES not in target.tables(spark)
    assert table_version(spark, target, LOCATIONS) == foreign_version        # the other writer's work stays
    assert target.read(spark, LOCATIONS).count() == tiny_run.read(spark, LOCATIONS).count() - 1
    assert table_version(spark, target, DATES) == before[DATES]              # the run never touched it

    runs = RunJournal(spark, target).runs()
    assert (runs[-1].run_id, runs[-1].status, runs[-1].summary["rollback_left"]) == (run.run_id, ROLLED_BACK, [LOCATIONS])
    assert run_completion(runs) == [CheckResult("run_complete", FAIL, run.run_id, "a completed run recorded",
                                                outcome)]
    if target.is_path:      # the whole command once: its verdict on the journal is the same for either kind
        assert main(["validate", *flags]) == 1
        run_complete = [line for line in capsys.readouterr().out.splitlines() if line.split()[1:2] == ["run_complete"]]
        assert len(run_complete) == 1 and run_complete[0].startswith(FAIL) and run_complete[0].endswith(f"({outcome})")


def test_rollback_removes_what_a_create_stopped_before_its_commit_left(spark, tiny_run, tmp_path):
    """Delta makes a new table's `_delta_log` before its first commit: a create that fails (or is cancelled)
    leaves that log, empty, and data files. Not a table, so nothing to restore: its folder goes."""
    folder = tmp_path / "warehouse"
    target = Target(output_dir=str(folder))
    config = resolve(preset="tiny", seed=9)
    stopped = tiny_run.read(spark, PRODUCTS).withColumn(
        "product_key", F.when(F.col("product_key") > 0, F.raise_error(F.lit("stopped part-way"))))
    try:
        run = begin_run(spark, target, config, run_id_of(config, dt.datetime.now(dt.timezone.utc).replace(microsecond=0)))
        with pytest.raises(Exception, match="stopped part-way"):
            replace_table(spark, stopped, load_contract(PRODUCTS), target, run.run_id, config.scenario_name)
    finally:
        spark.conf.unset(COMMIT_METADATA_CONF)
    log = folder / PRODUCTS / "_delta_log"
    assert log.is_dir() and not list(log.glob("*.json")) and list((folder / PRODUCTS).glob("*.parquet"))

    outcome = roll_back(spark, target, run)
    assert (outcome.restored, outcome.dropped, outcome.foreign) == ([], [PRODUCTS], [])
    assert sorted(p.name for p in folder.iterdir()) == [RUN_MARKER]
    assert RunJournal(spark, target).last().status == ROLLED_BACK


BLOCKED = WALK_TABLES[0]                        # the first fact whose write the run awaits
HELD = ("gold_date_dim", "gold_time_dim")       # what the target holds before the run: two of tiny's tables


def test_a_run_failing_part_way_exits_1_and_every_table_is_as_it_was(spark, tiny_run, tmp_path, capsys):
    """A file where the run would write its first fact makes that write fail once every dimension is written
    (no mock: anything that makes a table unwritable would do). The run replaced the two tables the target
    held and created the others it wrote; after the failure the two are as they were and the others gone."""
    folder = tmp_path / "warehouse"
    for table in HELD:
        shutil.copytree(Path(tiny_run.output_dir) / table, folder / table)
    (folder / BLOCKED).write_text("not a table\n")
    target = Target(output_dir=str(folder))

    assert main(["generate", "--preset", "tiny", "--seed", "9", "--quiet", "--output", str(folder)]) == 1
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    said = re.fullmatch(r"retail-synth: run failed: .+; restored 2 table\(s\) to their previous version; "
                        r"dropped (\d+) table\(s\) the run had created", last_line)
    assert said and int(said.group(1)) >= len(DIMENSION_TABLES) - len(HELD), last_line

    run = RunJournal(spark, target).last()
    assert run.status == ROLLED_BACK and run.seed == 9 and run.prior_versions[STATE_TABLE] is None
    assert target.tables(spark) == sorted(HELD) and (folder / BLOCKED).read_text() == "not a table\n"
    assert table_state(spark, target, HELD) == table_state(spark, tiny_run, HELD)
    for table in HELD:                   # replaced by the run, then restored
        assert operations(spark, target, table)[-2:] == [("CREATE OR REPLACE TABLE AS SELECT", run.run_id),
                                                         ("RESTORE", None)], table


# ---------------------------------------------------------------- in processes of their own

@pytest.mark.own_spark
def test_a_signal_restores_every_table_and_exits_130(spark, tiny_state, copy_of_tiny, tmp_path, capsys):
    """SIGTERM, as a scheduler cancels a job. SIGINT takes the same handler (`cancelled_by_signals`): an extend
    stopped by it is tests/spark/test_extend_stops.py's; a run in a process of its own costs minutes."""
    before = tiny_state
    run, output = start_rerun(copy_of_tiny, tmp_path)
    wait_for_a_replaced_fact_table(run, output)
    run.send_signal(signal.SIGTERM)
    stderr = finished(run, output)

    assert run.returncode == 130, stderr[-3000:]
    assert re.search(r"^retail-synth: run interrupted; restored \d+ table\(s\)", stderr, re.MULTILINE), stderr[-3000:]
    assert table_state(spark, Target(output_dir=str(copy_of_tiny))) == before
    journal = RunJournal(spark, Target(output_dir=str(copy_of_tiny)))
    assert journal.last().status == "rolled_back" and journal.last_complete().run_id == before["gold_date_dim"][1]

    assert main(["history", "--output", str(copy_of_tiny)]) == 0
    runs = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(r[0].split("-")[1], r[-2]) for r in runs] == [("seed7", "complete"), ("seed9", "rolled_back")]


@pytest.mark.own_spark
def test_sigkill_leaves_an_incomplete_run_that_validate_reports_and_rollback_restores(
        spark, tiny_state, copy_of_tiny, tmp_path, capsys):
    before = tiny_state
    run, output = start_rerun(copy_of_tiny, tmp_path)
    wait_for_a_replaced_fact_table(run, output)
    os.killpg(run.pid, signal.SIGKILL)
    finished(run, output)
    target = Target(output_dir=str(copy_of_tiny))
    assert RunJournal(spark, target).last().status == RUNNING

    assert main(["validate", "--output", str(copy_of_tiny)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("FAIL") and " run_complete " in line and "incomplete" in line for line in lines)
    judged = [line.split()[1] for line in lines if line.split()[:1] in ([PASS], [FAIL], [WARN], [INFO], [MISSING], [TOO_SMALL])]
    assert judged == ["run_complete"], lines     # the tables mix two runs: nothing else is judged

    assert main(["rollback", "--output", str(copy_of_tiny)]) == 0
    assert "rolled back run tiny-seed9-" in capsys.readouterr().out
    assert table_state(spark, target) == before
    assert main(["rollback", "--output", str(copy_of_tiny)]) == 0
    assert "nothing to roll back" in capsys.readouterr().out
