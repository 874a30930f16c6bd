"""Put a target's tables back to the versions a run found them at.

Only the run's own commits are undone: a table is restored (Delta RESTORE)
or, if the run created it, dropped, only when every commit since the
recorded version carries the run's id. A table another writer committed to
since is left as it is and named, so nobody's work is lost silently. A path
table whose create was stopped before its first commit (a `_delta_log`
without a commit, files no table refers to) is removed like a created one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from retail_synth.spark.delta_tables import (
    COMMIT_METADATA_CONF,
    Target,
    commits_after,
    table_version,
)
from retail_synth.spark.run_journal import ROLLED_BACK, RunJournal, RunRecord

COMMIT_FILE = re.compile(r"\d{20}\.(json|checkpoint\b.*\.(parquet|json))")     # a Delta log's commits and checkpoints


@dataclass
class Rollback:
    restored: list[str] = field(default_factory=list)    # back at their recorded version
    dropped: list[str] = field(default_factory=list)     # created by the run, removed
    foreign: list[str] = field(default_factory=list)     # another writer committed since: left alone

    @property
    def complete(self) -> bool:
        return not self.foreign

    def describe(self) -> str:
        parts = [f"restored {len(self.restored)} table(s) to their previous version"]
        if self.dropped:
            parts.append(f"dropped {len(self.dropped)} table(s) the run had created")
        if self.foreign:
            parts.append(f"left {', '.join(self.foreign)} alone: another writer committed to it since")
        return "; ".join(parts)


def uncommitted(target: Target, table: str) -> bool:
    """A path table that has a `_delta_log` but no commit in it: a create stopped part-way, not yet a table."""
    log = Path(target.table_path(table)) / "_delta_log" if target.is_path else None
    return log is not None and log.is_dir() and not any(COMMIT_FILE.fullmatch(f.name) for f in log.iterdir())


def roll_back(spark, target: Target, run: RunRecord) -> Rollback:
    """Undo `run`'s commits on every table it recorded, and mark it rolled back in the journal."""
    spark.conf.unset(COMMIT_METADATA_CONF)
    outcome = Rollback()
    for table, prior in run.prior_versions.items():
        if prior is None and uncommitted(target, table):
            target.drop(spark, table)
            outcome.dropped.append(table)
            continue
        current = table_version(spark, target, table)
        if current is None or current == prior:
            continue
        since = commits_after(spark, target, table, -1 if prior is None else prior)
        if any(commit != run.run_id for commit in since):
            outcome.foreign.append(table)
        elif prior is None:
            target.drop(spark, table)
            outcome.dropped.append(table)
        else:
            spark.sql(f"RESTORE TABLE {target.identifier(table)} TO VERSION AS OF {prior}")
            outcome.restored.append(table)
    run.status = ROLLED_BACK
    run.ended_at = run.ended_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    run.summary = {**run.summary, "rollback": outcome.describe(), "rollback_left": outcome.foreign}
    RunJournal(spark, target).record(run)
    return outcome
