"""The pilot exchange: a walk that records nothing finds the shared flags, and the tasks then walk what one task walks."""

import numpy as np
import pytest

from retail_synth.model.simulation.demand import order_days
from retail_synth.model.simulation.pilot import pilot_flags, walk_with_pilot
from retail_synth.model.simulation.rounds import task_blocks, walk_agreed
from retail_synth.model.simulation.walk import walk_blocks
from tests.model.simulation.test_walk import differences
from tests.support.simulated_worlds import catalogue_blocks, tiny_world, walked_in_blocks

ANOMALIES = ("anomalies.shrinkage_rate=0.02", "anomalies.late_delivery_rate=0.05")


def by_block(results):
    return sorted(results, key=lambda result: result.product_lo)


@pytest.mark.parametrize(("tasks", "span_days", "series_blocks"), [(2, 7, 0), (3, 40, 0), (4, 1000, 1)])
def test_tasks_after_the_pilot_walk_what_one_task_walks(tasks, span_days, series_blocks):
    world = tiny_world(*ANOMALIES)
    alone = walked_in_blocks(world, 7)
    piloted = by_block(walk_with_pilot(world, catalogue_blocks(world, 7), tasks, span_days, series_blocks))
    assert differences(alone, piloted) == []


def test_the_pilot_resumes_from_states_and_finds_only_carts_two_blocks_share():
    """From the states of day 58 it finds the flags of the days since; in one block there is nothing to share."""
    world = tiny_world(*ANOMALIES)
    blocks = catalogue_blocks(world, 7)
    everything = pilot_flags(world, blocks)
    assert len(everything) > 0 and len(pilot_flags(world, catalogue_blocks(world, world.n_products))) == 0
    states = [r.end_state for r in walk_blocks(world, blocks, stop_day=58, end_states=True)]
    since = pilot_flags(world, blocks, states, span_days=10)
    assert np.array_equal(since, everything[order_days(world, everything) >= 58])
    resumed = by_block(result for dealt, mine in zip(task_blocks(blocks, 3), [states[task::3] for task in range(3)], strict=True)
                       for result in walk_agreed(world, dealt, since, mine))
    assert differences(list(walk_blocks(world, blocks, states=states)), resumed) == []


def test_without_the_pilots_flags_the_tasks_would_walk_otherwise():
    world = tiny_world()
    blocks = catalogue_blocks(world, 7)
    deaf = by_block(result for dealt in task_blocks(blocks, 2) for result in walk_agreed(world, dealt, np.zeros(0, np.int64)))
    assert differences(walked_in_blocks(world, 7), deaf) != []
