"""A guarded run: the configuration, the guard, the session, then the journalled run that rolls back on failure.

`retail_synth.generate` is this module's `generate`; the command line, the
notebook and Python callers all go through it, so no way in skips the guard.
The guard refuses before anything in the target is touched: the size and the
protected names before Spark starts, the target's foreign tables once a
session can list them. `force=True` is the only way past the names and the
foreign tables; the size limit is lifted by raising `output.max_rows`. A
target another live run is writing is refused too (spark/target_claim.py),
and nothing passes that.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from retail_synth.spark import guard, target_claim
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.generate import RunSummary, run_generation
from retail_synth.spark.progress import LINES, LIVE, QUIET, RunProgress, SparkTaskShare
from retail_synth.spec.configuration import load_config
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables.row_estimates import estimated_rows


@dataclass(frozen=True)
class Plan:
    """What a run would write, and the guard's verdict on it."""

    config: RunConfig
    target: Target
    estimates: dict[str, int]       # estimated rows per table, in WRITTEN_TABLES order
    refusals: tuple[str, ...]       # one line each, in the order they are reported; empty: the guard lets it write
    target_checked: bool            # the target's tables were looked at (it takes a session)

    @property
    def rows(self) -> int:
        return sum(self.estimates.values())


def plan(config: RunConfig, target: Target, spark=None, *, force: bool = False) -> Plan:
    """The tables and rows `config` would write to `target`, and the guard's verdict.

    Without a session only what the configuration decides (size, protected
    names); with one, also whether another live run holds the target and
    whether it holds tables of someone else.
    """
    estimates = estimated_rows(config)
    refusals = guard.refusals_before_spark(target, sum(estimates.values()), config.output.max_rows,
                                           config.guard.protected_patterns, force)
    if spark is not None:
        refusals += [r for r in [target_claim.claimed_refusal(spark, target)] if r]
        refusals += guard.refusals_in_target(spark, target, force)
    return Plan(config, target, estimates, tuple(refusals), spark is not None)


def open_session(config: RunConfig, target: Target, remote: str | None = None):
    """The session a run of `config` uses: the active one, Spark Connect (`remote`), or a new embedded one."""
    from retail_synth.spark.session import get_spark

    return get_spark(remote=remote, persistent_catalog=not target.is_path, driver_memory=config.spark.driver_memory,
                     arrow_batch_rows=config.output.batch_rows)


def generate(
    config: RunConfig | None = None,
    *,
    target: Target,
    spark=None,
    preset: str | None = None,
    scenario: str | None = None,
    seed: int | None = None,
    assignments: Sequence[str] = (),
    config_file: str | None = None,
    force: bool = False,
    progress: str | RunProgress = QUIET,
    remote: str | None = None,
    on_start: Callable[[Plan], None] | None = None,
) -> RunSummary:
    """Write every gold table of a configuration to `target`, if the guard lets it; what was written.

    `config`, or the preset, scenario, seed, `--set` assignments and config
    file to resolve one (`load_config`). `spark`: the session to use; without
    one the embedded session is started (or Spark Connect at `remote`).
    `progress`: a display mode (`"quiet"`, `"lines"`, `"live"`) or a
    RunProgress of the caller's. `on_start(plan)` is called once the guard
    has passed, just before the run records itself in the target.

    Raises ConfigError for a bad configuration and RunRefused when the guard
    refuses (TargetClaimed when another live run holds the target), both
    before the target is touched; RunAborted when the run
    stopped part-way, after every table it had replaced was put back.
    """
    if config is None:
        config = load_config(preset=preset, config_file=config_file, assignments=tuple(assignments), seed=seed,
                             scenario=scenario)
    elif preset or config_file or assignments or seed is not None or scenario:
        raise TypeError("generate takes a RunConfig or the preset, scenario, seed, assignments and config file "
                        "to resolve one, not both")
    if not isinstance(progress, RunProgress) and progress not in (QUIET, LINES, LIVE):
        raise ValueError(f"progress {progress!r}: give {QUIET!r}, {LINES!r}, {LIVE!r} or a RunProgress")
    verdict = plan(config, target, force=force)
    guard.refuse(verdict.refusals)                  # decided before Spark starts
    spark = spark if spark is not None else open_session(config, target, remote)
    target_claim.refuse_if_claimed(spark, target)   # first: a live run's tables in the making are no foreign tables
    guard.refuse(guard.refusals_in_target(spark, target, force))
    verdict = replace(verdict, target_checked=True)
    if on_start is not None:
        on_start(verdict)
    if isinstance(progress, RunProgress):
        return run_generation(config, target, spark, progress)
    shown = RunProgress(verdict.estimates, progress, SparkTaskShare(spark) if progress != QUIET else None)
    try:
        return run_generation(config, target, spark, shown)
    finally:
        shown.close()


