"""The World's demand model without Spark: what replenishment plans for."""

from __future__ import annotations

import dataclasses

import numpy as np

from retail_synth.model.dimensions.calendar import (
    BLACK_FRIDAY,
    CYBER_MONDAY,
    calendar_features,
)
from retail_synth.model.simulation.world import STORE, day_seasonality
from tests.support.simulated_worlds import tiny_world


def test_a_fulfilment_node_plans_for_the_digital_return_rate_of_its_customers():
    """Returned units are the checked-out lines' returns: a node's planned return rate lies within its customers' rates."""
    world = tiny_world()
    uplift = world.config.customers.digital_return_uplift_rate
    rates = world.segment_return_probability + uplift
    nodes = world.location_type != STORE
    planned = world.location_return_rate[nodes & (world.location_units_per_day > 0)]
    assert len(planned) and (planned >= rates.min() - 1e-9).all() and (planned <= rates.max() + 1e-9).all()


def test_black_friday_and_cyber_monday_have_their_own_demand_factors():
    world = tiny_world("demand.black_friday_demand_factor=2", "demand.cyber_monday_demand_factor=1.5")
    cal = calendar_features(world.days)
    plain = dataclasses.replace(world.config.demand, black_friday_demand_factor=1.0, cyber_monday_demand_factor=1.0)
    base = day_seasonality(cal, plain, world.config.scenario)
    ratio = world.seasonality / base
    assert np.allclose(ratio[cal["holiday_name"] == BLACK_FRIDAY], 2.0)
    assert np.allclose(ratio[cal["holiday_name"] == CYBER_MONDAY], 1.5)
    others = ~np.isin(cal["holiday_name"], [BLACK_FRIDAY, CYBER_MONDAY])
    assert np.allclose(ratio[others], 1.0) and (cal["holiday_name"] == BLACK_FRIDAY).sum() == 1
