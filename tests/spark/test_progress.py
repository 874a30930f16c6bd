"""The progress display: lines without a terminal, with rows so far, rows/s and an ETA from the estimates."""

import io
import threading
import time

from retail_synth.spark.progress import (
    LINES,
    QUIET,
    RunProgress,
    SparkTaskShare,
    duration,
)


def test_lines_mode_reports_tables_and_status_lines_with_rate_and_eta():
    out = io.StringIO()
    progress = RunProgress({"gold_a": 100, "gold_b": 300}, LINES, stream=out, line_seconds=0.05)
    progress.table_started("gold_a")
    progress.table_written("gold_a", 120, 0.4)
    progress.table_started("gold_b")
    time.sleep(0.2)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/2] gold_a: 120 rows in 0.4 s"
    status = [line for line in lines if line.startswith("progress: ")]
    assert status, lines
    assert "1/2 tables, 120 of ~400 rows" in status[-1] and "rows/s" in status[-1] and "ETA " in status[-1]
    assert status[-1].endswith("writing gold_b")


def test_no_eta_before_five_percent_of_the_rows_is_in():
    progress = RunProgress({"gold_dim": 400, "gold_fact": 9_600}, QUIET)
    progress.table_written("gold_dim", 400, 0.1)
    assert progress.status().endswith("ETA ?")
    progress.table_written("gold_fact", 9_600, 0.1)
    assert "ETA 0s" in progress.status()


def test_rate_and_eta_count_from_when_the_rows_begin_to_flow():
    """A long walk before the facts must not drag the rate down: the ETA would read many times the truth."""
    progress = RunProgress({"gold_dim": 100, "gold_fact": 900}, QUIET, tasks=_StageShare([0.0, 0.0, 0.5, 0.5]))
    progress.table_written("gold_dim", 100, 0.1)
    time.sleep(1.0)                                  # the walk: no rows
    progress.table_started("gold_fact")
    progress.rows_begin()
    assert progress.status().endswith("ETA ?; writing gold_fact")
    time.sleep(0.1)
    status = progress.status()                       # 450 rows in about 0.1 s: about 0.1 s to go, not 1.2 s
    rate = int(status.split(" rows/s")[0].rsplit(", ", 1)[1].replace(",", ""))
    assert rate > 1_000, status                      # counted from the start it would be at most 550 / 1.1 s
    assert "ETA 0s" in status, status


class _StageShare:
    """The share of a table's tasks done as Spark reports it: it falls back when the table's next job starts."""

    def __init__(self, shares):
        self.shares = iter(shares)

    def follow(self, table):
        pass

    def share(self, _table):
        return next(self.shares)


def test_rows_so_far_never_fall_when_a_new_stage_starts():
    progress = RunProgress({"gold_fact": 1_000}, QUIET, tasks=_StageShare([0.5, 0.1, 0.8]))
    progress.table_started("gold_fact")
    assert [progress.rows_so_far() for _ in range(3)] == [500, 500, 800]


def test_quiet_prints_nothing():
    out = io.StringIO()
    progress = RunProgress({"gold_a": 10}, QUIET, stream=out, line_seconds=0.01)
    progress.table_written("gold_a", 10, 0.1)
    time.sleep(0.05)
    progress.close()
    assert out.getvalue() == ""


def test_duration_reads_as_minutes_and_seconds():
    assert duration(59.4) == "59s" and duration(61) == "1m01s" and duration(3600) == "60m00s"


def test_spark_task_share_counts_each_table_s_own_jobs(spark):
    """The jobs a thread starts after `follow(table)` count for that table, and for no other."""
    tasks = SparkTaskShare(spark)

    def write():              # in a thread of its own, as the generation writes each table
        tasks.follow("gold_followed")
        spark.range(0, 300, 1, numPartitions=3).selectExpr("sum(id)").collect()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    spark.range(0, 10, 1, numPartitions=2).count()      # this thread's job belongs to no table
    assert tasks.share("gold_followed") == 1.0
    assert tasks.share("gold_other") == 0.0
    tasks.close()
