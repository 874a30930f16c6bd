"""What each gold table reads from the World: one small frozen view per table, built here and nowhere else.

A table module's `batches(view, part, etl_timestamp, batch_rows)` receives
its view, never the World (about 60 fields), so its signature says what it
reads; registry.formatter builds the view once per table and binds it, and
the view is all a Spark task formatting the table is sent.

A field named as a World field is that field, copied by `_copied`; the
others are given by the view's `of`: a run parameter, or the inputs of the
table's model (src/retail_synth/model/simulation: sessions, size_fit,
abandonment, block_forecast), which makes the table's draws.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np

from retail_synth.model.simulation.abandonment import AbandonmentInputs
from retail_synth.model.simulation.block_forecast import ForecastInputs
from retail_synth.model.simulation.customer_versions import CustomerVersions
from retail_synth.model.simulation.disruptions import Disruptions
from retail_synth.model.simulation.pricing import PriceBook
from retail_synth.model.simulation.sessions import SessionInputs
from retail_synth.model.simulation.size_fit import SizeFitInputs
from retail_synth.model.simulation.world import World

View = TypeVar("View")


def _copied(view: type[View], world: World, **given: Any) -> View:
    """A `view` whose fields not `given` are the World's fields of the same name."""
    names = [f.name for f in fields(view) if f.name not in given]       # type: ignore[arg-type]
    return view(**{name: getattr(world, name) for name in names}, **given)


@dataclass(frozen=True)
class SalesView:
    """gold_sales_fact: keys, list prices, costs and taxes of the lines' products and locations."""

    days: np.ndarray                  # datetime64[D] per simulation day (keys.sim_dates)
    date_key: np.ndarray              # yyyymmdd per simulation day
    customer_versions: CustomerVersions   # customer_key of the version in effect on the line's day
    product_key: np.ndarray
    location_key: np.ndarray
    channel_key: np.ndarray
    base_price: np.ndarray            # per product
    unit_cost: np.ndarray             # per product
    location_id: np.ndarray           # per location: terminal and associate ids
    location_type: np.ndarray         # per location: fulfillment_type
    state_tax_rate: np.ndarray        # per location

    @classmethod
    def of(cls, world: World) -> SalesView:
        return _copied(cls, world)


@dataclass(frozen=True)
class InventoryView:
    """gold_inventory_fact: keys and the values and flags of a position's stock."""

    days: np.ndarray
    date_key: np.ndarray
    product_key: np.ndarray
    location_key: np.ndarray
    unit_cost: np.ndarray
    base_price: np.ndarray
    end_of_life_day: np.ndarray       # is_discontinued
    overstock_cover_days: int         # inventory.overstock_cover_days

    @classmethod
    def of(cls, world: World) -> InventoryView:
        return _copied(cls, world, overstock_cover_days=world.config.inventory.overstock_cover_days)


@dataclass(frozen=True)
class MovementView:
    """gold_inventory_movement_fact: keys and unit costs."""

    days: np.ndarray
    date_key: np.ndarray
    product_key: np.ndarray
    location_key: np.ndarray
    unit_cost: np.ndarray

    @classmethod
    def of(cls, world: World) -> MovementView:
        return _copied(cls, world)


@dataclass(frozen=True)
class StockoutView:
    """gold_stockout_events: keys and the peak season flag of the start day."""

    date_key: np.ndarray
    product_key: np.ndarray
    location_key: np.ndarray
    is_peak_season: np.ndarray        # per simulation day

    @classmethod
    def of(cls, world: World) -> StockoutView:
        return _copied(cls, world)


@dataclass(frozen=True)
class AnomalyView:
    """gold_anomaly_label: keys, the scenario's planned disruptions and its name."""

    date_key: np.ndarray
    product_key: np.ndarray
    location_key: np.ndarray
    disruptions: Disruptions
    scenario_name: str

    @classmethod
    def of(cls, world: World) -> AnomalyView:
        return _copied(cls, world, scenario_name=world.config.scenario_name)


