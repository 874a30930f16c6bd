"""Realism figures: SQL files measuring how the data compares with published retail statistics, and their ranges.

Each `contracts/realism/<figure>.sql` (header: contracts/realism/README.md)
returns one row with `value` and `sample`, like a statistical quickstart
check, but carries no bound: its range is configuration (`realism.<figure>`
in conf/defaults.yaml, with the publication it comes from), so a scenario or
`--set` can move it. A figure outside its range is a warning about realism,
never a broken invariant; a figure no publication gives a range for is
declared with its source only, and reported as information (INFO).
`validate` and `report` read both through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from retail_synth.checks.quickstart import Bound, parse_bound
from retail_synth.checks.sql_checks import SqlCheckError, SqlText, read_header
from retail_synth.spec.configuration import defaults, flatten
from retail_synth.spec.resources import data_dir, stems
from retail_synth.spec.run_config import RealismRange

REALISM_DIR = data_dir("contracts", "realism")
SECTION = "realism"
INFORMATION = Bound("information", ())     # the bound of a figure without a published range: reported, never judged


class RealismError(SqlCheckError):
    """A realism file that cannot be read, or files and configured ranges that do not pair up."""


@dataclass(frozen=True)
class RealismQuery(SqlText):
    check: str
    description: str
    sql: str                      # the whole file, header included
    min_sample: int               # observations (column `sample`) needed to judge `value`


@dataclass(frozen=True)
class RealismFigure:
    """A realism query with the range a run configured for it."""

    query: RealismQuery
    range: RealismRange

    @property
    def name(self) -> str:
        return f"{SECTION}.{self.query.check}"

    @property
    def bound(self) -> Bound:
        """The range as a bound; an information figure's has no condition (validate reports it as INFO)."""
        if self.range.is_information:
            return INFORMATION
        return parse_bound(f"{self.range.value_min:g} <= value <= {self.range.value_max:g}")


def parse_realism(path) -> RealismQuery:
    """The query of one file, a Path or an importlib.resources Traversable."""
    header = read_header(path, error=RealismError)
    return RealismQuery(header.check, header.description, header.sql, header.min_sample)


def load_realism() -> list[RealismQuery]:
    """Every realism query, in file-name order."""
    return [parse_realism(REALISM_DIR / f"{check}.sql") for check in stems(REALISM_DIR, ".sql")]


def configured_ranges(settings: Mapping[str, Any]) -> dict[str, RealismRange]:
    """The `realism.<figure>` ranges of flat settings (dotted keys, as configuration.flatten gives)."""
    prefix = f"{SECTION}."
    figures = {key[len(prefix):].rsplit(".", 1)[0] for key in settings if key.startswith(prefix)}
    def bound(figure: str, side: str) -> float | None:
        value = settings.get(f"{prefix}{figure}.{side}")
        return None if value is None else float(value)

    return {figure: RealismRange(str(settings[f"{prefix}{figure}.source"]), bound(figure, "value_min"),
                                 bound(figure, "value_max"))
            for figure in sorted(figures)}


def realism_figures(settings: Mapping[str, object]) -> list[RealismFigure]:
    """Every realism query with its range in a run's settings (run_journal.run_settings: defaults filled in).

    The files and the entries of conf/defaults.yaml must pair up one to one;
    a run recorded with a figure since removed keeps validating.
    """
    queries = load_realism()
    files, declared = {q.check for q in queries}, set(configured_ranges(flatten(defaults())))
    unranged, unmeasured = sorted(files - declared), sorted(declared - files)
    if unranged or unmeasured:
        problems = [f"contracts/realism/{c}.sql has no '{SECTION}.{c}' range in conf/defaults.yaml" for c in unranged]
        problems += [f"'{SECTION}.{c}' in conf/defaults.yaml has no contracts/realism/{c}.sql" for c in unmeasured]
        raise RealismError("; ".join(problems))
    ranges = configured_ranges(settings)
    return [RealismFigure(q, ranges[q.check]) for q in queries]
