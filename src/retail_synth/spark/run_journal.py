"""The run journal: which runs touched a target, and the table versions each found there.

A run records itself before it touches any table: its id, settings, status
`running` and each target table's version (or that it did not exist). It
ends `complete`, or `rolled_back` after a failure or a signal. A run killed
hard stays `running`, which is how `validate` sees an incomplete target and
`retail-synth rollback` knows the versions to go back to.

Path targets keep the journal in the run marker file next to the tables;
catalog targets in a small Delta table of the project's, `retail_synth_runs`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from pyspark.sql import types as T

from retail_synth.spark.delta_tables import RUN_ID_PROPERTY, Target
from retail_synth.spec.configuration import DEFAULT_SCENARIO, defaults, flatten
from retail_synth.spec.contracts import all_tables

RUN_MARKER = "_retail_synth_run.json"
JOURNAL_TABLE = "retail_synth_runs"
RUNNING, COMPLETE, ROLLED_BACK = "running", "complete", "rolled_back"
JOURNAL_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType(), False, {"comment": "Run id, as in each table's retail_synth.run_id property."}),
    T.StructField("status", T.StringType(), False, {"comment": "running, complete or rolled_back."}),
    T.StructField("record", T.StringType(), False, {"comment": "The run's journal record as JSON."}),
])


@dataclass
class RunRecord:
    run_id: str
    preset: str
    seed: int
    scenario: str
    started_at: str
    prior_versions: dict[str, int | None]   # each target table's version before the run; None: it did not exist
    status: str = RUNNING
    ended_at: str | None = None
    rows: int = 0
    summary: dict = field(default_factory=dict)    # tables with rows and seconds, phases: what generate printed
    settings: dict = field(default_factory=dict)   # every parameter of the run by dotted key (run_config.settings)

    @property
    def tables(self) -> list[dict]:
        return self.summary.get("tables", [])

    @classmethod
    def from_json(cls, doc: dict) -> RunRecord:
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


def _legacy_record(doc: dict) -> RunRecord:
    """A marker written before the journal existed: one complete run."""
    return RunRecord(doc["run_id"], doc.get("preset", "?"), doc.get("seed", 0), DEFAULT_SCENARIO,
                     str(doc.get("etl_timestamp", "")), {}, COMPLETE, None,
                     sum(t["rows"] for t in doc.get("tables", [])), doc)


class PathJournal:
    """The run marker file: every run recorded in the target, oldest first."""

    def __init__(self, target: Target):
        self.path = target.folder / RUN_MARKER

    def runs(self) -> list[RunRecord]:
        if not self.path.is_file():
            return []
        doc = json.loads(self.path.read_text())
        return [RunRecord.from_json(r) for r in doc["runs"]] if "runs" in doc else [_legacy_record(doc)]

    def write(self, runs: list[RunRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"runs": [asdict(r) for r in runs]}, indent=2, default=str) + "\n")
        temporary.replace(self.path)      # atomic: a reader sees the old journal or the new one

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class CatalogJournal:
    """A Delta table `retail_synth_runs` in the target schema, one row per run."""

    def __init__(self, spark, target: Target):
        self.spark, self.target = spark, target

    def runs(self) -> list[RunRecord]:
        if not self.target.exists(self.spark, JOURNAL_TABLE):
            return []
        rows = self.target.read(self.spark, JOURNAL_TABLE).collect()
        records = [RunRecord.from_json(json.loads(r["record"])) for r in rows]
        return sorted(records, key=lambda r: r.started_at)

    def write(self, runs: list[RunRecord]) -> None:
        rows = [(r.run_id, r.status, json.dumps(asdict(r), default=str)) for r in runs]
        (self.spark.createDataFrame(rows, JOURNAL_SCHEMA).coalesce(1)
         .writeTo(self.target.identifier(JOURNAL_TABLE)).using("delta")
         .tableProperty("comment", "The runs of retail-synth in this schema (retail-synth history).")
         .tableProperty(RUN_ID_PROPERTY, runs[-1].run_id)
         .createOrReplace())

    def remove(self) -> None:
        self.target.drop(self.spark, JOURNAL_TABLE)


class RunJournal:
    """Read and record runs, whatever the kind of target."""

    def __init__(self, spark, target: Target):
        self.store = PathJournal(target) if target.is_path else CatalogJournal(spark, target)

    def runs(self) -> list[RunRecord]:
        return self.store.runs()

    def record(self, run: RunRecord) -> None:
        """Add the run, or update it when it is already recorded."""
        runs = [r for r in self.runs() if r.run_id != run.run_id] + [run]
        self.store.write(sorted(runs, key=lambda r: r.started_at))

    def last(self) -> RunRecord | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def last_complete(self) -> RunRecord | None:
        return held_run(self.runs())

    def remove(self) -> None:
        self.store.remove()


def held_run(runs: list[RunRecord]) -> RunRecord | None:
    """The run whose tables the target holds: the newest complete one."""
    return next((r for r in reversed(runs) if r.status == COMPLETE), None)


def run_tables(spark, target: Target, held: RunRecord | None) -> list[str]:
    """The tables of the run the target holds: those its journal lists, else the gold tables that exist."""
    if held is not None and held.tables:
        return [t["table"] for t in held.tables]
    return [t for t in all_tables() if target.exists(spark, t)]


def run_settings(held: RunRecord | None) -> dict[str, object]:
    """The configuration of the run the target holds, which configured bounds follow; defaults for an older run."""
    return {**flatten(defaults()), **(held.settings if held else {})}
