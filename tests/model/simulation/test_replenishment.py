"""The replenishment policy's lots and starting state, its lead times in the walk and its stockout calibration, without Spark."""

from __future__ import annotations

import numpy as np
import pytest

from retail_synth.model.simulation import replenishment
from retail_synth.model.simulation.walk import simulate_block
from retail_synth.model.simulation.world import STORE
from tests.support.simulated_worlds import tiny_block, tiny_world


def _policy(*assignments: str):
    world = tiny_world(*assignments)
    return world, replenishment.block_policy(world, 0, world.n_products)


def test_lots_are_at_least_the_minimum_of_their_location_kind():
    world, policy = _policy("inventory.store_minimum_lot_units=4", "inventory.warehouse_minimum_lot_units=30")
    is_store = world.location_type[np.tile(np.arange(world.n_locations), world.n_products)] == STORE
    for day in (0, world.n_days // 2):
        _, _, lot = replenishment.daily_levels(policy, day, np.zeros(len(policy.lead_time)))
        assert lot[is_store].min() == 4 and lot[~is_store].min() == 30


def test_a_longer_minimum_lot_lowers_the_reorder_point_it_needs():
    """More cycle stock means fewer cycles and fewer stockouts: the model reaches the target with less safety stock."""
    _, small = _policy("inventory.warehouse_minimum_lot_units=1")
    _, large = _policy("inventory.warehouse_minimum_lot_units=30")
    zero = np.zeros(len(small.lead_time))
    r_small = replenishment.daily_levels(small, 0, zero)[0]
    r_large = replenishment.daily_levels(large, 0, zero)[0]
    assert (r_large <= r_small).all() and (r_large < r_small).any()


def test_positions_start_spread_over_their_cycle_stock():
    _, policy = _policy()
    reorder_point, _, lot = replenishment.daily_levels(policy, 0, np.zeros(len(policy.lead_time)))
    start = replenishment.initial_state(policy)
    stocked = start.on_hand > 0
    assert (start.on_hand[stocked] > reorder_point[stocked]).all()
    assert (start.on_hand <= reorder_point + lot).all()
    # positions with lots of many units do not all start full, or their orders would fall due together
    deep = stocked & (lot >= 10)
    depth = (start.on_hand[deep] - reorder_point[deep]) / lot[deep]
    assert deep.sum() >= 20 and 0.3 < depth.mean() < 0.7
    # a position starting empty has its order on the way or a hold still to run
    empty = np.flatnonzero(start.on_hand == 0)
    assert len(empty) and ((start.arrival_day[empty] > 0) | (start.hold_until[empty] >= 0)).all()


def test_a_lot_planned_at_the_end_of_a_peak_covers_its_cycle_at_the_peak_rate():
    """The reorder-level table assumes lots at the lead time's rate; lots sized on the quiet weeks after a peak
    left small peak-season 11.3% out of stock on its last day against a 7.5% target."""
    world, policy = _policy("scenario.peak_demand_factor=3.0")
    last = world.n_days - 1
    column = policy.lead_time - policy.lead_min
    after_lead = world.demand_index[last + 1 + policy.lead_time[:, None] + np.arange(world.config.inventory.review_cycle_days)]
    lead_rate = policy.lead_rate[last][column]
    quieter_ahead = after_lead.mean(axis=1) < 0.9 * lead_rate
    assert quieter_ahead.mean() > 0.5            # the horizon ends inside the peak
    _, _, lot = replenishment.daily_levels(policy, last, np.zeros(len(policy.lead_time)))
    cycle_at_lead_rate = np.round(policy.lines_per_index * lead_rate * world.config.inventory.review_cycle_days
                                  * policy.mean_quantity)
    assert (lot >= np.maximum(policy.minimum_lot, cycle_at_lead_rate)).all()
    assert (lot[quieter_ahead] > np.round(policy.lines_per_index * after_lead.sum(axis=1)
                                          * policy.mean_quantity)[quieter_ahead]).any()


# ---------------------------------------------------------------- the policy in the walk: lead times and calibration


def test_replenishment_arrives_exactly_after_its_lead_time():
    """In transit at the end of a day is exactly what arrives within the next lead-time days."""
    _, r = tiny_block()
    for h in range(r.horizon_days):
        d = r.warmup_days + h
        due = np.array([r.arrivals[d + 1:d + 1 + lead, p].sum() for p, lead in enumerate(r.lead_time)])
        assert np.array_equal(r.in_transit[h], due)
    assert r.receipts.sum() > 0


def test_stockout_rate_of_a_tiny_world_is_retail_like():
    _, r = tiny_block()
    assert 0.05 <= r.is_stockout.mean() <= 0.10


@pytest.mark.parametrize("low, high", [(0.04, 0.11)])
def test_the_target_moves_the_stockout_rate(low, high):
    assignments = ("customers.customer_count=3000",)
    rate = {}
    for target in (low, high):
        world = tiny_world(*assignments, f"inventory.target_stockout_rate={target}")
        rate[target] = simulate_block(world, 0, world.n_products).is_stockout.mean()
    assert rate[low] < rate[high]
    assert abs(rate[low] - low) < 0.025 and abs(rate[high] - high) < 0.03
