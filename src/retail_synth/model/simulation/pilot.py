"""The pilot exchange: one walk that finds the flags of every cart the walk tasks share, then the tasks walk apart.

A cart's low flag pools every block that holds one of its lines, so tasks
that share carts cannot walk apart until those flags are known. The pilot
finds them all in one task, walking every block in lock-step as one task
alone would, but recording nothing: no daily series, no rows. It walks a
span of days at a time, each span drawing only its own demand and starting
from the block states the span before handed over, so it holds the
catalogue's block states and one span's lines, never the whole run's. It
reports the carts found low that have lines in two blocks: whatever the
tasks the blocks are dealt to, that holds the flag of every cart two tasks
share (and a task that is told the flag of a cart only its own blocks hold
pools the same flag itself). Then each task walks its blocks with those
flags known (rounds.walk_agreed): no task waits for another, and the rows
are those of one task walking every block.

Unlike the rounds of rounds.py, no day is walked more than twice; but the
pilot is one task, so it is the part of the walk that does not spread over
more cores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from retail_synth.model.simulation.block_state import BlockState
from retail_synth.model.simulation.rounds import task_blocks, walk_agreed
from retail_synth.model.simulation.walk import NO_CARTS, BlockResult, block_walks, resumed_day, walk_days
from retail_synth.model.simulation.world import World

PILOT_DAYS = 112      # days the pilot walks on one draw of demand


def pilot_flags(world: World, blocks: list[tuple[int, int]], states: Sequence[BlockState] | None = None,
                span_days: int = PILOT_DAYS) -> np.ndarray:
    """Sorted ids of the carts with lines in two of `blocks` that are low on their day, over every day walked.

    `states` are every block's states at the first day walked (None: the
    opening stock, at day 0).
    """
    groups = range(len(blocks))
    found = [NO_CARTS]
    for start in range(resumed_day(blocks, states), world.n_days, span_days):
        days = range(start, min(start + span_days, world.n_days))
        walks = block_walks(world, blocks, states, days, groups)
        for walk in walks:
            walk.recording = False
        found.append(walk_days(walks, days, NO_CARTS))
        states = [walk.end_state() for walk in walks]
        del walks
    return np.unique(np.concatenate(found))


def walk_with_pilot(world: World, blocks: list[tuple[int, int]], tasks: int, span_days: int = PILOT_DAYS,
                    series_blocks: int = 0) -> Iterator[BlockResult]:
    """Every block's result, the pilot then its tasks run one after another in this process (tests, scale.py)."""
    flags = pilot_flags(world, blocks, span_days=span_days)
    for dealt in task_blocks(blocks, tasks):
        yield from walk_agreed(world, dealt, flags, series_blocks=series_blocks)
