"""The dimension tables (contracts with source: dimensions): small, built on the driver from seeded pools, written from Arrow."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from retail_synth.model.dimensions import run_dimensions
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables.registry import DIMENSION_TABLES


def build_dimensions(config: RunConfig, etl_timestamp: dt.datetime) -> dict[str, pa.Table]:
    """Every `dimensions` table of the registry, keyed in its writing order (DIMENSION_TABLES)."""
    built = run_dimensions.build_dimensions(config, etl_timestamp)
    if set(built) != set(DIMENSION_TABLES):
        raise ValueError(f"dimension contracts {sorted(DIMENSION_TABLES)} but builders for {sorted(built)}")
    return {name: built[name] for name in DIMENSION_TABLES}
