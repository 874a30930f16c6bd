"""The simulation core without Spark: allocation, replenishment, returns, the walk, calibration (tables: tests/tables/)."""

from __future__ import annotations

import numpy as np
import pytest

from retail_synth.model.simulation.allocation import allocate_requests, serve
from retail_synth.model.simulation.walk import simulate_block
from retail_synth.model.simulation.world import BOTTOMS_CHART
from retail_synth.spec import hashing
from retail_synth.spec.vocabulary import APPAREL_SIZES, WAIST_SIZES
from tests.simulated_worlds import tiny_block, tiny_dimensions, tiny_world


def positions_of(world, result, product, location):
    return (np.asarray(product) - result.product_lo) * world.n_locations + np.asarray(location)


# ---------------------------------------------------------------- allocation (SalesValidator)

def test_requests_are_served_in_priority_order_not_input_order():
    sold, inv = allocate_requests(
        position=np.array([0, 0, 0]), requested=np.array([2, 1, 2]), priority=np.array([0.9, 0.1, 0.5]), available=np.array([4])
    )
    # priority order: request 1 (gets 1 of 4), request 2 (2 of 3), request 0 (1 of 1: partial)
    assert sold.tolist() == [1, 1, 2]
    assert inv.tolist() == [1, 4, 3]


def test_partial_fill_and_lost_attempt():
    sold, inv = allocate_requests(np.array([0, 0, 0, 1]), np.array([3, 2, 1, 1]), np.array([0.1, 0.2, 0.3, 0.1]),
                                  np.array([4, 0]))
    assert sold.tolist() == [3, 1, 0, 0]          # second request partly filled, then nothing left
    assert inv.tolist() == [4, 1, 0, 0]
    assert (sold <= inv).all()


def test_random_order_is_fair_when_stock_is_short():
    """Four requests compete for one unit; over many seeds each wins about a quarter of the time."""
    wins = np.zeros(4, dtype=int)
    for seed in range(2000):
        priority = hashing.uniform(seed, "test.priority", np.arange(4))
        sold, _ = allocate_requests(np.zeros(4, dtype=int), np.ones(4, dtype=int), priority, np.array([1]))
        assert sold.sum() == 1
        wins += sold
    assert np.all(np.abs(wins - 500) < 75), wins


def test_digital_fallback_retries_complete_failures_only():
    # positions: node A = 0, node B = 1, node C = 2
    positions = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2]])
    requested = np.array([2, 2, 2])
    priority = np.array([0.1, 0.2, 0.3])
    stock = np.array([1, 1, 0])
    sold, inv, served = serve(positions, requested, priority, stock)
    assert sold.tolist() == [1, 1, 0]               # partial at A; complete failure retried, partial at B; then nothing
    assert served.tolist() == [0, 1, 0]             # the total failure stays attributed to the first node
    assert inv.tolist() == [1, 1, 0]
    assert stock.tolist() == [0, 0, 0]


# ---------------------------------------------------------------- the walk of a tiny world

def test_no_oversell_and_no_negative_stock():
    _, r = tiny_block()
    s = r.sales
    assert (r.on_hand >= 0).all()
    assert (s["quantity_sold"] >= 1).all()
    assert (s["quantity_sold"] <= s["quantity_requested"]).all()
    assert (s["quantity_sold"] <= s["inventory_at_purchase"]).all()
    short = s["quantity_sold"] < s["quantity_requested"]
    assert (s["inventory_at_purchase"][short] == s["quantity_sold"][short]).all()


def test_flow_identity_of_the_arrays():
    world, r = tiny_block()
    s = r.sales
    sold = np.zeros_like(r.on_hand, dtype=np.int64)
    pos = positions_of(world, r, s["product"], s["location"])
    np.add.at(sold, (s["day"] - r.warmup_days, pos), s["quantity_sold"])
    previous = np.vstack([r.opening[None, :], r.on_hand[:-1]]).astype(np.int64)
    assert np.array_equal(r.on_hand, previous - sold + r.restocked + r.receipts)


def test_replenishment_arrives_exactly_after_its_lead_time():
    """In transit at the end of a day is exactly what arrives within the next lead-time days."""
    _, r = tiny_block()
    for h in range(r.horizon_days):
        d = r.warmup_days + h
        due = np.array([r.arrivals[d + 1:d + 1 + lead, p].sum() for p, lead in enumerate(r.lead_time)])
        assert np.array_equal(r.in_transit[h], due)
    assert r.receipts.sum() > 0


def test_returns_restock_on_the_right_day_at_the_selling_location():
    world, r = tiny_block()
    s = r.sales
    assert (s["restock_day"][s["is_return"]] - s["day"][s["is_return"]]).min() >= 1
    assert (s["restock_day"][s["is_return"]] - s["day"][s["is_return"]]).max() <= 3
    assert not s["is_exchange"][~s["is_return"]].any()
    expected = np.zeros_like(r.restocked, dtype=np.int64)
    back = s["is_return"] & (s["restock_day"] < world.n_days)
    pos = positions_of(world, r, s["product"][back], s["location"][back])
    np.add.at(expected, (s["restock_day"][back] - r.warmup_days, pos), s["quantity_sold"][back])
    assert expected.sum() > 0
    assert np.array_equal(r.restocked, expected)


def test_world_sizes_come_from_the_dimensions():
    _, dims = tiny_dimensions()
    world = tiny_world()
    products, customers = dims["gold_product_dim"].to_pandas(), dims["gold_customer_dim"].to_pandas()
    apparel = (products.category_level_1 == "apparel").to_numpy()
    assert np.array_equal(world.product_size_chart >= 0, apparel)
    bottoms = (products.category_level_2 == "bottoms").to_numpy()
    assert (world.product_size_chart[bottoms] == BOTTOMS_CHART).all()
    assert [APPAREL_SIZES[i] for i in world.customer_size_tops] == customers.size_profile_tops.tolist()
    assert [WAIST_SIZES[i] for i in world.customer_size_bottoms] == customers.size_profile_bottoms.tolist()


def test_simulation_is_deterministic():
    world = tiny_world()
    a, b = simulate_block(world, 5, 25), simulate_block(world, 5, 25)
    assert np.array_equal(a.on_hand, b.on_hand)
    assert all(np.array_equal(a.sales[k], b.sales[k]) for k in a.sales)


# ---------------------------------------------------------------- demand and calibration

def test_orders_scale_with_the_number_of_customers():
    few = tiny_world("customers.customer_count=500").orders_per_day.sum()
    many = tiny_world("customers.customer_count=1000").orders_per_day.sum()
    assert 1.8 < many / few < 2.2


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
