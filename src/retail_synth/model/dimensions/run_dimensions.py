"""The six dimension tables of one run, built once from its configuration.

The spark layer writes them (spark/dimension_tables.py) and the world reads
four of them (simulation/world.build_world); both get them from
`build_dimensions`, so what is written is what was simulated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace

import pyarrow as pa

from retail_synth.model.dimensions.calendar import build_date_dim
from retail_synth.model.dimensions.channels import build_channel_dim
from retail_synth.model.dimensions.customers import build_customer_dim, customer_versions
from retail_synth.model.dimensions.locations import build_location_dim
from retail_synth.model.dimensions.products import build_product_dim
from retail_synth.model.dimensions.time_of_day import build_time_dim
from retail_synth.model.simulation.customer_history import simulated_history
from retail_synth.spec.run_config import RunConfig


@dataclass(frozen=True, eq=False)
class Dimensions(Mapping[str, pa.Table]):
    """The dimension tables of a run; also a read-only mapping from gold table name to table."""

    gold_date_dim: pa.Table
    gold_time_dim: pa.Table
    gold_channel_dim: pa.Table
    gold_location_dim: pa.Table
    gold_product_dim: pa.Table
    gold_customer_dim: pa.Table

    def __getitem__(self, table: str) -> pa.Table:
        if table not in self.names():
            raise KeyError(table)
        return getattr(self, table)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The gold tables held, in declaration order."""
        return tuple(f.name for f in fields(cls))


def date_dim_range(config: RunConfig) -> tuple[dt.date, dt.date]:
    """The written horizon plus the longest return delay, so every restock date has a date_key."""
    tail = dt.timedelta(days=config.returns.restock_delay_days_max)
    return config.start_date, config.end_date + tail


def build_dimensions(config: RunConfig, etl_timestamp: dt.datetime) -> Dimensions:
    """Every dimension table of the run; customers live near the stores of its locations, with every version
    the run's customer history decided (it reads the demand, so the World is built from their first versions)."""
    first_day, last_day = date_dim_range(config)
    locations = build_location_dim(config.locations.location_count, config.seed, etl_timestamp)
    dimensions = Dimensions(
        gold_date_dim=build_date_dim(first_day, last_day, etl_timestamp),
        gold_time_dim=build_time_dim(),
        gold_channel_dim=build_channel_dim(etl_timestamp),
        gold_location_dim=locations,
        gold_product_dim=build_product_dim(
            product_count=config.products.product_count,
            seed=config.seed,
            reference_day=config.start_date,
            plan_days=config.plan_days,
            active_share=config.products.active_share,
            etl_timestamp=etl_timestamp,
            distributions=config.distributions,
            written_days=config.horizon_days,
        ),
        gold_customer_dim=build_customer_dim(
            customer_count=config.customers.customer_count,
            seed=config.seed,
            segments=config.customers.segments,
            locations=locations,
            reference_day=config.start_date,
            history_years=config.customers.history_years,
            etl_timestamp=etl_timestamp,
            distributions=config.distributions,
            growth_monthly_rate=config.scenario.growth_monthly_rate,
            plan_days=config.plan_days,
            standard_store_customers=config.customers.standard_store_customers,
        ),
    )
    world, history = simulated_history(config, dimensions)
    versions = customer_versions(dimensions.gold_customer_dim, history, locations, world.segment_names, world.days)
    return replace(dimensions, gold_customer_dim=versions)