def extend(
    *,
    target: Target,
    days: int | None = None,
    until: dt.date | None = None,
    assignments: Sequence[str] = (),
    spark=None,
    force: bool = False,
    progress: str | RunProgress = QUIET,
    remote: str | None = None,
    on_start: Callable[[Plan], None] | None = None,
) -> RunSummary:
    """Add `days` days (or the days until `until`) to the run `target` holds, walked on from its stored state.

    The run's settings come from the target's journal; `assignments` may
    change only what never changes a row (spark.*, output.*, guard.*).
    Raises ValueError for days or until that cannot be, RunRefused (an
    ExtendRefused) when the target cannot be extended as asked, both before
    the target is touched; RunAborted when the extend stopped part-way,
    after every table it had changed was put back.
    """
    if (days is None) == (until is None):
        raise ValueError("give the days to add or the day to extend until, not both and not neither")
    if days is not None and days < 1:
        raise ValueError(f"days {days}: give 1 or more")
    if not isinstance(progress, RunProgress) and progress not in (QUIET, LINES, LIVE):
        raise ValueError(f"progress {progress!r}: give {QUIET!r}, {LINES!r}, {LIVE!r} or a RunProgress")
    from retail_synth.spark.extend import extension_estimates, extension_of, run_extension

    spark = spark if spark is not None else open_session(load_config(), target, remote)
    target_claim.refuse_if_claimed(spark, target)
    extension = extension_of(spark, target, days=days, until=until, assignments=tuple(assignments))
    config = extension.config
    estimates = extension_estimates(extension)
    refusals = guard.refusals_before_spark(target, sum(estimates.values()), config.output.max_rows,
                                           config.guard.protected_patterns, force)
    refusals += guard.refusals_in_target(spark, target, force)
    guard.refuse(refusals)
    verdict = Plan(config, target, estimates, (), True)
    if on_start is not None:
        on_start(verdict)
    if isinstance(progress, RunProgress):
        return run_extension(extension, target, spark, progress)
    shown = RunProgress(estimates, progress, SparkTaskShare(spark) if progress != QUIET else None)
    try:
        return run_extension(extension, target, spark, shown)
    finally:
        shown.close()


@dataclass(frozen=True)
class StreamedDay:
    """One day `stream` added: what the extend wrote, and how far behind its schedule it finished."""

    summary: RunSummary
    lag_seconds: float          # 0 when the day was written before its slot ended


def stream(
    *,
    target: Target,
    day_seconds: float,
    days: int | None = None,
    assignments: Sequence[str] = (),
    spark=None,
    remote: str | None = None,
    on_day: Callable[[StreamedDay], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Extend `target` by one day every `day_seconds` seconds, `days` times (None: until interrupted); the days written.

    Each day is one extend: one commit per table, rolled back as a whole if
    it stops part-way, so a consumer sees whole days. Day i is due
    i * day_seconds after the start; a day that takes longer puts the next
    ones behind, which `on_day` is told as the lag.
    """
    if day_seconds < 0:
        raise ValueError(f"day_seconds {day_seconds}: give 0 or more")
    if days is not None and days < 1:
        raise ValueError(f"days {days}: give 1 or more")
    spark = spark if spark is not None else open_session(load_config(), target, remote)
    started, written = clock(), 0
    while days is None or written < days:
        summary = extend(target=target, days=1, assignments=assignments, spark=spark)
        written += 1
        due = started + written * day_seconds
        if on_day is not None:
            on_day(StreamedDay(summary, round(max(0.0, clock() - due), 2)))
        if days is None or written < days:
            sleep(max(0.0, due - clock()))
    return written
