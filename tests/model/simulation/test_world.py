"""The World without Spark: its demand model (what replenishment plans for) and its sizes, taken from the dimensions."""

from __future__ import annotations

import dataclasses

import numpy as np

from retail_synth.model.dimensions.calendar import (
    BLACK_FRIDAY,
    CYBER_MONDAY,
    calendar_features,
)
from retail_synth.model.simulation.world import BOTTOMS_CHART, STORE, day_seasonality
from retail_synth.spec.ids import first_versions
from retail_synth.spec.vocabulary import APPAREL_SIZES, WAIST_SIZES
from tests.support.simulated_worlds import tiny_dimensions, tiny_world


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


def test_world_sizes_come_from_the_dimensions():
    _, dims = tiny_dimensions()
    world = tiny_world()
    products, customers = dims["gold_product_dim"].to_pandas(), first_versions(dims["gold_customer_dim"]).to_pandas()
    apparel = (products.category_level_1 == "apparel").to_numpy()
    assert np.array_equal(world.product_size_chart >= 0, apparel)
    bottoms = (products.category_level_2 == "bottoms").to_numpy()
    assert (world.product_size_chart[bottoms] == BOTTOMS_CHART).all()
    assert [APPAREL_SIZES[i] for i in world.customer_size_tops] == customers.size_profile_tops.tolist()
    assert [WAIST_SIZES[i] for i in world.customer_size_bottoms] == customers.size_profile_bottoms.tolist()


def test_orders_scale_with_the_number_of_customers():
    few = tiny_world("customers.customer_count=500").orders_per_day.sum()
    many = tiny_world("customers.customer_count=1000").orders_per_day.sum()
    assert 1.8 < many / few < 2.2
