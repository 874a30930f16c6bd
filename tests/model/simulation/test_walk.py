"""The walk: tasks that agree on the flags of the carts they share walk exactly what one task walks alone."""

import numpy as np
import pytest

from retail_synth.model.simulation.walk import SERIES, walk_blocks
from tests.support.simulated_worlds import (
    catalogue_blocks,
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


def test_without_the_exchange_the_tasks_would_walk_otherwise():
    """Each task hearing only itself: the shared carts' flags miss the other task's items, and the rows differ."""
    world = tiny_world()
    blocks = catalogue_blocks(world, 7)
    deaf = [result for task in (0, 1) for result in
            walk_blocks(world, blocks[task::2], lambda cart_ids: [cart_ids], lookahead_days=28)]
    alone = walked_in_blocks(world, 7)
    assert differences(alone[0::2] + alone[1::2], deaf) != []
