"""The extend job: the days after the last one a target holds, walked on from its stored state and added to its tables.

An extend reads the run the target holds (its journal: settings, last day)
and the simulation state that run left (`_retail_synth_state`), walks the
new days from that state, and writes each table in ONE commit:
  facts        the new days' rows appended; gold_stockout_events and
               gold_cart_abandonment_fact MERGE on their key, since a row
               there describes an entity as of the last day (an open
               stockout, a cart whose recovery was still to come) and the
               extend rewrites it; the MERGE reads only the files that may
               hold such a row (rewritable_rows)
  dimensions   only the rows the longer run changes: new dates, products
               whose is_active moved (a MERGE); unchanged tables get no commit
  affinity     derived again (every row depends on the end date) from the held
               pair sums plus the sums of the rows the extend added (spark/affinity_table.py)
  state        replaced by the state after the new last day, the pair sums included
The guard, the claim, the journal and the rollback are generate's
(generate.journalled_run), so a failed or interrupted extend puts every
table back as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.spark.affinity_table import AFFINITY_TABLE, READS, Affinity
from retail_synth.spark.delta_tables import Target, table_version
from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spark.generate import (
    APPEND,
    MERGE,
    RunSummary,
    TableSummary,
    TableWriter,
    journalled_run,
    write_in_threads,
)
from retail_synth.spark.guard import RunRefused
from retail_synth.spark.progress import RunProgress
from retail_synth.spark.run_journal import RUNNING, RunJournal, RunRecord, held_run
from retail_synth.spark.state_table import AFFINITY_PAIRS_TABLE, PENDING_TABLE, STATE_TABLE, state_last_day
from retail_synth.spark.walk_stage import Resume, WalkStage
from retail_synth.spec.configuration import ConfigError
from retail_synth.spec.continued_config import continued_config
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables import cart_abandonment_fact, stockout_events
from retail_synth.tables.registry import DIMENSION_TABLES, FACT_TABLES, WRITTEN_TABLES
from retail_synth.tables.row_estimates import estimated_rows


class ExtendRefused(RunRefused):
    """The target cannot be extended as asked; one line saying why and what to do. Nothing was touched."""

    def __init__(self, message: str):
        super().__init__([message])


@dataclass(frozen=True)
class Extension:
    """What an extend continues and where it goes."""

    previous: RunRecord            # the complete run whose tables the target holds
    previous_config: RunConfig     # its configuration
    config: RunConfig              # the longer run: the same settings, a later end date
    first_day: int                 # simulation day index of the first new day

    @property
    def new_days(self) -> int:
        return self.config.simulated_days - self.first_day


def extension_of(spark, target: Target, *, days: int | None = None, until: dt.date | None = None,
                 assignments: tuple[str, ...] = ()) -> Extension:
    """The extension of the run `target` holds by `days` days or until `until`; ExtendRefused when there is none."""
    runs = RunJournal(spark, target).runs()
    if not runs:
        raise ExtendRefused(f"{target.describe()} holds no run of retail-synth: generate one first, then extend it")
    newest = runs[-1]
    if newest.status == RUNNING or newest.summary.get("rollback_left"):
        raise ExtendRefused(f"the last run in {target.describe()} ({newest.run_id}) is unfinished "
                            f"({newest.status}): run `retail-synth rollback` first")
    last = held_run(runs)            # the run whose tables the target holds: a rolled-back one left them as they were
    if last is None:
        raise ExtendRefused(f"{target.describe()} holds no complete run of retail-synth: generate one first")
    last_day = state_last_day(spark, target)
    if (last_day is None or not last.settings
            or any(state_last_day(spark, target, t) != last_day for t in (PENDING_TABLE, AFFINITY_PAIRS_TABLE))):
        raise ExtendRefused(f"{target.describe()} was written by an older retail-synth without the simulation state "
                            "extend resumes from: generate it again to extend it")
    recorded_end = dt.date.fromisoformat(str(last.settings["end_date"]))
    try:
        previous = continued_config(last.settings, preset=last.preset, scenario=last.scenario, seed=last.seed,
                                    end_date=recorded_end, assignments=assignments)
        if until is not None and until <= recorded_end:
            raise ExtendRefused(f"--until {until} is not after {recorded_end}, the last day {target.describe()} holds")
        end_date = until if until is not None else recorded_end + dt.timedelta(days=days or 0)
        config = continued_config(last.settings, preset=last.preset, scenario=last.scenario, seed=last.seed,
                                  end_date=end_date, assignments=assignments)
    except ConfigError as error:
        raise ExtendRefused(str(error)) from None
    if last_day != previous.simulated_days - 1:
        raise ExtendRefused(f"the state in {target.describe()} ends on day {last_day}, not on {recorded_end}: "
                            "generate it again to extend it")
    return Extension(last, previous, config, last_day + 1)


def extension_estimates(extension: Extension) -> dict[str, int]:
    """Rows an extend adds per table (the affinity aggregate is rewritten whole): for the guard and progress."""
    after, before = estimated_rows(extension.config), estimated_rows(extension.previous_config)
    return {t: after[t] if t == AFFINITY_TABLE else max(0, after[t] - before[t]) for t in WRITTEN_TABLES}


def run_extension(extension: Extension, target: Target, spark, progress: RunProgress | None = None) -> RunSummary:
    """Add the extension's days to every table of `target`; returns rows and seconds per table.

    No guard here: `retail_synth.extend` (spark/job.py) checks first. Claim,
    journal and rollback as `run_generation`.
    """
    return journalled_run(extension.config, target, spark, progress, partial(_extend_tables, extension))


def rewritable_rows(extension: Extension) -> dict[str, str]:
    """Per fact whose rows describe an entity as of the last day: a condition every row the extend rewrites meets.

    The episodes still open on the last day (NULL end), and the carts whose
    recovery may come after it: abandoned at most recovery_delay_days_max
    days before the first new day. Both tables are written sorted by that
    column (contract file_order), so the MERGE reads only the files that
    may hold them, instead of every file.
    """
    config = extension.config
    first_day = config.start_date + dt.timedelta(days=extension.first_day - config.warmup_days)
    oldest_pending = first_day - dt.timedelta(days=config.carts.recovery_delay_days_max)
    return {stockout_events.TABLE: "t.stockout_end_date_key IS NULL",
            cart_abandonment_fact.TABLE: f"t.date_key >= {oldest_pending:%Y%m%d}"}


def changed_rows(before: pa.Table, after: pa.Table, key: str) -> pa.Table:
    """The rows of `after` that `before` does not hold as they are (new keys, changed values); etl_timestamp aside."""
    at = pc.index_in(after[key], value_set=before[key])         # each row's row in `before`, null: a new key
    known = pc.is_valid(at)
    old = before.take(pc.fill_null(at, 0))
    differ = pc.invert(known)
    for name in after.column_names:
        if name != "etl_timestamp":
            a, b = after[name], old[name]
            same = pc.or_kleene(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
            differ = pc.or_(differ, pc.invert(same))
    return after.filter(differ)


def _dimension_changes(extension: Extension, dimensions: dict, etl_timestamp: dt.datetime) -> dict[str, pa.Table]:
    """Per dimension, the rows the longer run adds or changes; tables without any are left out."""
    before = build_dimensions(extension.previous_config, etl_timestamp)
    changes = {name: changed_rows(before[name], dimensions[name], load_contract(name).primary_key[0])
               for name in DIMENSION_TABLES}
    return {name: rows for name, rows in changes.items() if rows.num_rows}


def _extend_tables(extension: Extension, config: RunConfig, target: Target, spark, run_id: str,
                   etl_timestamp: dt.datetime, progress: RunProgress) -> RunSummary:
    """The new days of every table, written as generate's write_in_order tells, each in its own mode."""
    started = time.perf_counter()
    dimensions = build_dimensions(config, etl_timestamp)
    changes = _dimension_changes(extension, dimensions, etl_timestamp)
    resume = Resume(extension.first_day, target.read(spark, STATE_TABLE), target.read(spark, PENDING_TABLE))
    stage = WalkStage(spark, config, dimensions, etl_timestamp, progress.say, resume)
    rewritable = rewritable_rows(extension)
    modes = {**dict.fromkeys(DIMENSION_TABLES, MERGE), **dict.fromkeys(FACT_TABLES, APPEND),
             **dict.fromkeys(rewritable, MERGE)}
    write = TableWriter(spark, target, run_id, config.scenario_name, progress, modes, rewritable)
    held = {table: table_version(spark, target, table) or 0 for table in READS}
    affinity = Affinity(spark, target, config, held_versions=held)
    write_in_threads(config, target, spark, stage, changes, write, progress, affinity)
    first_date = config.start_date + dt.timedelta(days=extension.first_day - config.warmup_days)
    untouched = {name: TableSummary(name, 0, 0.0) for name in WRITTEN_TABLES}     # a dimension with no changes
    return RunSummary.of(run_id, config, target, etl_timestamp, first_date, stage, untouched | write.written, started)

