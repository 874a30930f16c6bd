"""The generation job: dimensions on the driver, facts simulated inside Spark tasks, all to Delta.

Run it as `retail_synth.generate(...)`, `retail-synth generate ...`, `python -m retail_synth generate ...`
or `spark-submit .../retail_synth/__main__.py generate ...`: each goes through spark/job.py, which puts
the guard in front of `run_generation` here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from retail_synth.spark.affinity_table import AFFINITY_TABLE, READS, Affinity
from retail_synth.spark.delta_tables import (
    COMMIT_METADATA_CONF,
    Target,
    append_rows,
    merge_rows,
    replace_table,
    spark_schema,
    table_version,
)
from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spark.progress import QUIET, RunProgress
from retail_synth.spark.rollback import Rollback, roll_back
from retail_synth.spark.run_journal import COMPLETE, RunJournal, RunRecord
from retail_synth.spark.state_table import STATE_TABLES, write_pending_carts, write_state
from retail_synth.spark.target_claim import claim
from retail_synth.spark.walk_stage import WalkStage
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.run_config import RunConfig, settings
from retail_synth.tables.registry import CART_TABLES, WALK_TABLES, WRITTEN_TABLES


class RunInterrupted(BaseException):
    """SIGINT or SIGTERM arrived during a run (a BaseException, like KeyboardInterrupt, so nothing swallows it)."""


class RunAborted(Exception):
    """The run stopped part-way; every table it had replaced was put back (see `rollback`)."""

    def __init__(self, cause: BaseException, rollback: Rollback):
        super().__init__(str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__)
        self.cause, self.rollback = cause, rollback

    @property
    def interrupted(self) -> bool:
        return isinstance(self.cause, (RunInterrupted, KeyboardInterrupt))


@dataclass(frozen=True)
class TableSummary:
    """One written table: its rows and the seconds its write took."""

    table: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class RunSummary:
    """What a finished run wrote, and how long each part took; the run journal keeps it as `as_dict()`."""

    run_id: str
    preset: str
    scenario: str
    seed: int
    start_date: dt.date
    end_date: dt.date
    etl_timestamp: dt.datetime
    target: str                         # the target's description: a resolved folder, or catalog.schema
    tables: tuple[TableSummary, ...]    # in WRITTEN_TABLES order
    cart_exchange: str                  # barrier, pilot, stages or in_task, as the walk ran it
    walk_tasks: int
    phase_seconds: dict[str, float]     # walk, carts, after_walk
    seconds: float                      # the whole run, Spark's start not included
    walk_fallback: str = ""             # why the walk left barrier for stages (the error line naming it); "" if it did not

    @classmethod
    def of(cls, run_id: str, config: RunConfig, target: Target, etl_timestamp: dt.datetime, start_date: dt.date,
           stage: WalkStage, written: dict[str, TableSummary], started: float) -> RunSummary:
        """The summary of a run (a generate, or an extend from `start_date`) whose walk was `stage`.

        `written` holds every table of WRITTEN_TABLES: a missing one is an error, not 0 rows.
        """
        return cls(
            run_id=run_id, preset=config.preset, scenario=config.scenario_name, seed=config.seed,
            start_date=start_date, end_date=config.end_date, etl_timestamp=etl_timestamp, target=target.describe(),
            tables=tuple(written[name] for name in WRITTEN_TABLES),
            cart_exchange=stage.exchange, walk_tasks=stage.tasks, phase_seconds=stage.seconds,
            seconds=round(time.perf_counter() - started, 2), walk_fallback=stage.fallback,
        )

    @property
    def rows(self) -> int:
        """Rows written over all tables."""
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict:
        """The summary as plain values, in the form the run journal records."""
        return {
            "run_id": self.run_id, "preset": self.preset, "scenario": self.scenario, "seed": self.seed,
            "start_date": self.start_date, "end_date": self.end_date, "etl_timestamp": self.etl_timestamp,
            "target": self.target, "tables": [asdict(t) for t in self.tables],
            "cart_exchange": self.cart_exchange, "walk_tasks": self.walk_tasks,
            "phase_seconds": dict(self.phase_seconds), "seconds": self.seconds, "walk_fallback": self.walk_fallback,
        }


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_id_of(config: RunConfig, etl_timestamp: dt.datetime) -> str:
    return f"{config.preset}-seed{config.seed}-{etl_timestamp:%Y%m%dT%H%M%SZ}"


def begin_run(spark, target: Target, config: RunConfig, run_id: str) -> RunRecord:
    """Record the run and every target table's version before anything is written; tag the run's commits."""
    target.prepare(spark)
    run = RunRecord(run_id, config.preset, config.seed, config.scenario_name, _now(),
                    {table: table_version(spark, target, table) for table in (*WRITTEN_TABLES, *STATE_TABLES)},
                    settings=settings(config))
    RunJournal(spark, target).record(run)
    spark.conf.set(COMMIT_METADATA_CONF, run_id)
    return run


def run_generation(config: RunConfig, target: Target, spark, progress: RunProgress | None = None) -> RunSummary:
    """Write every gold table of `config` to `target`; returns rows and seconds per table.

    No guard here: `retail_synth.generate` (spark/job.py) checks the target
    first. The run claims the target before it touches it (TargetClaimed
    when another live run holds it) and frees it when it ends. On any
    failure or interrupt the run's Spark jobs are cancelled, every table it
    already replaced goes back to its recorded version, and `RunAborted`
    says what was restored.
    """
    return journalled_run(config, target, spark, progress, _write_tables)


WriteTables = Callable[[RunConfig, Target, object, str, dt.datetime, RunProgress], RunSummary]


def journalled_run(config: RunConfig, target: Target, spark, progress: RunProgress | None,
                   write_tables: WriteTables) -> RunSummary:
    """`write_tables` under the target's claim, recorded in its journal, every table put back if it fails."""
    progress = progress or RunProgress(dict.fromkeys(WRITTEN_TABLES, 0), QUIET)
    etl_timestamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with claim(spark, target, run_id_of(config, etl_timestamp)) as held:
        run = begin_run(spark, target, config, held.holder.run_id)
        try:
            summary = write_tables(config, target, spark, run.run_id, etl_timestamp, progress)
        except BaseException as error:
            raise RunAborted(error, roll_back(spark, target, run)) from error
        finally:
            spark.conf.unset(COMMIT_METADATA_CONF)
        run.status, run.ended_at, run.summary = COMPLETE, _now(), summary.as_dict()
        run.rows = summary.rows
        RunJournal(spark, target).record(run)
    return summary


