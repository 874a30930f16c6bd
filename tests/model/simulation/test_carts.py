"""Cart abandonment: blocks walked in lock-step pool their low carts, so any split decides the same carts."""

from functools import lru_cache

import numpy as np
import pytest

from retail_synth.model.simulation.carts import (
    abandons,
    hinges_on_low,
    shipping_availability,
)
from retail_synth.model.simulation.pricing import sale_amounts
from retail_synth.spec import hashing
from tests.support.simulated_worlds import (
    cart_decisions,
    tiny_decisions,
    tiny_world,
    walked_in_blocks,
)


@lru_cache(maxsize=2)
def decided(*assignments: str):
    """(world, its cart decision table as pandas)."""
    world, decisions = tiny_decisions(*assignments)
    return world, decisions.to_pandas()


def block_sales(world, size: int = 15) -> dict:
    blocks = walked_in_blocks(world, size)
    return {k: np.concatenate([b.sales[k] for b in blocks]) for k in blocks[0].sales}


@pytest.mark.parametrize("size", [7, 15, 60])
def test_any_split_into_blocks_decides_the_same_carts(size):
    _, decisions = tiny_decisions()
    split = cart_decisions(walked_in_blocks(tiny_world(), size)).sort_by("cart")
    assert split.equals(decisions.sort_by("cart"))


def test_sales_agree_with_the_decided_carts():
    world, decisions = decided()
    sales = block_sales(world)
    horizon = decisions[decisions.day >= world.warmup_days]
    checkout = sales["cart"][(sales["cart"] >= 0) & ~sales["is_recovery"]]
    assert set(checkout) == set(horizon.cart[horizon.checked_out_sold])
    assert not set(checkout) & set(decisions.cart[decisions.abandoned])

    copy = sales["is_recovery"]
    net = sale_amounts(world, sales["product"][copy], sales["day"][copy], sales["quantity_sold"][copy])[2]
    revenue = {}
    for cart, amount in zip(sales["cart"][copy], net, strict=True):
        revenue[cart] = revenue.get(cart, 0.0) + amount
    recovered = decisions[decisions.recovered & (decisions.recovery_day >= world.warmup_days)]
    assert set(revenue) == set(recovered.cart)
    assert np.allclose([revenue[c] for c in recovered.cart], recovered.recovery_revenue, atol=0.01)


def test_recovered_carts_are_ordered_again_after_abandonment():
    _, decisions = decided()
    recovered = decisions[decisions.recovered]
    assert len(recovered) > 0
    assert recovered.abandoned.all() and recovered.recovery_ordered.all()
    assert (recovered.recovery_day > recovered.day).all()
    assert not (decisions.recovery_ordered & ~decisions.abandoned).any()


def test_cart_items_match_their_products():
    _, decisions = decided()
    assert (decisions.products.map(len) == decisions["items"]).all()
    assert (decisions.low_items <= decisions["items"]).all()


@pytest.mark.parametrize("uplift", [0.10, 0.25])
def test_low_inventory_carts_are_abandoned_more_often_by_the_uplift(uplift):
    _, decisions = decided("customers.customer_count=4000", f"carts.low_inventory_uplift_rate={uplift}")
    low = decisions.low_items > 0
    assert low.sum() > 500 and (~low).sum() > 300
    base = decisions.abandoned[~low].mean()
    assert abs(base - 0.70) < 0.04
    assert abs(decisions.abandoned[low].mean() - base - uplift) < 0.05


def test_shipping_node_is_the_first_with_stock():
    on_hand = np.array([0, 3, 9, 0])
    positions = np.array([[0, 1, 2], [2, 1, -1], [3, 0, -1]])
    assert shipping_availability(positions, on_hand).tolist() == [3, 9, 0]


def test_one_product_blocks_with_few_customers_decide_the_same_carts():
    world = tiny_world("customers.customer_count=20")
    whole = cart_decisions(walked_in_blocks(world, world.n_products)).sort_by("cart")
    single = walked_in_blocks(world, 1)
    assert any(len(r.cart_lines["cart"]) == 0 for r in single)      # some blocks hold no cart at all
    assert cart_decisions(single).sort_by("cart").equals(whole)


def test_only_carts_in_the_uplift_band_hinge_on_their_flag():
    world = tiny_world()
    cart = np.arange(1, 20_001, dtype=np.int64) << 24
    hinging = hinges_on_low(world, cart)
    assert 0.05 < hinging.mean() < 0.15          # the uplift band: 0.70 to 0.80 of the draw
    u = hashing.uniform(world.seed, "carts.abandon", cart)
    rates = world.config.carts
    band = (u >= rates.abandonment_base_rate) & (u < rates.abandonment_base_rate + rates.low_inventory_uplift_rate)
    assert np.array_equal(hinging, band)
    assert not abandons(world, cart[~hinging], np.ones((~hinging).sum(), bool)).all()     # both outcomes occur
