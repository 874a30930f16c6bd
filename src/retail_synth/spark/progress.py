"""What a run shows while it writes: tables written, rows so far, rows/s and an ETA.

On a terminal a live line (rich) is redrawn every second; without one, a
line per table and a status line at least every 10 seconds; `--quiet`
shows neither. Rows so far are the rows of the tables already committed
plus, for each table being written, its estimated rows times the share of
its Spark tasks done, read from the status tracker on classic Spark and from
the progress handler PySpark 4 offers over Spark Connect.

Rows do not flow at one pace over a run: a generation writes only the
dimensions while it walks. The run says when its rows start to flow
(`rows_begin`); the rate, and the ETA from it, count from there.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.live import Live

LIVE, LINES, QUIET = "live", "lines", "quiet"
LINE_SECONDS = 10.0
# The ETA extrapolates the rate since the rows began to flow. The biggest tables count their rows a task at a
# time, so before this share of the rows still to come is in, that rate is a guess: "?" instead.
ETA_FROM_SHARE = 0.05


def display_mode(quiet: bool, stream=sys.stderr) -> str:
    if quiet:
        return QUIET
    return LIVE if stream.isatty() else LINES


def duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class TaskShare(Protocol):
    """What the progress display asks of a source of per-table progress (Spark's tasks, or a load's rows)."""

    def follow(self, table: str) -> None: ...
    def share(self, table: str) -> float: ...
    def close(self) -> None: ...


class SparkTaskShare:
    """The share of Spark tasks done in each table's jobs.

    A table's jobs carry its name, set by `follow` in the thread that writes
    it: a job group on classic Spark, read back from the status tracker; over
    Spark Connect the thread's table is noted for each operation whose
    progress PySpark 4's handler reports. Stages no task has run yet (a
    shuffle read from a persisted step is skipped) do not count.
    """

    def __init__(self, spark):
        from retail_synth.spark.session import is_connect

        self.spark, self.connect = spark, is_connect(spark)
        self.operations: dict[str, tuple[str, int, int]] = {}     # Connect: operation id -> (table, done, total)
        self._thread = threading.local()
        if self.connect:
            spark.registerProgressHandler(self._on_progress)

    def follow(self, table: str) -> None:
        """The jobs this thread starts from now on are `table`'s."""
        if self.connect:
            self._thread.table = table
        else:
            self.spark.sparkContext.setJobGroup(table, f"retail-synth writes {table}")

    def _on_progress(self, stages, inflight_tasks, operation_id=None, done=False, **_):  # noqa: ARG002  PySpark's handler signature
        table = getattr(self._thread, "table", None)
        if table is not None and not done:
            counts = [(s.num_completed_tasks, s.num_tasks) for s in stages or [] if s.num_completed_tasks or not s.done]
            self.operations[operation_id] = (table, sum(c[0] for c in counts), sum(c[1] for c in counts))

    def share(self, table: str) -> float:
        if self.connect:
            counts = [(d, t) for name, d, t in list(self.operations.values()) if name == table]
        else:
            tracker = self.spark.sparkContext.statusTracker()
            jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup(table)]
            stages = [tracker.getStageInfo(s) for job in jobs if job is not None for s in job.stageIds]
            counts = [(s.numCompletedTasks, s.numTasks) for s in stages
                      if s is not None and (s.numCompletedTasks or s.numActiveTasks)]
        done, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
        return done / total if total else 0.0

    def close(self) -> None:
        if self.connect:
            self.spark.clearProgressHandlers()


class RunProgress:
    """Observes a run: the generation job tells it what starts and ends; it never steers the run.

    `clock` (seconds, monotonic) times the rate and the ETA; a test gives its own to make them exact.
    """

    def __init__(self, estimates: dict[str, int], mode: str, tasks: TaskShare | None = None, stream=sys.stderr,
                 line_seconds: float = LINE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.estimates, self.mode, self.tasks, self.stream = estimates, mode, tasks, stream
        self.line_seconds, self.clock = line_seconds, clock
        self.total = sum(estimates.values())
        self.written: dict[str, int] = {}
        self.writing: set[str] = set()
        self._most_rows = 0
        self.started = clock()
        self._rate_from = (self.started, 0)     # (when, rows then): where the rate and the ETA count from
        self._stop = threading.Event()
        self._live: Live | None = None
        self._ticker = None
        if mode == LIVE:
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            self._text = Text

            self._live = Live(Text(self.status()), console=Console(file=stream, highlight=False),
                              refresh_per_second=2, transient=True)
            self._live.start()
        if mode != QUIET:
            self._ticker = threading.Thread(target=self._tick, name="retail-synth-progress", daemon=True)
            self._ticker.start()

    def rows_so_far(self) -> int:
        """Committed rows plus each table being written's estimate times its share of tasks done.

        Never fewer than shown before: a table's next job (its commit, say) restarts its share.
        """
        writing = sum(self.estimates.get(t, 0) * self.tasks.share(t) for t in list(self.writing)) if self.tasks else 0
        rows = sum(self.written.values()) + int(writing)
        self._most_rows = max(self._most_rows, rows)
        return self._most_rows

    def rows_begin(self) -> None:
        """The run's rows start to flow now (a generation: its walk is over); rate and ETA count from here."""
        self._rate_from = (self.clock(), self.rows_so_far())

    def status(self) -> str:
        since, rows_then = self._rate_from
        rows = self.rows_so_far()
        elapsed, flowed = self.clock() - since, rows - rows_then
        rate = flowed / elapsed if elapsed > 0 else 0.0
        remaining = max(self.total - rows, 0)
        enough = flowed >= ETA_FROM_SHARE * max(self.total - rows_then, 1)
        eta = duration(remaining / rate) if rate > 0 and enough else "?"
        writing = f"; writing {', '.join(sorted(self.writing))}" if self.writing else ""
        return (f"{len(self.written)}/{len(self.estimates)} tables, {rows:,} of ~{self.total:,} rows, "
                f"{rate:,.0f} rows/s, ETA {eta}{writing}")

    def say(self, message: str) -> None:
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)
        elif self.mode == LINES:
            print(message, file=self.stream, flush=True)

    def table_started(self, table: str) -> None:
        """Called in the thread that writes `table`, before any of its jobs start."""
        if self.tasks:
            self.tasks.follow(table)
        self.writing.add(table)

    def table_written(self, table: str, rows: int, seconds: float) -> None:
        self.writing.discard(table)
        self.written[table] = rows
        self.say(f"[{len(self.written)}/{len(self.estimates)}] {table}: {rows:,} rows in {seconds:.1f} s")

    def _tick(self) -> None:
        every = 1.0 if self.mode == LIVE else self.line_seconds
        while not self._stop.wait(every):
            if self._live is not None:
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