REPLACE, APPEND, MERGE = "replace", "append", "merge"      # how a run writes a table (extend: spark/extend.py)


class TableWriter:
    """Writes one table of the target per call, as one commit tagged with the run, and records its rows and seconds.

    A generate replaces every table; an extend appends to most and merges
    into some (`modes`, by table: REPLACE when not named), each merge
    reading only the rows its `rewritable` condition allows (merge_rows).
    """

    def __init__(self, spark, target: Target, run_id: str, scenario: str, progress: RunProgress,
                 modes: dict[str, str] | None = None, rewritable: dict[str, str] | None = None):
        self.spark, self.target, self.run_id, self.scenario, self.progress = spark, target, run_id, scenario, progress
        self.modes, self.rewritable = modes or {}, rewritable or {}
        self.written: dict[str, TableSummary] = {}

    def __call__(self, name: str, frame) -> None:
        self.progress.table_started(name)
        started = time.perf_counter()
        contract, mode = load_contract(name), self.modes.get(name, REPLACE)
        if mode == APPEND:
            rows = append_rows(self.spark, frame, contract, self.target)
        elif mode == MERGE:
            rows = merge_rows(self.spark, frame, contract, self.target, f"_retail_synth_merge_{name}",
                              self.rewritable.get(name, "TRUE"))
        else:
            rows = replace_table(self.spark, frame, contract, self.target, self.run_id, self.scenario)
        seconds = time.perf_counter() - started
        self.written[name] = TableSummary(name, rows, round(seconds, 2))
        self.progress.table_written(name, rows, seconds)

    def state(self, frame, last_day: int) -> None:
        """Replace the simulation state table (no gold table: neither counted nor reported)."""
        write_state(self.spark, frame, self.target, self.run_id, last_day)

    def pending_carts(self, frame, last_day: int) -> None:
        """Replace the pending carts table (no gold table: neither counted nor reported)."""
        write_pending_carts(self.spark, frame, self.target, self.run_id, last_day)


