"""A second run into a target that already holds a run: every table then holds the second run, nothing of the first."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from pyspark.sql import functions as F

import retail_synth
from retail_synth.spark.delta_tables import Target, table_run_id
from retail_synth.spark.progress import QUIET, RunProgress
from retail_synth.spark.run_journal import RunJournal
from retail_synth.tables.registry import WRITTEN_TABLES

BIN = Path(sys.executable).parent
RUN_STAMP = "yyyyMMdd'T'HHmmss'Z'"      # how run ids spell the run's etl_timestamp


def assert_holds_only_run(spark, target: Target, table: str, run_id: str, rows: int) -> None:
    """The table has exactly the rows the run wrote, the run's id, and (where it has rows) only the run's etl_timestamp."""
    frame = target.read(spark, table)
    assert frame.count() == rows, table
    assert table_run_id(spark, target, table) == run_id, table
    if "etl_timestamp" in frame.columns and rows:        # normal-ops writes gold_anomaly_label empty
        stamps = {r[0] for r in frame.select(F.date_format("etl_timestamp", RUN_STAMP)).distinct().collect()}
        assert stamps == {run_id.rsplit("-", 1)[1]}, table


class Read(NamedTuple):
    table: str
    rows: int
    stamp: str | None     # the etl_timestamp of the rows read, as run ids spell it: which run's table was read


class RowCountPoller(threading.Thread):
    """Reads the rows of a few tables over and over, as a dashboard would during a rerun; keeps every read and error.

    Each read counts the rows and the run they came from in one query, so one snapshot answers both.
    """

    def __init__(self, spark, target: Target, tables: tuple[str, ...]):
        super().__init__(daemon=True)
        self.spark, self.target, self.tables = spark, target, tables
        self.reads: list[Read] = []
        self.errors: list[BaseException] = []
        self.rounds, self.ended = 0, False       # rounds read in full; the thread has ended
        self.round_read = threading.Condition()
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.is_set():
                for table in self.tables:
                    counted = self.target.read(self.spark, table).select(
                        F.count(F.lit(1)), F.date_format(F.max("etl_timestamp"), RUN_STAMP)).first()
                    self.reads.append(Read(table, *counted))
                with self.round_read:
                    self.rounds += 1
                    self.round_read.notify_all()
        except BaseException as error:       # a failed read fails the test instead of ending the thread quietly
            self.errors.append(error)
        finally:
            with self.round_read:
                self.ended = True
                self.round_read.notify_all()

    def read_again(self, timeout: float = 600) -> None:
        """Return once every table was read in a round begun after this call (or the poller ended)."""
        with self.round_read:
            wanted = self.rounds + 2            # the round under way may have begun before the call
            if not self.round_read.wait_for(lambda: self.rounds >= wanted or self.ended, timeout):
                self.errors.append(TimeoutError(f"no round of reads in {timeout} s"))


class ReadAfterEachReplacement(RunProgress):
    """The run's (quiet) progress: the writer of a polled table waits, once it is committed, for the poller to
    read every polled table again. So the poller reads each table replaced while the rerun is still writing."""

    def __init__(self, poller: RowCountPoller):
        super().__init__(dict.fromkeys(WRITTEN_TABLES, 0), QUIET)
        self.poller = poller

    def table_written(self, table: str, rows: int, seconds: float) -> None:
        super().table_written(table, rows, seconds)
        if table in self.poller.tables:
            self.poller.read_again()


@pytest.mark.spark
@pytest.mark.long
def test_forced_rerun_beside_a_foreign_table_replaces_every_table_and_never_shows_an_empty_one(spark, tiny_run, tmp_path):
    folder = tmp_path / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    spark.range(3).write.format("delta").save(str(folder / "notes"))       # someone else's table: force writes anyway
    target = Target(output_dir=str(folder))
    poller = RowCountPoller(spark, target, ("gold_date_dim", "gold_sales_fact", "gold_inventory_fact"))
    poller.start()
    try:
        poller.read_again()                                                 # the first run's tables, read once
        retail_synth.generate(target=target, spark=spark, preset="tiny", seed=8, force=True,
                              progress=ReadAfterEachReplacement(poller))
        read_during_the_run = len(poller.reads)
    finally:
        poller.stop.set()
        poller.join()
    assert not poller.errors, poller.errors
    assert all(read.rows > 0 for read in poller.reads), [read for read in poller.reads if not read.rows]

    run = RunJournal(spark, target).last_complete()
    first, second = (run_id.rsplit("-", 1)[1] for run_id in (table_run_id(spark, tiny_run, "gold_date_dim"), run.run_id))
    for table in poller.tables:        # each polled table read as the first run left it, and replaced during the rerun
        stamps = [read.stamp for read in poller.reads[:read_during_the_run] if read.table == table]
        assert stamps[0] == first and second in stamps, (table, stamps)

    assert run.seed == 8 and [t["table"] for t in run.tables] == list(WRITTEN_TABLES)
    for written in run.tables:
        assert_holds_only_run(spark, target, written["table"], run.run_id, written["rows"])
    rerun_sales = target.read(spark, "gold_sales_fact").drop("etl_timestamp")
    assert rerun_sales.exceptAll(tiny_run.read(spark, "gold_sales_fact").drop("etl_timestamp")).count() > 0
    assert target.read(spark, "notes").count() == 3


def _rows_printed(stdout: str) -> dict[str, int]:
    """The rows per table of generate's closing summary."""
    return {line.split()[0]: int(line.split()[1].replace(",", ""))
            for line in stdout.splitlines() if line.startswith("gold_") and len(line.split()) == 3}


@pytest.mark.spark
@pytest.mark.own_spark
def test_second_catalog_run_in_a_new_session_replaces_the_first(spark, tmp_path):
    """The embedded catalog must remember the first session's tables, which only shows across processes."""
    home = tmp_path / "home"
    env = dict(os.environ, RETAIL_SYNTH_HOME=str(home))
    for seed in (3, 4):
        result = subprocess.run(
            [str(BIN / "retail-synth"), "generate", "--preset", "tiny", "--catalog", "spark_catalog",
             "--schema", "rs_test", "--seed", str(seed)],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=1200,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    rows = _rows_printed(result.stdout)
    assert sorted(rows) == sorted(WRITTEN_TABLES)
    tables = Target(output_dir=str(home / "spark-warehouse" / "rs_test.db"))   # the managed tables' folders
    run_id = table_run_id(spark, tables, "gold_date_dim")
    assert run_id.startswith("tiny-seed4-")
    for table in WRITTEN_TABLES:
        assert_holds_only_run(spark, tables, table, run_id, rows[table])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]    # no derby.log, metastore_db or spark-warehouse in the cwd
