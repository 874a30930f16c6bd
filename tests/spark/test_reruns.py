"""A second run into a target that already holds a run: every table then holds the second run, nothing of the first."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target, table_run_id
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


class RowCountPoller(threading.Thread):
    """Counts the rows of a few tables over and over, as a dashboard reading during a rerun would."""

    def __init__(self, spark, target: Target, tables: tuple[str, ...]):
        super().__init__(daemon=True)
        self.spark, self.target, self.tables = spark, target, tables
        self.counts: list[int] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.counts += [self.target.read(self.spark, t).count() for t in self.tables]


@pytest.mark.spark
def test_forced_rerun_beside_a_foreign_table_replaces_every_table_and_never_shows_an_empty_one(spark, tiny_run, tmp_path):
    folder = tmp_path / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    spark.range(3).write.format("delta").save(str(folder / "notes"))       # someone else's table: --force writes anyway
    target = Target(output_dir=str(folder))
    poller = RowCountPoller(spark, target, ("gold_date_dim", "gold_sales_fact", "gold_inventory_fact"))
    poller.start()
    try:
        assert main(["generate", "--preset", "tiny", "--seed", "8", "--force", "--quiet", "--output", str(folder)]) == 0
    finally:
        poller.stop.set()
        poller.join()
    assert len(poller.counts) >= 3 and min(poller.counts) > 0

    run = RunJournal(spark, target).last_complete()
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