def write_in_order(spark, pool: ThreadPoolExecutor, stage: WalkStage, dimensions, write: TableWriter,
                   affinity: Affinity, progress: RunProgress) -> None:
    """The run reads: the dimensions are written while the walk runs (a walk
    in one task leaves the other cores free; barrier tasks hold every core),
    then the block tables while the carts are decided, then the cart tables;
    the aggregate starts once the two facts it reads are written.
    """
    walked = pool.submit(stage.walk)
    jobs = [pool.submit(write, name, spark.createDataFrame(table, schema=spark_schema(load_contract(name))))
            for name, table in dimensions.items()]
    walked.result()
    progress.rows_begin()
    after_walk = time.perf_counter()
    decided = pool.submit(stage.decide_carts)
    facts = {name: pool.submit(write, name, stage.frame(name)) for name in WALK_TABLES}
    decided.result()
    facts |= {name: pool.submit(write, name, stage.frame(name)) for name in CART_TABLES}
    jobs += [pool.submit(write.state, stage.state_frame(), stage.days - 1),     # what extend resumes from
             pool.submit(write.pending_carts, stage.pending_frame(), stage.days - 1)]
    for name in READS:                  # the facts the aggregate reads
        facts[name].result()
    jobs.append(pool.submit(_write_affinity, affinity, write, stage.days - 1))
    for job in [*jobs, *facts.values()]:
        job.result()
    stage.seconds["after_walk"] = round(time.perf_counter() - after_walk, 2)


def _write_affinity(affinity: Affinity, write: TableWriter, last_day: int) -> None:
    """The pair sums, read from the facts as written, then the aggregate, read from the pair sums."""
    affinity.write_pair_sums(write.run_id, last_day)
    write(AFFINITY_TABLE, affinity.frame())


def write_in_threads(config: RunConfig, target: Target, spark, stage: WalkStage, dimensions, write: TableWriter,
                     progress: RunProgress, affinity: Affinity | None = None) -> None:
    """`write_in_order` on a pool of threads; a failure or a signal cancels the Spark jobs in flight.

    Each table is its own Spark job and atomic commit; a few at once overlap one job's commits and
    planning with another's computation. One more thread than writes: the walk or the carts hold one.
    The main thread only waits, so a signal reaches it at once and it can cancel the jobs in flight.
    `affinity` says where the aggregate's pair sums come from: every fact when None (a generate).
    """
    pool = ThreadPoolExecutor(max_workers=config.output.parallel_writes + 1)
    try:
        write_in_order(spark, pool, stage, dimensions, write, affinity or Affinity(spark, target, config), progress)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        spark.interruptAll()
        raise
    finally:
        pool.shutdown(wait=True)
        stage.close()


def _write_tables(config: RunConfig, target: Target, spark, run_id: str, etl_timestamp: dt.datetime,
                  progress: RunProgress) -> RunSummary:
    """Every table of the run, written as `write_in_order` tells; a failure cancels the Spark jobs in flight."""
    started = time.perf_counter()
    dimensions = build_dimensions(config, etl_timestamp)
    stage = WalkStage(spark, config, dimensions, etl_timestamp, progress.say)
    write = TableWriter(spark, target, run_id, config.scenario_name, progress)
    write_in_threads(config, target, spark, stage, dimensions, write, progress)
    return RunSummary.of(run_id, config, target, etl_timestamp, config.start_date, stage, write.written, started)
