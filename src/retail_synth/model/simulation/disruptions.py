"""What a scenario plans before the walk: a node outage, demand lifts and wrong or cut prices.

Everything here is decided from the configuration and hashed ids, never from
stock, so every block (and the driver) derives the same plan. The anomalies
that depend on stock (shrinkage at a stock count, a late receipt) are drawn
inside the walk instead, where the stock is known (src/retail_synth/model/simulation/walk.py).

Windows are simulation day indices, both ends included, laid on the plan
(plan_days from start_date, RunConfig.plan_days), never on the written
horizon, so they do not move with end_date; a product has at most one demand
spike and one price error in the plan. A run shorter than its plan may end
before a window does; a run longer than its plan has them once, in its first
plan_days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retail_synth.spec import hashing
from retail_synth.spec.run_config import RunConfig

NO_DAY = -1


@dataclass(frozen=True)
class Window:
    """Days first..last (simulation day indices, both included); empty when first is NO_DAY."""

    first: int
    last: int

    def covers(self, day: int | np.ndarray) -> np.ndarray | bool:
        return (self.first <= day) & (day <= self.last)

    @property
    def days(self) -> int:
        return 0 if self.first == NO_DAY else self.last - self.first + 1


EMPTY = Window(NO_DAY, NO_DAY - 1)


def plan_window(first_day: int, days: int, plan_days: int, warmup_days: int) -> Window:
    """The window of `days` days from plan day `first_day` (1 = start_date; 0: centred in the plan).

    Configuration keeps it inside the plan.
    """
    first_day = first_day or (plan_days - days) // 2 + 1
    first = warmup_days + first_day - 1
    return Window(first, first + days - 1)


@dataclass(frozen=True)
class Disruptions:
    """The scenario's planned disruptions, by product and location index."""

    outage_location: int              # location index of the node out of service, -1 for none
    outage: Window
    outage_extra_lead_days: int       # added to orders placed in the window by outage_peers
    outage_peers: np.ndarray          # bool per location: the other locations of the node's region
    spike_first: np.ndarray           # int32 per product: first day of its demand spike (NO_DAY: none)
    spike_last: np.ndarray
    spike_factor: np.ndarray          # float64 per product: demand multiplier during its spike (1: none)
    shocked: np.ndarray               # bool per product: in the promotion shock
    shock: Window
    shock_discount_rate: float
    shock_demand_factor: float
    price_error_first: np.ndarray     # int32 per product (NO_DAY: none)
    price_error_last: np.ndarray
    price_error_factor: np.ndarray    # float64 per product: the price as a multiple of list price (1: none)

    def demand_factor(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Unplanned demand multiplier of `product` on `day` (1 outside every lift)."""
        spiking = (self.spike_first[product] <= day) & (day <= self.spike_last[product])
        factor = np.where(spiking, self.spike_factor[product], 1.0)
        return factor * np.where(self.shocked[product] & self.shock.covers(day), self.shock_demand_factor, 1.0)

    def price_error(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """bool: `product` sells at the wrong price on `day`."""
        return (self.price_error_first[product] <= day) & (day <= self.price_error_last[product])

    def lifted_products(self) -> np.ndarray:
        """Products with any demand lift in the run."""
        return np.flatnonzero((self.spike_first != NO_DAY) | self.shocked)


def _per_product_windows(seed: int, stream: str, product_key: np.ndarray, rate: float, days: int,
                         warmup: int, plan: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, last, chosen) of a window of `days` days inside the plan for a hashed `rate` share of products."""
    chosen = hashing.uniform(seed, f"{stream}.chosen", product_key) < rate
    length = min(days, plan)
    offset = hashing.integers(seed, f"{stream}.day", 0, plan - length, product_key)
    first = np.where(chosen, warmup + offset, NO_DAY).astype(np.int32)
    last = np.where(chosen, first + length - 1, NO_DAY - 1).astype(np.int32)
    return first, last, chosen


def _draw_between(seed: int, stream: str, low: float, high: float, keys: np.ndarray) -> np.ndarray:
    return low + hashing.uniform(seed, stream, keys) * (high - low)


def plan_disruptions(config: RunConfig, product_key: np.ndarray, location_id: np.ndarray,
                     location_region: np.ndarray) -> Disruptions:
    """The plan of a run, from its scenario and anomaly settings and the dimension keys."""
    seed, warmup, plan = config.seed, config.warmup_days, config.plan_days
    scenario, anomalies = config.scenario, config.anomalies

    outage_location, outage, peers = -1, EMPTY, np.zeros(len(location_id), dtype=bool)
    if scenario.has_outage:
        outage_location = int(np.flatnonzero(location_id == scenario.outage_location_id)[0])
        outage = plan_window(scenario.outage_first_day, scenario.outage_days, plan, warmup)
        peers = (location_region == location_region[outage_location]) & (np.arange(len(location_id)) != outage_location)

    spike_first, spike_last, spiking = _per_product_windows(
        seed, "anomaly.demand_spike", product_key, anomalies.demand_spike_rate, anomalies.demand_spike_days, warmup, plan)
    spike_factor = np.where(spiking, np.round(_draw_between(
        seed, "anomaly.demand_spike.factor", anomalies.demand_spike_factor_min, anomalies.demand_spike_factor_max,
        product_key), 2), 1.0)
    error_first, error_last, erring = _per_product_windows(
        seed, "anomaly.price_error", product_key, anomalies.price_error_rate, anomalies.price_error_days, warmup, plan)
    error_factor = np.where(erring, np.round(_draw_between(
        seed, "anomaly.price_error.factor", anomalies.price_error_factor_min, anomalies.price_error_factor_max,
        product_key), 2), 1.0)

    return Disruptions(
        outage_location=outage_location,
        outage=outage,
        outage_extra_lead_days=scenario.outage_extra_lead_days if scenario.has_outage else 0,
        outage_peers=peers,
        spike_first=spike_first,
        spike_last=spike_last,
        spike_factor=spike_factor,
        shocked=hashing.uniform(seed, "scenario.shock", product_key) < scenario.shock_product_share,
        shock=plan_window(scenario.shock_first_day, scenario.shock_days, plan, warmup)
        if scenario.shock_product_share > 0 else EMPTY,
        shock_discount_rate=scenario.shock_discount_rate,
        shock_demand_factor=scenario.shock_demand_factor,
        price_error_first=error_first,
        price_error_last=error_last,
        price_error_factor=error_factor,
    )
