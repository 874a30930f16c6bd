"""The cart exchange in rounds of ordinary stages: no barrier, any number of tasks, a few blocks each.

The barrier exchange (walk.agree_with_tasks) keeps every task alive, holding
its blocks, from the first day to the last. Here nothing outlives a round:
  1. rounds (`Rounds`, `walk_round`): each task starts from its blocks' states
     at the round's `start`, walks again the days already agreed on with the
     flags agreed for them, hands over its states at `resume` (the first day
     not agreed), then walks on to `stop` pooling its own finds with the
     others' of the round before, and reports the shared carts it found low.
     The driver (`Rounds.review`) pools the reports as walk.agreement does
     and moves `resume` to the first day some task walked differently; the
     next round starts from the states handed over. Tasks of a round never
     wait for each other, so they may run in waves on fewer cores, or on
     executors that come and go.
  2. the walk (`walk_agreed`): once every day is agreed, each task walks its
     blocks again from the first day with the flags of every shared cart
     known (walk.walk_blocks' `agreed_low`), and returns their results.
A day's flags depend only on the days before it, so the days before `resume`
are the sequential walk's, and each round agrees at least one day more: the
tables are those of one task walking every block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation import demand
from retail_synth.model.simulation.block_state import BlockState
from retail_synth.model.simulation.walk import NO_CARTS, BlockResult, agreement, block_walks, walk_blocks, walk_days
from retail_synth.model.simulation.world import World

ROUND_DAYS = 112      # days a round walks past the first day not agreed on (16 weeks)


@dataclass(frozen=True)
class RoundPlan:
    """What every task of one round is told: small, so it travels inside the round's function."""

    start: int                        # the day every task's block states are at
    resume: int                       # the first day not agreed on; [start, resume) is walked again
    stop: int                         # the round walks [resume, stop) and reports its finds there
    agreed: np.ndarray                # sorted ids of the shared carts found low on the agreed days [start, resume)
    before: tuple[np.ndarray, ...]    # each task's finds of the round before, on days from `resume` on

    def others(self, task: int) -> np.ndarray:
        """The flags task `task` pools with its own finds: the agreed ones, then the others' of the round before."""
        return np.unique(np.concatenate([NO_CARTS, self.agreed, *self.before[:task], *self.before[task + 1:]]))


class Rounds:
    """The driver's side of the exchange: the next round's plan, and every flag agreed so far."""

    def __init__(self, world: World, tasks: int, first_day: int = 0, stop_day: int | None = None,
                 round_days: int = ROUND_DAYS) -> None:
        self.world, self.round_days = world, round_days
        self.stop_day = world.n_days if stop_day is None else stop_day
        self.start = self.resume = first_day
        self.agreed = NO_CARTS                          # every shared cart found low on an agreed day
        self.before: tuple[np.ndarray, ...] = (NO_CARTS,) * tasks
        self.rounds = 0

    @property
    def done(self) -> bool:
        return self.resume >= self.stop_day

    def plan(self) -> RoundPlan:
        agreed = self.agreed[demand.order_days(self.world, self.agreed) >= self.start]
        return RoundPlan(self.start, self.resume, min(self.resume + self.round_days, self.stop_day), agreed,
                         self.before)

    def review(self, plan: RoundPlan, now: Sequence[np.ndarray]) -> None:
        """Pool the round's reports (each task's finds, in task order); the next round resumes where they differ."""
        if len(now) != len(self.before):
            raise ValueError(f"{len(now)} tasks reported; the round had {len(self.before)}")
        pooled, agreed = agreement(self.world, now, plan.before, plan.stop)
        self.agreed = np.union1d(self.agreed, pooled[demand.order_days(self.world, pooled) < agreed])
        self.start, self.resume = plan.resume, agreed
        self.before = tuple(found[demand.order_days(self.world, found) >= agreed] for found in now)
        self.rounds += 1


def walk_round(world: World, blocks: list[tuple[int, int]], states: Sequence[BlockState] | None, plan: RoundPlan,
               task: int) -> tuple[np.ndarray, list[BlockState] | None]:
    """One task's round: (the shared carts its blocks found low on [resume, stop), their states at resume).

    `states` are the blocks' states at plan.start (None: the opening stock,
    at day 0). Only the days [start, stop) of demand are drawn.
    """
    if states is not None and {state.day for state in states} != {plan.start}:
        raise ValueError(f"a round starting at day {plan.start} received states of other days")
    walks = block_walks(world, blocks, states, range(plan.start, plan.stop))
    for walk in walks:
        walk.recording = False                      # a round hands over states and flags, never series
    others = plan.others(task)
    if plan.resume > plan.start:
        walk_days(walks, range(plan.start, plan.resume), others)
        handed: list[BlockState] | None = [walk.state_at(plan.resume) for walk in walks]
    else:                                           # nothing agreed since: the states the round started from
        handed = None if states is None else list(states)
    return walk_days(walks, range(plan.resume, plan.stop), others), handed


def walk_agreed(world: World, blocks: list[tuple[int, int]], agreed: np.ndarray,
                states: Sequence[BlockState] | None = None, series_blocks: int = 0) -> Iterator[BlockResult]:
    """The blocks' results, walked from their first day with every shared cart's flag agreed (Rounds.agreed)."""
    return walk_blocks(world, blocks, states=states, end_states=True, agreed_low=agreed, series_blocks=series_blocks)


RunRound = Callable[[RoundPlan], Sequence[np.ndarray]]    # a round's plan -> every task's finds, in task order


def agree_in_rounds(world: World, tasks: int, run_round: RunRound, first_day: int = 0,
                    round_days: int = ROUND_DAYS, progress: Callable[[Rounds], None] | None = None) -> Rounds:
    """Run rounds until every day is agreed on; `run_round` runs one round's tasks wherever they run."""
    rounds = Rounds(world, tasks, first_day, round_days=round_days)
    while not rounds.done:
        plan = rounds.plan()
        rounds.review(plan, run_round(plan))
        if progress is not None:
            progress(rounds)
    return rounds


def task_blocks(blocks: list[tuple[int, int]], tasks: int) -> list[list[tuple[int, int]]]:
    """The blocks of each task: block b goes to task b % tasks, as every exchange deals them."""
    return [blocks[task::tasks] for task in range(tasks)]


def walk_in_rounds(world: World, blocks: list[tuple[int, int]], tasks: int,
                   round_days: int = ROUND_DAYS, series_blocks: int = 0) -> Iterator[BlockResult]:
    """Every block's result, its tasks run one after another in this process (tests, benchmarks/scale.py)."""
    dealt = task_blocks(blocks, tasks)
    states: list[list[BlockState] | None] = [None] * tasks

    def run_round(plan: RoundPlan) -> list[np.ndarray]:
        found = []
        for task in range(tasks):
            finds, states[task] = walk_round(world, dealt[task], states[task], plan, task)
            found.append(finds)
        return found

    agreed = agree_in_rounds(world, tasks, run_round, round_days=round_days).agreed
    for task in range(tasks):
        yield from walk_agreed(world, dealt[task], agreed, series_blocks=series_blocks)
