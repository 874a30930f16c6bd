"""What a scenario plans before the walk: a node outage, demand lifts and wrong or cut prices.

Everything here is decided from the configuration and hashed ids, never from
stock, so every block (and the driver) derives the same plan. The anomalies
that depend on stock (shrinkage at a stock count, a late receipt) are drawn
inside the walk instead, where the stock is known (src/retail_synth/model/simulation/walk.py).

Windows are simulation day indices, both ends included, laid on the plan
(plan_days from start_date, RunConfig.plan_days), never on the written
horizon, so they do not move with end_date. The scenario's events (outage,
shock) happen once, in the first plan cycle; the recurring anomalies repeat
every plan cycle (plan_days days each from start_date, as many as the run
reaches): a product has at most one demand spike and one price error per
cycle, drawn from the product's key and the cycle's (cycle 0 from the
product's key alone, so a run within its plan has the draws of one plan).
A run shorter than its plan may end before a window does.
"""

from __future__ import annotations

from collections.abc import Callable
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

    warmup_days: int
    plan_days: int                    # a plan cycle's days: cycle k is simulation days warmup + k * plan_days on
    outage_location: int              # location index of the node out of service, -1 for none
    outage: Window
    outage_extra_lead_days: int       # added to orders placed in the window by outage_peers
    outage_peers: np.ndarray          # bool per location: the other locations of the node's region
    spike_first: np.ndarray           # int32 [product, plan cycle]: first day of its demand spike (NO_DAY: none)
    spike_last: np.ndarray
    spike_factor: np.ndarray          # float64 [product, plan cycle]: demand multiplier during its spike (1: none)
    shocked: np.ndarray               # bool per product: in the promotion shock
    shock: Window
    shock_discount_rate: float
    shock_demand_factor: float
    price_error_first: np.ndarray     # int32 [product, plan cycle] (NO_DAY: none)
    price_error_last: np.ndarray
    price_error_factor: np.ndarray    # float64 [product, plan cycle]: the price as a multiple of list price (1: none)

    @property
    def cycles(self) -> int:
        """Plan cycles drawn: as many as the run reaches."""
        return int(self.spike_first.shape[1])

    def cycle(self, day: int | np.ndarray) -> np.ndarray:
        """The plan cycle of simulation `day` (the warm-up is cycle 0; days past the run count to the last)."""
        return np.minimum(plan_cycle(day, self.warmup_days, self.plan_days), self.cycles - 1)

    def spiking(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """bool: `product` is in its demand spike on `day`."""
        k = self.cycle(day)
        return (self.spike_first[product, k] <= day) & (day <= self.spike_last[product, k])

    def demand_factor(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Unplanned demand multiplier of `product` on `day` (1 outside every lift)."""
        factor = np.where(self.spiking(product, day), self.spike_factor[product, self.cycle(day)], 1.0)
        return factor * np.where(self.shocked[product] & self.shock.covers(day), self.shock_demand_factor, 1.0)

    def price_error(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """bool: `product` sells at the wrong price on `day`."""
        k = self.cycle(day)
        return (self.price_error_first[product, k] <= day) & (day <= self.price_error_last[product, k])

    def price_error_factor_on(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The wrong price of `product` on `day` as a multiple of list price (1 outside its price errors)."""
        return self.price_error_factor[product, self.cycle(day)]

    def lifted_products(self) -> np.ndarray:
        """Products with any demand lift in the run."""
        return np.flatnonzero((self.spike_first != NO_DAY).any(axis=1) | self.shocked)


def by_plan_cycle(draw: Callable[..., np.ndarray], keys: tuple[np.ndarray, ...], cycles: int) -> np.ndarray:
    """draw(*ids) of each entity and plan cycle, [entity, cycle]: cycle 0 keyed by the entity's keys alone (the
    draws of a run within one plan), cycle k >= 1 by its keys and k."""
    first = np.asarray(draw(*keys))[:, None]
    if cycles == 1:
        return first
    later = draw(*(np.asarray(key)[:, None] for key in keys), np.arange(1, cycles)[None, :])
    return np.concatenate([first, np.asarray(later)], axis=1)


def plan_cycle(day: int | np.ndarray, warmup_days: int, plan_days: int) -> np.ndarray:
    """The plan cycle of simulation `day`: cycle k is the plan days k * plan_days on; the warm-up is cycle 0."""
    return np.maximum(np.asarray(day) - warmup_days, 0) // plan_days


def plan_cycles(horizon_days: int, plan_days: int) -> int:
    """Plan cycles a run reaches: its horizon in plan_days steps, at least one."""
    return max(1, -(-horizon_days // plan_days))


def _per_product_windows(seed: int, stream: str, product_key: np.ndarray, rate: float, days: int,
                         warmup: int, plan: int, cycles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, last, chosen) [product, cycle] of a window of `days` days inside each plan cycle for a hashed
    `rate` share of products (drawn again each cycle)."""
    keys = (product_key,)
    chosen = by_plan_cycle(lambda *ids: hashing.uniform(seed, f"{stream}.chosen", *ids) < rate, keys, cycles)
    length = min(days, plan)
    offset = by_plan_cycle(lambda *ids: hashing.integers(seed, f"{stream}.day", 0, plan - length, *ids), keys, cycles)
    first = np.where(chosen, warmup + plan * np.arange(cycles)[None, :] + offset, NO_DAY).astype(np.int32)
    last = np.where(chosen, first + length - 1, NO_DAY - 1).astype(np.int32)
    return first, last, chosen


def _factors(seed: int, stream: str, low: float, high: float, product_key: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """[product, cycle] factor drawn between low and high (2 decimals) where chosen, 1 elsewhere."""
    drawn = by_plan_cycle(lambda *ids: low + hashing.uniform(seed, stream, *ids) * (high - low), (product_key,),
                          chosen.shape[1])
    return np.where(chosen, np.round(drawn, 2), 1.0)


def plan_disruptions(config: RunConfig, product_key: np.ndarray, location_id: np.ndarray,
                     location_region: np.ndarray) -> Disruptions:
    """The plan of a run, from its scenario and anomaly settings and the dimension keys."""
    seed, warmup, plan = config.seed, config.warmup_days, config.plan_days
    cycles = plan_cycles(config.horizon_days, plan)
    scenario, anomalies = config.scenario, config.anomalies

    outage_location, outage, peers = -1, EMPTY, np.zeros(len(location_id), dtype=bool)
    if scenario.has_outage:
        outage_location = int(np.flatnonzero(location_id == scenario.outage_location_id)[0])
        outage = plan_window(scenario.outage_first_day, scenario.outage_days, plan, warmup)
        peers = (location_region == location_region[outage_location]) & (np.arange(len(location_id)) != outage_location)

    spike_first, spike_last, spiking = _per_product_windows(
        seed, "anomaly.demand_spike", product_key, anomalies.demand_spike_rate, anomalies.demand_spike_days, warmup, plan,
        cycles)
    spike_factor = _factors(seed, "anomaly.demand_spike.factor", anomalies.demand_spike_factor_min,
                            anomalies.demand_spike_factor_max, product_key, spiking)
    error_first, error_last, erring = _per_product_windows(
        seed, "anomaly.price_error", product_key, anomalies.price_error_rate, anomalies.price_error_days, warmup, plan,
        cycles)
    error_factor = _factors(seed, "anomaly.price_error.factor", anomalies.price_error_factor_min,
                            anomalies.price_error_factor_max, product_key, erring)

    return Disruptions(
        warmup_days=warmup,
        plan_days=plan,
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
