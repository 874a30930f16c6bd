"""The walk: tasks that agree on the flags of the carts they share walk exactly what one task walks alone.

One block walked alone never oversells, keeps the stock flow, restocks returns where they were sold, and is deterministic.
"""

import numpy as np
import pytest

from retail_synth.model.simulation.walk import SERIES, simulate_block, walk_blocks
from tests.support.simulated_worlds import (
    catalogue_blocks,
    tiny_block,
    tiny_world,
    walked_by_tasks,
    walked_in_blocks,
)

EVENTS = ("sales", "cart_lines", "shrinkage", "late_receipts")
ARRAYS = ("opening", "lost_position", "lost_day", "lost_quantity", "lost_revenue")


def differences(expected, got) -> list[str]:
    """What differs between two lists of block results, by block and field."""
    found = []
    for block, (a, b) in enumerate(zip(expected, got, strict=True)):
        found += [f"{block}.{name}" for name in SERIES if not np.array_equal(getattr(a, name), getattr(b, name))]
        found += [f"{block}.{name}" for name in ARRAYS if not np.array_equal(getattr(a, name), getattr(b, name))]
        for part in EVENTS:
            x, y = getattr(a, part), getattr(b, part)
            found += [f"{block}.{part}.{k}" for k in x if not np.array_equal(x[k], y[k])]
    return found


@pytest.mark.parametrize(("tasks", "lookahead_days"), [(2, 7), (3, 28), (2, 1000)])
def test_tasks_that_share_carts_walk_what_one_task_walks(tasks, lookahead_days):
    world = tiny_world("anomalies.shrinkage_rate=0.02", "anomalies.late_delivery_rate=0.05")
    alone = walked_in_blocks(world, 7)
    together, exchanges = walked_by_tasks(world, 7, tasks, lookahead_days)
    assert differences(alone, together) == []
    assert 1 < exchanges < world.n_days / 3        # rounds, yet far fewer than days


@pytest.mark.parametrize("series_blocks", [1, 3])
def test_blocks_walked_apart_walk_what_the_lock_step_walks(series_blocks):
    """A walk that holds the series of a few blocks at a time: the same results and end states, from day 0 or resumed."""
    world = tiny_world("anomalies.shrinkage_rate=0.02", "anomalies.late_delivery_rate=0.05")
    blocks = catalogue_blocks(world, 7)
    for first in (None, 58):
        states = None if first is None else [r.end_state for r in walk_blocks(world, blocks, stop_day=first,
                                                                              end_states=True)]
        together = list(walk_blocks(world, blocks, states=states, end_states=True))
        apart = list(walk_blocks(world, blocks, states=states, end_states=True, series_blocks=series_blocks))
        assert differences(together, apart) == []
        assert [d for a, b in zip(together, apart, strict=True) for d in a.end_state.equals(b.end_state)] == []


def test_blocks_walked_apart_without_their_flags_would_walk_otherwise():
    """Each block alone, hearing no flag of the carts it shares with the others: the rows differ."""
    world = tiny_world()
    blocks = catalogue_blocks(world, 7)
    alone = [result for block in blocks for result in walk_blocks(world, [block])]
    assert differences(walked_in_blocks(world, 7), alone) != []


def test_without_the_exchange_the_tasks_would_walk_otherwise():
    """Each task hearing only itself: the shared carts' flags miss the other task's items, and the rows differ."""
    world = tiny_world()
    blocks = catalogue_blocks(world, 7)
    deaf = [result for task in (0, 1) for result in
            walk_blocks(world, blocks[task::2], lambda cart_ids: [cart_ids], lookahead_days=28)]
    alone = walked_in_blocks(world, 7)
    assert differences(alone[0::2] + alone[1::2], deaf) != []


# ---------------------------------------------------------------- one block of a tiny world walked alone


def positions_of(world, result, product, location):
    return (np.asarray(product) - result.product_lo) * world.n_locations + np.asarray(location)


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


def test_simulation_is_deterministic():
    world = tiny_world()
    a, b = simulate_block(world, 5, 25), simulate_block(world, 5, 25)
    assert np.array_equal(a.on_hand, b.on_hand)
    assert all(np.array_equal(a.sales[k], b.sales[k]) for k in a.sales)
