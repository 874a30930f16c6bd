"""The configuration an extend continues: the recorded settings of the run a target holds, with a later end date.

A run's journal records every parameter by dotted key (run_config.settings),
as JSON. The extend resolves the recorded preset, scenario and seed again
and lays the recorded values over them, so a run made with a config file or
`--set` continues with exactly what it was made with. An extend may repeat
`--set`; a value other than the recorded one is refused, since the days
already written were simulated without it. Only the keys that never change a
row (spark.*, output.* and guard.*) may differ: they say how the job runs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from retail_synth.spec.configuration import ConfigError, defaults, flatten, resolve
from retail_synth.spec.run_config import RunConfig, settings

ROW_NEUTRAL_PREFIXES = ("spark.", "output.", "guard.")
HORIZON_KEYS = ("end_date", "horizon_days")       # what an extend moves; every other setting stays


def comparable(values: dict) -> dict:
    """Settings as the journal holds them (JSON: dates as text, tuples as lists)."""
    return json.loads(json.dumps(values, default=str))


def _assignment(key: str, value: object) -> str:
    """`key=value` that parse_assignment reads back as `value` (a date unquoted, so YAML reads a date)."""
    if isinstance(value, str) and isinstance(flatten(defaults()).get(key), dt.date):
        return f"{key}={value}"
    return f"{key}={json.dumps(value)}"


def _changed(key: str) -> bool:
    return not key.startswith(ROW_NEUTRAL_PREFIXES) and key not in HORIZON_KEYS


def continued_config(recorded: dict, *, preset: str, scenario: str, seed: int, end_date: dt.date,
                     assignments: tuple[str, ...] = ()) -> RunConfig:
    """The RunConfig of the recorded run with `end_date`, and the row-neutral `assignments` of this extend.

    Raises ConfigError when the recorded settings cannot be restored (an
    older layout) or when `assignments` change a setting the days already
    written were simulated with.
    """
    base = resolve(preset=preset.split("+")[0], scenario=scenario, seed=seed)
    current = comparable(settings(base))
    unknown = sorted(set(recorded) - set(current))
    missing = sorted(k for k in set(current) - set(recorded) if _changed(k))
    if unknown or missing:
        raise ConfigError(f"the target was written by another version of retail-synth (setting "
                          f"'{(unknown or missing)[0]}' is {'unknown here' if unknown else 'not recorded'}); "
                          "generate it again to extend it")
    differing = [k for k in recorded if recorded[k] != current[k] and k not in HORIZON_KEYS]
    try:
        config = resolve(preset=preset.split("+")[0], scenario=scenario, seed=seed,
                         assignments=[*(_assignment(k, recorded[k]) for k in differing), *assignments,
                                      f"end_date={end_date.isoformat()}"])
    except ConfigError as error:
        raise ConfigError(f"{error} (extending the recorded run)") from None
    now = comparable(settings(config))
    changed = [k for k in recorded if _changed(k) and now.get(k) != recorded[k]]
    if changed:
        raise ConfigError(f"--set {changed[0]}={now[changed[0]]} differs from the {recorded[changed[0]]!r} the target "
                          f"was written with; an extend continues the same settings (only spark.*, output.* and "
                          "guard.* may change)")
    return replace(config, preset=preset, scenario_name=scenario)
