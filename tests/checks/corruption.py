"""The corruptions of tests/checks/corruptions.yaml: one per check of `validate`, each a change of one gold table.

A corruption picks rows of one table of a run: those matching `where` (SQL
over the table, aliased `t`), and of those only the first by primary key
unless `rows: all`. It then changes them: `set` replaces them by themselves
with columns recomputed (SQL over the picked row), `add: n` adds n copies
(changed by `set`, numbered by `copy_number`), `delete` removes them;
`retype`, `drop` and `swap` change the table's columns instead of its rows,
`journal` the run journal instead of a table. The corrupted table is SQL over the temp view of
the real one (named like the table), so it is resolved before its view takes
the real one's name, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retail_synth.spec.contracts import Contract, load_contract

CATALOGUE_FILE = Path(__file__).with_name("corruptions.yaml")
RUNS = ("tiny", "anomaly_heavy")      # the session fixtures `tiny_run` and `anomaly_heavy_run`
KEYS = {"table", "run", "where", "rows", "set", "add", "delete", "retype", "drop", "swap", "settings", "journal", "why"}


@dataclass(frozen=True)
class Corruption:
    check: str                              # the check it must make fail, named as validate reports it
    table: str                              # the gold table it changes (for a contract check: the check's table)
    why: str = ""                           # how the change breaks the check, when the check's name does not say
    run: str = "tiny"                       # the run it corrupts: tiny, or anomaly_heavy (the only one with labels)
    where: str = "true"
    rows: str = "first"                     # first (by primary key) or all of the rows matching `where`
    set: dict[str, str] = field(default_factory=dict)
    add: int = 0
    delete: bool = False
    retype: dict[str, str] = field(default_factory=dict)       # {column: type}: the column cast to another type
    drop: str = ""                          # a column left out
    swap: tuple[str, ...] = ()              # two columns, each in the other's place
    settings: dict[str, object] = field(default_factory=dict)  # bound settings over the run's (a scenario's promise)
    journal: str = ""                       # the status the run journal's last run is given

    @property
    def changes_columns(self) -> bool:
        return bool(self.retype or self.drop or self.swap)

    @property
    def contract(self) -> Contract:
        return load_contract(self.table)

    def picked(self) -> str:
        """The rows the corruption changes."""
        sql = f"SELECT * FROM {self.table} AS t WHERE {self.where}"
        if self.rows == "all":
            return sql
        order = self.contract.primary_key or self.contract.column_names
        return f"{sql} ORDER BY {', '.join(order)} LIMIT 1"

    def changed(self, picked: str = "") -> str:
        """The picked rows (or those of SQL `picked`) as the corruption leaves them: `add` copies when it adds."""
        columns = ", ".join(f"{self.set[c]} AS {c}" if c in self.set else c for c in self.contract.column_names)
        rows = f"({picked or self.picked()})"
        if self.add:     # a generator, not a join: Spark would broadcast the copies in a job of their own
            rows = f"(SELECT *, explode(sequence(1, {self.add})) AS copy_number FROM {rows})"
        return f"SELECT {columns} FROM {rows} AS t"

    def corrupted(self, picked: str = "") -> str:
        """The whole table with the corruption applied (to the rows of SQL `picked`, when found elsewhere)."""
        columns, picked = ", ".join(self.contract.column_names), picked or self.picked()
        if self.changes_columns:
            return f"SELECT {', '.join(self._schema_columns(self.contract.column_names))} FROM {self.table}"
        everything = f"SELECT {columns} FROM {self.table}"
        if self.add:
            return f"{everything} UNION ALL {self.changed(picked)}"
        if self.rows == "all":
            kept = f"{everything} AS t WHERE NOT coalesce({self.where}, false)"
        elif self.contract.primary_key:
            kept = f"{everything} LEFT ANTI JOIN ({picked}) USING ({', '.join(self.contract.primary_key)})"
        else:
            kept = f"{everything} EXCEPT ALL SELECT {columns} FROM ({picked})"
        return kept if self.delete else f"{kept} UNION ALL {self.changed(picked)}"

    def _schema_columns(self, columns: list[str]) -> list[str]:
        order = list(columns)
        if self.swap:
            i, j = (order.index(c) for c in self.swap)
            order[i], order[j] = order[j], order[i]
        return [f"CAST({c} AS {self.retype[c]}) AS {c}" if c in self.retype else c for c in order if c != self.drop]


@dataclass(frozen=True)
class Catalogue:
    corruptions: dict[str, Corruption]      # by the check each one breaks
    unreachable: dict[str, str]             # checks no corruption of tiny can reach, with why


def _corruption(check: str, entry: dict) -> Corruption:
    unknown = set(entry) - KEYS
    if unknown:
        raise ValueError(f"{CATALOGUE_FILE.name}, {check}: unknown keys {sorted(unknown)}")
    table = entry.get("table") or check.split(".")[0]
    fields = {k: tuple(v) if k == "swap" else v for k, v in entry.items() if k != "table"}
    corruption = Corruption(check, table, **fields)
    if corruption.run not in RUNS or corruption.rows not in ("first", "all"):
        raise ValueError(f"{CATALOGUE_FILE.name}, {check}: run {corruption.run!r}, rows {corruption.rows!r}")
    return corruption


def load_catalogue() -> Catalogue:
    doc = yaml.safe_load(CATALOGUE_FILE.read_text())
    corruptions = {check: _corruption(check, entry or {}) for check, entry in doc["corruptions"].items()}
    return Catalogue(corruptions, dict(doc.get("unreachable") or {}))
