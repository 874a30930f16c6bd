"""What a run shows while it writes: tables written, rows so far, rows/s and an ETA.

On a terminal a live line (rich) is redrawn every second; without one, a
line per table and a status line at least every 10 seconds; `--quiet`
shows neither. Rows so far are the rows of the tables already committed
plus, for the tables being written, their estimated rows times the share of
Spark tasks done, read from the status tracker on classic Spark and from the
progress handler PySpark 4 offers over Spark Connect.
"""

from __future__ import annotations

import sys
import threading
import time

LIVE, LINES, QUIET = "live", "lines", "quiet"
LINE_SECONDS = 10.0
# The ETA extrapolates the rate so far. Before this share of the rows is in, that rate is the walk's and
# the dimensions' (few rows in long seconds) and the ETA would read days: "?" instead.
ETA_FROM_SHARE = 0.01


def display_mode(quiet: bool, stream=sys.stderr) -> str:
    if quiet:
        return QUIET
    return LIVE if stream.isatty() else LINES


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class SparkTaskShare:
    """The share of tasks done in the stages Spark is running now (0 when none run)."""

    def __init__(self, spark):
        from pipelines.spark_session import is_connect

        self.spark, self.connect, self.operations = spark, is_connect(spark), {}
        if self.connect:
            spark.registerProgressHandler(self._on_progress)

    def _on_progress(self, stages, inflight_tasks, operation_id=None, done=False, **_):
        if done:
            self.operations.pop(operation_id, None)
        else:
            stages = list(stages or [])
            self.operations[operation_id] = (sum(s.num_completed_tasks for s in stages), sum(s.num_tasks for s in stages))

    def share(self) -> float:
        if self.connect:
            counts = list(self.operations.values())
        else:
            tracker = self.spark.sparkContext.statusTracker()
            infos = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
            counts = [(i.numCompletedTasks, i.numTasks) for i in infos if i is not None]
        done, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
        return done / total if total else 0.0

    def close(self) -> None:
        if self.connect:
            self.spark.clearProgressHandlers()


class RunProgress:
    """Observes a run: the generation job tells it what starts and ends; it never steers the run."""

    def __init__(self, estimates: dict[str, int], mode: str, tasks: SparkTaskShare | None = None, stream=sys.stderr,
                 line_seconds: float = LINE_SECONDS):
        self.estimates, self.mode, self.tasks, self.stream = estimates, mode, tasks, stream
        self.line_seconds = line_seconds
        self.total = sum(estimates.values())
        self.written: dict[str, int] = {}
        self.writing: set[str] = set()
        self._most_rows = 0
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._live = None
        self._ticker = None
        if mode == LIVE:
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            self._text = Text

            self._live = Live(Text(self.status()), console=Console(file=stream, highlight=False), refresh_per_second=2, transient=True)
            self._live.start()
        if mode != QUIET:
            self._ticker = threading.Thread(target=self._tick, name="retail-synth-progress", daemon=True)
            self._ticker.start()

    def rows_so_far(self) -> int:
        """Never fewer than shown before: the task share is of whatever stages run now, and a new stage restarts it."""
        share = self.tasks.share() if self.tasks and self.writing else 0.0
        rows = sum(self.written.values()) + int(sum(self.estimates.get(t, 0) for t in self.writing) * share)
        self._most_rows = max(self._most_rows, rows)
        return self._most_rows

    def status(self) -> str:
        elapsed = time.perf_counter() - self.started
        rows = self.rows_so_far()
        rate = rows / elapsed if elapsed > 0 else 0.0
        remaining = max(self.total - rows, 0)
        eta = duration(remaining / rate) if rate > 0 and rows >= ETA_FROM_SHARE * self.total else "?"
        writing = f"; writing {', '.join(sorted(self.writing))}" if self.writing else ""
        return (f"{len(self.written)}/{len(self.estimates)} tables, {rows:,} of ~{self.total:,} rows, "
                f"{rate:,.0f} rows/s, ETA {eta}{writing}")

    def say(self, message: str) -> None:
        if self.mode == LIVE:
            self._live.console.print(message, markup=False, highlight=False)
        elif self.mode == LINES:
            print(message, file=self.stream, flush=True)

    def table_started(self, table: str) -> None:
        self.writing.add(table)

    def table_written(self, table: str, rows: int, seconds: float) -> None:
        self.writing.discard(table)
        self.written[table] = rows
        self.say(f"[{len(self.written)}/{len(self.estimates)}] {table}: {rows:,} rows in {seconds:.1f} s")

    def _tick(self) -> None:
        every = 1.0 if self.mode == LIVE else self.line_seconds
        while not self._stop.wait(every):
            if self.mode == LIVE:
                self._live.update(self._text(self.status()))
            else:
                self.say(f"progress: {self.status()}")

    def close(self) -> None:
        """Stop the display; closing twice is harmless."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._ticker:
            self._ticker.join()
        if self._live:
            self._live.stop()
        if self.tasks:
            self.tasks.close()
