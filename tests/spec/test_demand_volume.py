"""Expected orders per day: one rule, read by the world, the row estimates and the configuration's bound."""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from retail_synth.model.dimensions.calendar import calendar_features
from retail_synth.spec.configuration import ConfigError, resolve
from retail_synth.spec.demand_volume import (
    BLACK_FRIDAY,
    CYBER_MONDAY,
    DAY_FLAGS,
    busiest_day_orders,
    day_seasonality,
    every_kind_of_day,
    expected_orders,
)
from tests.support.simulated_worlds import tiny_world


def traits(days: dict) -> set[tuple]:
    names = [n if n in (BLACK_FRIDAY, CYBER_MONDAY) else None for n in days["holiday_name"]]
    return set(zip(*(days[f].astype(bool).tolist() for f in DAY_FLAGS), names, strict=True))


def test_every_real_day_is_one_of_every_kind_of_day():
    """The bound's days cover the calendar's: ten years of real days show no combination it misses."""
    days = np.arange(np.datetime64("2020-01-01"), np.datetime64("2030-01-01"))
    assert traits(calendar_features(days)) <= traits(every_kind_of_day())


def test_no_day_of_the_world_expects_more_orders_a_customer_than_the_busiest_day():
    world = tiny_world("demand.black_friday_demand_factor=5", "scenario.peak_demand_factor=2")
    config = world.config
    total_rate = world.segment_orders_per_day[world.customer_segment].sum()
    expected = expected_orders(total_rate * world.active_mass, world.seasonality)
    per_customer = expected / config.customers.customer_count
    rates = [s.orders_per_30_days for s in config.customers.segments.values()]
    assert per_customer.max() <= busiest_day_orders(max(rates), config.demand, config.scenario)
    # and Black Friday, five times a plain peak day, is the busiest day of the run
    black_friday = np.flatnonzero(calendar_features(world.days[:world.n_days])["holiday_name"] == BLACK_FRIDAY)
    assert per_customer.argmax() in black_friday


def test_the_bound_counts_black_friday_and_cyber_monday():
    """A customer base that fits the default factors does not fit once Black Friday or Cyber Monday multiplies more."""
    count = "customers.customer_count=1000000"
    assert resolve(assignments=[count]).customers.customer_count == 1_000_000
    for factor in ("demand.black_friday_demand_factor=10", "demand.cyber_monday_demand_factor=10"):
        with pytest.raises(ConfigError, match=r"customers\.customer_count.*orders a day"):
            resolve(assignments=[count, factor])


def test_the_busiest_day_multiplies_every_uplift_and_the_largest_named_factor():
    demand = resolve().demand
    scenario = dataclasses.replace(resolve().scenario, peak_demand_factor=1.5)
    uplifts = ((1 + demand.weekend_uplift_rate) * (1 + demand.holiday_uplift_rate)
               * (1 + demand.peak_season_uplift_rate) * (1 + demand.sale_period_uplift_rate))
    named = max(demand.black_friday_demand_factor, demand.cyber_monday_demand_factor, 1.0)
    assert busiest_day_orders(30.0, demand, scenario) == pytest.approx(uplifts * named * 1.5)


def test_a_plain_weekday_has_seasonality_one():
    config = resolve()
    monday = calendar_features(np.array([np.datetime64(dt.date(2024, 3, 4))]))
    assert day_seasonality(monday, config.demand, config.scenario).tolist() == [1.0]
