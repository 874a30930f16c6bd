"""The staged exchange: rounds that never wait for each other still walk exactly what one task walks alone."""

import numpy as np
import pytest

from retail_synth.model.simulation.rounds import Rounds, task_blocks, walk_agreed, walk_in_rounds, walk_round
from tests.model.simulation.test_walk import differences
from tests.support.simulated_worlds import catalogue_blocks, tiny_world, walked_in_blocks

ANOMALIES = ("anomalies.shrinkage_rate=0.02", "anomalies.late_delivery_rate=0.05")


def by_block(results):
    return sorted(results, key=lambda result: result.product_lo)


@pytest.mark.parametrize(("tasks", "round_days"), [(2, 7), (3, 56), (5, 1000)])
def test_rounds_walk_what_one_task_walks(tasks, round_days):
    world = tiny_world(*ANOMALIES)
    alone = walked_in_blocks(world, 7)
    assert differences(alone, by_block(walk_in_rounds(world, catalogue_blocks(world, 7), tasks, round_days))) == []


def test_rounds_then_blocks_walked_apart_walk_what_one_task_walks():
    world = tiny_world(*ANOMALIES)
    alone = walked_in_blocks(world, 7)
    apart = by_block(walk_in_rounds(world, catalogue_blocks(world, 7), 2, 28, series_blocks=1))
    assert differences(alone, apart) == []


def test_rounds_agree_day_by_day_and_end():
    """Each round agrees at least one day more, far fewer rounds than days; its states are at the day it resumes."""
    world = tiny_world(*ANOMALIES)
    dealt = task_blocks(catalogue_blocks(world, 7), 3)
    rounds, states, resumed = Rounds(world, 3, round_days=28), [None] * 3, []
    while not rounds.done:
        plan = rounds.plan()
        found = []
        for task in range(3):
            finds, states[task] = walk_round(world, dealt[task], states[task], plan, task)
            assert states[task] is None or {state.day for state in states[task]} == {plan.resume}
            found.append(finds)
        rounds.review(plan, found)
        resumed.append(rounds.resume)
    assert resumed == sorted(resumed) and resumed[-1] == world.n_days
    assert 1 < rounds.rounds < world.n_days / 3
    assert len(rounds.agreed) > 0


def test_without_the_agreed_flags_the_blocks_walk_otherwise():
    world = tiny_world()
    dealt = task_blocks(catalogue_blocks(world, 7), 2)
    alone = walked_in_blocks(world, 7)
    deaf = [result for blocks in dealt for result in walk_agreed(world, blocks, np.zeros(0, np.int64))]
    assert differences(alone[0::2] + alone[1::2], deaf) != []
