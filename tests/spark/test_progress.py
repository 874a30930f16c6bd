"""The progress display: lines without a terminal, with rows so far, rows/s and an ETA from the estimates."""

import io
import threading

from retail_synth.spark.progress import (
    LINES,
    QUIET,
    RunProgress,
    SparkTaskShare,
    duration,
)


class _Clock:
    """A clock the test moves by hand: rates and ETAs come out exact."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Watched(io.StringIO):
    """A stream a test can wait on: the status lines are written by the display's own thread."""

    def __init__(self):
        super().__init__()
        self.written = threading.Condition()

    def write(self, text: str) -> int:
        with self.written:
            length = super().write(text)
            self.written.notify_all()
        return length

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        with self.written:
            return self.written.wait_for(lambda: text in self.getvalue(), timeout)


def test_lines_mode_reports_tables_and_status_lines_with_rate_and_eta():
    out, clock = _Watched(), _Clock()
    progress = RunProgress({"gold_a": 100, "gold_b": 300}, LINES, stream=out, line_seconds=0.01, clock=clock)
    progress.table_started("gold_a")
    progress.table_written("gold_a", 120, 0.4)
    clock.now = 2.0
    progress.table_started("gold_b")
    # 120 rows in 2 s: 60 rows/s, and the 280 still to come in 4.7 s
    assert out.wait_for("progress: 1/2 tables, 120 of ~400 rows, 60 rows/s, ETA 5s; writing gold_b\n"), out.getvalue()
    progress.close()
    lines = out.getvalue().splitlines()
    assert "[1/2] gold_a: 120 rows in 0.4 s" in lines
    assert all(line.startswith("progress: ") for line in lines if not line.startswith("[1/2] gold_a")), lines


def test_no_eta_before_five_percent_of_the_rows_is_in():
    progress = RunProgress({"gold_dim": 400, "gold_fact": 9_600}, QUIET)
    progress.table_written("gold_dim", 400, 0.1)
    assert progress.status().endswith("ETA ?")
    progress.table_written("gold_fact", 9_600, 0.1)
    assert "ETA 0s" in progress.status()


def test_rate_and_eta_count_from_when_the_rows_begin_to_flow():
    """A long walk before the facts must not drag the rate down: the ETA would read many times the truth."""
    clock = _Clock()
    progress = RunProgress({"gold_dim": 100, "gold_fact": 900}, QUIET, tasks=_StageShare([0.0, 0.0, 0.5]), clock=clock)
    progress.table_written("gold_dim", 100, 0.1)
    clock.now = 100.0                                # the walk: no rows for 100 s
    progress.table_started("gold_fact")
    progress.rows_begin()
    assert progress.status().endswith("ETA ?; writing gold_fact")
    clock.now = 101.0
    # 450 rows in the last second: 450 rows/s and 1 s to go (counted from the start: 5 rows/s and 1m22s)
    assert progress.status() == "1/2 tables, 550 of ~1,000 rows, 450 rows/s, ETA 1s; writing gold_fact"


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
    before = set(threading.enumerate())
    progress = RunProgress({"gold_a": 10}, QUIET, stream=out, line_seconds=0.01)
    assert not [t for t in set(threading.enumerate()) - before if t.name == "retail-synth-progress"]   # no ticker
    progress.table_written("gold_a", 10, 0.1)
    progress.close()
    assert out.getvalue() == ""


def test_duration_reads_as_minutes_and_seconds():
    assert duration(59.4) == "59s" and duration(61) == "1m01s" and duration(3600) == "60m00s"


def status_tracker_caught_up(spark) -> None:
    """Wait until Spark's listeners have handled every event posted so far: the status tracker reads what
    they record, after a job has returned (Spark's own tests wait on this same listener bus)."""
    spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty()


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
    status_tracker_caught_up(spark)
    assert tasks.share("gold_followed") == 1.0
    assert tasks.share("gold_other") == 0.0
    tasks.close()