@dataclass(frozen=True)
class ForecastView:
    """gold_demand_forecast_fact: keys, and the inputs of block_forecast."""

    days: np.ndarray
    date_key: np.ndarray
    product_key: np.ndarray
    location_key: np.ndarray
    forecast: ForecastInputs

    @classmethod
    def of(cls, world: World) -> ForecastView:
        inputs = ForecastInputs(params=world.config.forecast, plan_days=world.plan_days, launch_day=world.launch_day,
                                end_of_life_day=world.end_of_life_day, seasonality=world.seasonality,
                                prices=PriceBook.of(world))
        return _copied(cls, world, forecast=inputs)


@dataclass(frozen=True)
class SizeFitView:
    """gold_size_fit_bridge: keys (a line's line_item_id spelt from date_key), and the inputs of size_fit."""

    date_key: np.ndarray
    customer_versions: CustomerVersions
    product_key: np.ndarray
    size_fit: SizeFitInputs

    @classmethod
    def of(cls, world: World) -> SizeFitView:
        declared = world.config.distributions
        inputs = SizeFitInputs(seed=world.seed, ordered_size=declared.ordered_size,
                               return_reason=declared.return_reason, kept_fit=declared.kept_fit,
                               product_size_chart=world.product_size_chart,
                               customer_size_tops=world.customer_size_tops,
                               customer_size_bottoms=world.customer_size_bottoms, epoch_day=world.epoch_day)
        return _copied(cls, world, size_fit=inputs)


@dataclass(frozen=True)
class AbandonmentView:
    """gold_cart_abandonment_fact: keys, the first horizon day, the run's first day, and the inputs of abandonment."""

    warmup_days: int                  # carts before it are not rows
    first_day: int                    # the run's first simulated day: 0, or the day a continuation resumes at
    date_key: np.ndarray
    customer_versions: CustomerVersions
    channel_key: np.ndarray
    abandonment: AbandonmentInputs

    @property
    def first_written_day(self) -> int:
        """The first day whose carts this run writes."""
        return max(self.first_day, self.warmup_days)

    @classmethod
    def of(cls, world: World, first_day: int = 0) -> AbandonmentView:
        declared = world.config.distributions
        inputs = AbandonmentInputs(seed=world.seed, carts=world.config.carts, stages=declared.abandonment_stage,
                                   reasons=declared.abandonment_reason)
        return _copied(cls, world, first_day=first_day, abandonment=inputs)


@dataclass(frozen=True)
class EventView:
    """gold_customer_event_fact: keys, the customers' geography, product types, and the inputs of sessions."""

    days: np.ndarray                  # datetime64[D] per simulation day: an event's day
    date_key: np.ndarray
    customer_versions: CustomerVersions   # key and home store of the version in effect on the event's day
    product_key: np.ndarray
    location_key: np.ndarray
    channel_key: np.ndarray
    channel_is_digital: np.ndarray    # per channel: no location_key online
    location_city: np.ndarray         # per location: a customer's geo_city is the home store's
    location_region: np.ndarray
    product_type: np.ndarray          # per product: search terms
    sessions: SessionInputs

    @classmethod
    def of(cls, world: World, first_day: int = 0) -> EventView:
        """`first_day`: the run's first simulated day (0, or the day a continuation resumes at)."""
        declared = world.config.distributions
        inputs = SessionInputs(
            seed=world.seed, warmup_days=world.warmup_days, first_day=first_day, events=world.config.events,
            browse_sessions=declared.browse_sessions, abandonment_stage=declared.abandonment_stage,
            source_by_channel=tuple(declared.session_source[str(c)] for c in world.channel_code),
            device_by_channel=tuple(declared.session_device[str(c)] for c in world.channel_code),
            customer_key=world.customer_key, popularity_cdf=world.popularity_cdf,
            popularity_guide=world.popularity_guide, launch_day=world.launch_day,
            end_of_life_day=world.end_of_life_day, days=world.days, prices=PriceBook.of(world),
        )
        return _copied(cls, world, sessions=inputs)
