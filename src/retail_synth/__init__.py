"""retail-synth: an inventory-consistent synthetic retail star schema, written by PySpark to Delta.

The Python API, the same job as `retail-synth generate` and `retail-synth validate`:

    import retail_synth
    from retail_synth import Target

    target = Target(output_dir="warehouse")          # or Target(catalog="main", schema="retail")
    summary = retail_synth.generate(target=target, preset="tiny", seed=7)
    print(f"{summary.rows:,} rows in {summary.seconds} s, run {summary.run_id}")
    retail_synth.extend(target=target, days=7)     # the next 7 days, walked on from the stored state
    print(retail_synth.validate(retail_synth.get_spark(), target).tally)

`generate` runs the guard before it touches the target: a protected name
(`prod`, `live`, ...), someone else's tables or more rows than
`output.max_rows` raise `RunRefused`; `force=True` passes the first two.

The names below load on first use, so `import retail_synth` (and
`retail_synth.spec`) does not import PySpark.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("retail-synth")
except PackageNotFoundError:        # run from a source tree that is not installed (e.g. PYTHONPATH=src)
    __version__ = "0+unknown"

# public name -> (module, attribute)
_EXPORTS = {
    "generate": ("retail_synth.spark.job", "generate"),
    "extend": ("retail_synth.spark.job", "extend"),
    "ExtendRefused": ("retail_synth.spark.extend", "ExtendRefused"),
    "plan": ("retail_synth.spark.job", "plan"),
    "Plan": ("retail_synth.spark.job", "Plan"),
    "RunSummary": ("retail_synth.spark.generate", "RunSummary"),
    "TableSummary": ("retail_synth.spark.generate", "TableSummary"),
    "RunAborted": ("retail_synth.spark.generate", "RunAborted"),
    "RunRefused": ("retail_synth.spark.guard", "RunRefused"),
    "Target": ("retail_synth.spark.delta_tables", "Target"),
    "TargetError": ("retail_synth.spark.delta_tables", "TargetError"),
    "get_spark": ("retail_synth.spark.session", "get_spark"),
    "load_config": ("retail_synth.spec.configuration", "load_config"),
    "ConfigError": ("retail_synth.spec.configuration", "ConfigError"),
    "RunConfig": ("retail_synth.spec.run_config", "RunConfig"),
    "validate": ("retail_synth.checks.validate", "validate"),
    "Validation": ("retail_synth.checks.validate", "Validation"),
    "NothingToValidate": ("retail_synth.checks.validate", "NothingToValidate"),
}

__all__ = [
    "ConfigError", "ExtendRefused", "NothingToValidate", "Plan", "RunAborted", "RunConfig", "RunRefused", "RunSummary",
    "TableSummary", "Target", "TargetError", "Validation", "__version__", "extend", "generate",
    "get_spark", "load_config", "plan", "validate",
]

if TYPE_CHECKING:
    from retail_synth.checks.validate import NothingToValidate, Validation, validate
    from retail_synth.spark.delta_tables import Target, TargetError
    from retail_synth.spark.extend import ExtendRefused
    from retail_synth.spark.generate import RunAborted, RunSummary, TableSummary
    from retail_synth.spark.guard import RunRefused
    from retail_synth.spark.job import Plan, extend, generate, plan
    from retail_synth.spark.session import get_spark
    from retail_synth.spec.configuration import ConfigError, load_config
    from retail_synth.spec.run_config import RunConfig


def __getattr__(name: str):
    """PEP 562: import a public name's module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
