"""An extend stopped part-way puts every table back (SIGINT by itself, SIGKILL through `retail-synth rollback`), and
the same extend run again then writes what an uninterrupted one writes; `stream` feeds a streaming reader whole days.
"""

import os
import signal
import subprocess
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.job import extend, stream
from retail_synth.spark.run_journal import COMPLETE, ROLLED_BACK, RUNNING, RunJournal
from retail_synth.spark.state_table import STATE_TABLES
from retail_synth.spec.contracts import load_contract
from retail_synth.tables.registry import WRITTEN_TABLES
from tests.spark.test_rollback import BIN, RunOutput, finished, wait_for_a_replaced_fact_table

EXTEND_DAYS = 3
TABLES = (*WRITTEN_TABLES, *STATE_TABLES)


def rows_of(spark, target: Target, table: str):
    frame = target.read(spark, table)
    columns = [c for c in frame.columns if c != "etl_timestamp"]
    return frame.select(columns)


def assert_same_tables(spark, a: Target, b: Target) -> None:
    for table in TABLES:
        assert_df_equality(rows_of(spark, a, table), rows_of(spark, b, table), ignore_row_order=True,
                           ignore_nullable=True)


@pytest.fixture(scope="module")
def extended_once(spark, tiny_run, tmp_path_factory) -> Target:
    """A copy of tiny extended by EXTEND_DAYS without interruption."""
    import shutil

    folder = tmp_path_factory.mktemp("extended-once") / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    target = Target(output_dir=str(folder))
    extend(target=target, days=EXTEND_DAYS, spark=spark)
    return target


@pytest.fixture
def copy_of_tiny(tiny_run, tmp_path) -> Path:
    import shutil

    folder = tmp_path / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    return folder


def start_extend(folder: Path, tmp_path: Path) -> tuple[subprocess.Popen, RunOutput]:
    env = dict(os.environ, SPARK_LOCAL_DIRS=str(tmp_path / "spark-local"))
    run = subprocess.Popen(
        [str(BIN / "retail-synth"), "extend", "--days", str(EXTEND_DAYS), "--output", str(folder)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    output = RunOutput(run)
    output.start()
    return run, output


@pytest.mark.own_spark
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_stopped_extend_leaves_the_tables_as_they_were_and_the_same_extend_then_writes_what_one_would(
        spark, tiny_run, extended_once, copy_of_tiny, tmp_path, capsys, stop):
    target = Target(output_dir=str(copy_of_tiny))
    run, output = start_extend(copy_of_tiny, tmp_path)
    wait_for_a_replaced_fact_table(run, output)
    if stop == signal.SIGINT:
        run.send_signal(stop)
        stderr = finished(run, output)
        assert run.returncode == 130, stderr[-3000:]
        assert "retail-synth: extend interrupted; restored" in stderr, stderr[-3000:]
        assert RunJournal(spark, target).last().status == ROLLED_BACK
    else:
        os.killpg(run.pid, signal.SIGKILL)
        finished(run, output)
        assert RunJournal(spark, target).last().status == RUNNING
        assert main(["extend", "--output", str(copy_of_tiny), "--days", "1", "--quiet"]) == 2
        assert "run `retail-synth rollback` first" in capsys.readouterr().err
        assert main(["rollback", "--output", str(copy_of_tiny)]) == 0
    assert_same_tables(spark, target, tiny_run)          # every table, the state included, as before the extend

    extend(target=target, days=EXTEND_DAYS, spark=spark)
    assert_same_tables(spark, target, extended_once)
    statuses = [r.status for r in RunJournal(spark, target).runs()]
    assert statuses == [COMPLETE, ROLLED_BACK, COMPLETE]


@pytest.mark.long
def test_a_streaming_reader_sees_every_streamed_day_once(spark, copy_of_tiny, tmp_path):
    """Two streaming queries on the sales fact (its table and its change feed) see each streamed day exactly once."""
    target = Target(output_dir=str(copy_of_tiny))
    path = target.table_path("gold_sales_fact")
    key = load_contract("gold_sales_fact").primary_key[0]
    sinks = {"table": tmp_path / "from-table", "feed": tmp_path / "from-feed"}

    def drain() -> None:
        """Run both queries until they have read every commit there is (a trigger that stops by itself)."""
        for kind, sink in sinks.items():
            source = spark.readStream.format("delta")
            if kind == "feed":
                source = source.option("readChangeFeed", "true").option("startingVersion", 0)
            query = (source.load(path).select(key, F.col("date_key")).writeStream.format("delta")
                     .option("checkpointLocation", str(sink) + "-checkpoint").trigger(availableNow=True)
                     .start(str(sink)))
            query.awaitTermination(600)

    drain()
    days: list[str] = []
    assert stream(target=target, day_seconds=0, days=2, spark=spark,
                  on_day=lambda day: days.append(str(day.summary.end_date))) == 2
    drain()
    assert days == ["2024-12-15", "2024-12-16"]
    table = target.read(spark, "gold_sales_fact")
    for sink in sinks.values():
        seen = spark.read.format("delta").load(str(sink))
        assert seen.count() == table.count() == seen.select(key).distinct().count()
        assert {r["date_key"] for r in seen.where("date_key >= 20241215").select("date_key").distinct().collect()} \
            == {20241215, 20241216}
