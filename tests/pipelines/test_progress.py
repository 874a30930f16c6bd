"""The progress display: lines without a terminal, with rows so far, rows/s and an ETA from the estimates."""

import io
import time

from pipelines.progress import LINES, QUIET, RunProgress, duration


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


def test_no_eta_before_one_percent_of_the_rows_is_in():
    progress = RunProgress({"gold_dim": 50, "gold_fact": 9_950}, QUIET)
    progress.table_written("gold_dim", 50, 0.1)
    assert progress.status().endswith("ETA ?")
    progress.table_written("gold_fact", 9_950, 0.1)
    assert "ETA 0s" in progress.status()


class _StageShare:
    """The share of tasks done as Spark reports it: it falls back when a new stage starts."""

    def __init__(self, shares):
        self.shares = iter(shares)

    def share(self):
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
