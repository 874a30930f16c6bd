"""The dimension tables (contracts with source: dimensions): small, built on the driver from seeded pools, written from Arrow."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from retail_synth.model.dimensions.calendar import build_date_dim
from retail_synth.model.dimensions.channels import build_channel_dim
from retail_synth.model.dimensions.customers import build_customer_dim
from retail_synth.model.dimensions.locations import build_location_dim
from retail_synth.model.dimensions.products import build_product_dim
from retail_synth.model.dimensions.time_of_day import build_time_dim
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables.registry import DIMENSION_TABLES


def date_dim_range(config: RunConfig) -> tuple[dt.date, dt.date]:
    """The written horizon plus the longest return delay, so every restock date has a date_key."""
    tail = dt.timedelta(days=config.returns.restock_delay_days_max)
    return config.start_date, config.end_date + tail


def build_dimensions(config: RunConfig, etl_timestamp: dt.datetime) -> dict[str, pa.Table]:
    """Every `dimensions` table of the registry, keyed in its writing order (DIMENSION_TABLES)."""
    seed = config.seed
    first_day, last_day = date_dim_range(config)
    locations = build_location_dim(config.locations.location_count, seed, etl_timestamp)
    built = {
        "gold_date_dim": build_date_dim(first_day, last_day, etl_timestamp),
        "gold_time_dim": build_time_dim(),
        "gold_channel_dim": build_channel_dim(etl_timestamp),
        "gold_location_dim": locations,
        "gold_product_dim": build_product_dim(
            config.products.product_count,
            seed,
            config.start_date,
            config.horizon_days,
            config.products.active_share,
            etl_timestamp,
            config.distributions,
        ),
        "gold_customer_dim": build_customer_dim(
            config.customers.customer_count,
            seed,
            config.customers.segments,
            locations,
            config.start_date,
            config.customers.history_years,
            etl_timestamp,
            config.distributions,
            config.scenario.growth_monthly_rate,
            config.horizon_days,
        ),
    }
    if set(built) != set(DIMENSION_TABLES):
        raise ValueError(f"dimension contracts {sorted(DIMENSION_TABLES)} but builders for {sorted(built)}")
    return {name: built[name] for name in DIMENSION_TABLES}
