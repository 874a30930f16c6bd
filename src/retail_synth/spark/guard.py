"""The safety guard: refuse a run that could damage data this project does not own.

`generate` refuses, before writing anything, when the target holds tables
this project did not write, when a name of the target matches a protected
pattern (`guard.protected_patterns`), or when the run would write more rows
than `output.max_rows`. `--force` (`force=True`) overrides the first two; the
size limit is lifted by raising `output.max_rows`. The size and the names are
decided from the configuration alone, before Spark starts; the owners of the
target's tables need a session.
"""

from __future__ import annotations

import fnmatch
import re

from retail_synth.spark.delta_tables import Target, table_run_id


class RunRefused(Exception):
    """The guard refused the run before anything in the target was touched; the message is the first refusal."""

    def __init__(self, refusals: list[str] | tuple[str, ...]):
        super().__init__(refusals[0])
        self.refusals = tuple(refusals)


def refuse(refusals: list[str] | tuple[str, ...]) -> None:
    """Raise RunRefused when there is any refusal."""
    if refusals:
        raise RunRefused(refusals)


def protected_name(target: Target, patterns: list[str]) -> str | None:
    """The first name of the target (or word within it) matching a protected pattern, as a refusal."""
    for part in target.name_parts:
        words = [part, *re.split(r"[^A-Za-z0-9]+", part)]
        for pattern in patterns:
            if any(fnmatch.fnmatch(word.lower(), pattern.lower()) for word in words if word):
                return (f"target {target.describe()} looks protected: '{part}' matches guard pattern '{pattern}' "
                        "(use --force to write there anyway)")
    return None


def oversized(estimated_rows: int, max_rows: int) -> str | None:
    if estimated_rows > max_rows:
        return (f"the run would write about {estimated_rows:,} rows, above output.max_rows ({max_rows:,}); "
                f"raise it with --set output.max_rows=N")
    return None


def tables_by_owner(spark, target: Target) -> tuple[list[str], list[str]]:
    """The target's tables split into this project's (they carry its run id property) and everyone else's."""
    ours: list[str] = []
    foreign: list[str] = []
    for table in target.tables(spark):
        (ours if table_run_id(spark, target, table) is not None else foreign).append(table)
    return ours, foreign


def foreign_refusal(spark, target: Target) -> str | None:
    _, foreign = tables_by_owner(spark, target)
    if foreign:
        return (f"{target.describe()} holds tables retail-synth did not write ({', '.join(foreign)}); "
                "use --force to write there anyway")
    return None


def refusals_before_spark(target: Target, estimated_rows: int, max_rows: int, patterns: list[str] | tuple[str, ...],
                          force: bool) -> list[str]:
    """The refusals the configuration decides, in the order they are reported: size always, names unless forced."""
    refusals = [oversized(estimated_rows, max_rows)]
    if not force:
        refusals.append(protected_name(target, list(patterns)))
    return [r for r in refusals if r]


def refusals_in_target(spark, target: Target, force: bool) -> list[str]:
    """The refusal the target's tables decide (someone else's tables are there), unless forced."""
    refusal = None if force else foreign_refusal(spark, target)
    return [refusal] if refusal else []
