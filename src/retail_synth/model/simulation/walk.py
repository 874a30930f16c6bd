"""The day-by-day inventory walk: every block of a task advances one day at a time, together.

A cart spans product blocks: it is low-inventory when ANY of its items is
at or below the threshold at the start of its day, and that flag decides
whether the whole cart is ordered. So the blocks walk in lock-step and, each
day, the low carts of every block are pooled before anyone serves: in one
process the pool is a union. When other tasks walk blocks that share carts
with this one, the tasks walk several weeks at a time and agree on the flags
of the shared carts (`agree_with_tasks`: one exchange per round, rounds
far fewer than days; src/retail_synth/spark/walk_stage.py makes the exchange).

Each block's day reads:
  1. start of day: supplier receipts due today and return restocks arrive
     (a late delivery or a node outage holds a receipt back), then a stock
     count may find units missing (shrinkage);
  2. serve: the day's carts are decided (CartBook), then every request really
     ordered is served (allocation.serve: seeded-random order, partial
     fills, digital fallback to the next nodes);
  3. review: stockout flags, controller update, replenishment review.
The horizon keeps end-of-day states; the warm-up is simulated, never written.
A walk may stop before the last day and hand over its BlockState
(block_state.py); a walk resumed from it walks the next days exactly as one
walk that never stopped.
Positions of different products never interact except through the pooled
cart flags, so any split of the catalogue into blocks and tasks gives the
same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import overload

import numpy as np

from retail_synth.model.simulation import allocation, demand, replenishment, returns
from retail_synth.model.simulation.block_state import (
    ARRIVAL_FIELDS,
    LATE_FIELDS,
    RESTOCK_FIELDS,
    RETURN_FIELDS,
    BlockState,
    future_events,
    ring_rows,
)
from retail_synth.model.simulation.carts import CartBook, hinges_on_low
from retail_synth.model.simulation.day_record import DayRecord
from retail_synth.model.simulation.disruptions import by_plan_cycle
from retail_synth.model.simulation.pricing import price_terms
from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing

TRAILING_DEMAND_DAYS = 28
SERIES = ("on_hand", "in_transit", "reorder_point", "reorder_quantity", "restocked", "adjusted", "arrivals", "requested",
          "next_arrival")
NO_ARRIVAL = -1             # next_arrival of a position with nothing in transit


class DailySeries:
    """A [day, position] series of a BlockResult: expanded from its DayRecord on first read, then kept."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, result: None, owner: type | None = None) -> DailySeries: ...

    @overload
    def __get__(self, result: BlockResult, owner: type | None = None) -> np.ndarray: ...

    def __get__(self, result: BlockResult | None, owner: type | None = None) -> DailySeries | np.ndarray:
        if result is None:
            return self
        result.__dict__[self.name] = result.series[self.name].array()    # shadows this descriptor from now on
        return result.__dict__[self.name]


@dataclass
class BlockResult:
    """Everything the tables of one block are made of (positions = product offset * n_locations + location).

    The daily series are DayRecords (compressed); each is expanded the first
    time a table reads it, so a task can hold the results of many blocks.
    A walk resumed from a BlockState at `first_day` holds that day on: its
    horizon series start at max(first_day, warmup_days), `arrivals` at
    first_day, and `requested` ends on the last walked day (stop_day - 1) as always.
    """

    product_lo: int
    product_hi: int
    n_locations: int
    warmup_days: int
    position_product: np.ndarray      # int64 product index of each position
    position_location: np.ndarray     # int64 location index of each position
    lead_time: np.ndarray             # int64 supplier lead time of each position
    opening: np.ndarray               # int64 on hand at the start of the first horizon day (before its receipts)
    series: dict                      # name -> DayRecord, see the properties below

    # sale lines of the horizon (quantity sold >= 1), in (day, order, line) order
    sales: dict

    # lost attempts of the horizon (requests that got nothing), one entry each
    lost_position: np.ndarray         # the first node asked
    lost_day: np.ndarray              # horizon day index
    lost_quantity: np.ndarray         # units requested
    lost_revenue: np.ndarray          # units requested at list price

    # one entry per digital cart line of the block (originals and recovery copies), see CartBook.lines
    cart_lines: dict

    # anomalies found by the walk: stock counts that wrote units off, receipts that came late
    shrinkage: dict                   # position, day (simulation), units
    late_receipts: dict               # position, due_day, arrival_day (simulation days), units

    first_day: int = 0                # first walked simulation day (0, or the day a BlockState resumed at)
    stop_day: int = 0                 # the day after the last walked day
    end_state: BlockState | None = None   # the state after the last walked day, when the walk was asked for it
    start_state: BlockState | None = None  # the state a resumed walk started from (None: from the opening stock)

    on_hand = DailySeries("[horizon day, position] int32 on hand at the end of the day")
    in_transit = DailySeries("[horizon day, position] int32 ordered, not yet received, at the end of the day")
    reorder_point = DailySeries("[horizon day, position] int32 the policy's R of the day")
    reorder_quantity = DailySeries("[horizon day, position] int32 the policy's lot Q of the day (S = R + Q)")
    restocked = DailySeries("[horizon day, position] int32 returned units put back on stock at the start of the day")
    adjusted = DailySeries("[horizon day, position] int32 units written off at the day's stock count (shrinkage)")
    next_arrival = DailySeries("[horizon day, position] int32 simulation day of the earliest receipt on its way at the "
                               "end of the day, as then expected (holds already made count, later ones not); "
                               "NO_ARRIVAL: nothing in transit")
    arrivals = DailySeries("[simulation day - first_day, position] int32 replenishment units arriving at the start of "
                           "the day, over every walked day and the longest lead time + 2 days beyond")
    requested = DailySeries("[horizon day + TRAILING_DEMAND_DAYS - 1, position] int32 units requested at the first "
                            "node asked, from TRAILING_DEMAND_DAYS - 1 days before the horizon (zeros before day 0); "
                            "resumed: from the window its BlockState carried. Its last row is stop_day - 1")

    @property
    def n_positions(self) -> int:
        return len(self.position_product)

    @property
    def horizon_days(self) -> int:
        return self.series["on_hand"].days

    @property
    def is_stockout(self) -> np.ndarray:
        """[horizon day, position]: quantity_available (= on hand; nothing reserved or damaged) is 0."""
        return self.on_hand == 0

    @property
    def first_series_day(self) -> int:
        """The simulation day of the first row of the horizon series (on_hand, ...)."""
        return max(self.first_day, self.warmup_days)

    @property
    def receipts(self) -> np.ndarray:
        """[horizon day, position] replenishment units received at the start of the day."""
        first = self.first_series_day - self.first_day
        return self.arrivals[first:first + self.horizon_days]


def service_ranks(day: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """int32 rank of each line's priority among its day's lines: orders them as the priority does, in half the bytes."""
    rank = np.empty(len(day), np.int32)
    rank[np.lexsort((priority, day))] = np.arange(len(day), dtype=np.int32)
    return rank


NO_CARTS = np.zeros(0, np.int64)
LOOKAHEAD_DAYS = 168        # days a round of agree_with_tasks walks before it exchanges
CHECKPOINT_DAYS = 14        # days between two checkpoints a round of agree_with_tasks can resume from
Gather = Callable[[np.ndarray], Sequence[np.ndarray]]     # this task's cart ids -> every task's: its own first,
#                                                          then the others, in the same order at every exchange


def product_blocks(product_count: int, products_per_block: int) -> list[tuple[int, int]]:
    """The catalogue as blocks of `products_per_block` products, [lo, hi) each: how the walk divides its work."""
    return [(lo, min(lo + products_per_block, product_count)) for lo in range(0, product_count, products_per_block)]


def walk_blocks(world: World, blocks: list[tuple[int, int]], gather: Gather | None = None,
                lookahead_days: int = LOOKAHEAD_DAYS, *, states: Sequence[BlockState] | None = None,
                stop_day: int | None = None, end_states: bool = False,
                agreed_low: np.ndarray = NO_CARTS, series_blocks: int = 0) -> Iterator[BlockResult]:
    """Walk `blocks` in lock-step over the days [first_day, stop_day); yields each block's result at the end.

    first_day is 0 (from the opening stock), or the day `states` (one per
    block, of the same products) resume at; stop_day defaults to the last
    simulated day + 1. With `end_states`, each result carries the block's
    BlockState after the walk, which a later walk resumes from.
    Without `gather`, every block that holds a line of a cart walks here, or
    the other tasks already agreed on the flags of the carts they share:
    `agreed_low` are the shared carts found low (any days; rounds.py finds
    them). With `gather`, other tasks walk the other blocks at the same
    time, and `gather` exchanges cart ids with all of them (agree_with_tasks).
    With `series_blocks` (and no `gather`), the daily series of at most that
    many blocks are held at once (walk_apart): worth its second walk only where
    a task's blocks are many.
    """
    days = range(resumed_day(blocks, states), world.n_days if stop_day is None else stop_day)
    apart = gather is None and 0 < series_blocks < len(blocks)
    walks = block_walks(world, blocks, states, days, groups=range(len(blocks)) if apart else None)
    if apart:
        yield from walk_apart(walks, days, agreed_low, series_blocks, end_states)
        return
    if gather is None:
        walk_days(walks, days, agreed_low)
    else:
        agree_with_tasks(world, walks, gather, lookahead_days, days)
    while walks:
        yield walks.pop(0).result(end_states)     # popped: a block's state is freed once its result is out


def walk_apart(walks: list[BlockWalk], days: range, agreed_low: np.ndarray, series_blocks: int,
               end_states: bool) -> Iterator[BlockResult]:
    """Walk `days` twice: all blocks in lock-step recording nothing, then `series_blocks` at a time, recording.

    The first walk only finds which carts spanning blocks are low (their lines
    drawn with a group a block: shared by any two blocks); with every such flag known, no
    group of blocks depends on another, so each walks alone from the state it
    started from and only its own daily series are in memory.
    """
    saved = [walk.checkpoint(days) for walk in walks]
    for walk in walks:
        walk.recording = False
    flags = np.union1d(agreed_low, walk_days(walks, days, agreed_low))
    for walk, state in zip(walks, saved, strict=True):
        walk.restore(state)
        walk.recording = True
    del saved
    while walks:
        group = walks[:series_blocks]
        del walks[:series_blocks]
        walk_days(group, days, flags)
        while group:
            yield group.pop(0).result(end_states)


def block_walks(world: World, blocks: list[tuple[int, int]], states: Sequence[BlockState] | None, days: range,
                groups: Sequence[int] | None = None) -> list[BlockWalk]:
    """A BlockWalk of each block over `days`, from its state at days.start (None: the opening stock at day 0).

    The demand of those days is drawn once for all blocks (demand.blocks_requests, `groups` as there).
    """
    pending = np.unique(np.concatenate([NO_CARTS, *(state.pending["cart"] for state in states or ())]))
    requests = demand.blocks_requests(world, blocks, days.start, pending, stop_day=days.stop, groups=groups)
    return [BlockWalk(world, lo, hi, lines, start=states[index] if states else None, stop_day=days.stop)
            for index, ((lo, hi), lines) in enumerate(zip(blocks, requests, strict=True))]


def resumed_day(blocks: list[tuple[int, int]], states: Sequence[BlockState] | None) -> int:
    """The day a walk of `blocks` starts at: 0, or the day their states (one per block, in order) resume at."""
    if not states:
        return 0
    if [(state.product_lo, state.product_hi) for state in states] != list(blocks):
        raise ValueError("the states are not those of the blocks walked")
    days = {state.day for state in states}
    if len(days) != 1:
        raise ValueError(f"the blocks' states end on different days: {sorted(days)}")
    return days.pop()


def walk_days(walks: list[BlockWalk], days: range, others_low: np.ndarray) -> np.ndarray:
    """Every block, day by day: start of day, serve, review. Returns the shared carts found low here.

    A cart is low when a block here finds it low, or when it is in `others_low`
    (sorted cart ids of any days: a day pools only its own).
    """
    found = []
    edges = np.searchsorted(demand.order_days(walks[0].world, others_low), range(days.start, days.stop + 1))
    for day, others_today in zip(days, np.split(others_low[edges[0]:edges[-1]], edges[1:-1] - edges[0]), strict=False):
        for walk in walks:
            walk.start_of_day(day)
        low = [walk.low_carts(day) for walk in walks]
        found += [walk.carts.shared_among(ids) for walk, ids in zip(walks, low, strict=True)]
        pooled = np.unique(np.concatenate([others_today, *low]))
        for walk in walks:
            walk.serve(day, pooled)
            walk.review(day)
    return np.unique(np.concatenate([NO_CARTS, *found]))


def agree_with_tasks(world: World, walks: list[BlockWalk], gather: Gather, lookahead_days: int,
                     days: range | None = None) -> None:
    """Walk `days` (default: every day) in rounds, agreeing with the other tasks on the flags of the carts they share.

    A round walks `lookahead_days` from the first day not yet agreed on. A
    task pools the low carts its own blocks find as it walks with the shared
    carts the OTHER tasks found low in the round before (none, for days no
    round has walked yet), then every task exchanges what it found. Only
    carts that `hinge_on_low` decide differently under another flag, so the
    days before the first one where some task pooled a hinging cart
    differently from the exchange are agreed: they were walked with the
    flags the walk itself produced, and since a day depends only on the days
    before it, that is the sequential walk. The next round resumes from the
    last checkpoint before that day, where its history is this round's, and
    that day is right in it; so the rounds end. Every task sees the same
    exchanges, so all take the same rounds.
    """
    days = range(world.n_days) if days is None else days
    saved: dict[int, list[dict]] = {}        # checkpoint day -> every block's state before it
    before, resume = [NO_CARTS], days.start  # every task's shared low carts of the round before, this task's first
    while resume < days.stop:
        for walk, state in zip(walks, saved.get(resume, ()), strict=False):   # nothing saved: nothing to restore
            walk.restore(state)
        span = range(resume, min(resume + lookahead_days, days.stop))
        others = np.unique(np.concatenate([NO_CARTS, *before[1:]]))
        found = []
        for first in range(span.start, span.stop, CHECKPOINT_DAYS):
            saved[first] = [walk.checkpoint(range(first, span.stop)) for walk in walks]
            found.append(walk_days(walks, range(first, min(first + CHECKPOINT_DAYS, span.stop)), others))
        now = list(gather(np.unique(np.concatenate([NO_CARTS, *found]))))
        pooled, agreed = agreement(world, now, before, span.stop)
        for walk in walks:
            walk.carts.settle(walk.lines_of(range(span.start, agreed)), pooled)
        resume = span.start + (agreed - span.start) // CHECKPOINT_DAYS * CHECKPOINT_DAYS if agreed < span.stop else agreed
        saved = {day: state for day, state in saved.items() if day >= resume}
        before = [carts[demand.order_days(world, carts) >= resume] for carts in now]


def agreement(world: World, now: Sequence[np.ndarray], before: Sequence[np.ndarray], stop: int) -> tuple[np.ndarray, int]:
    """(every task's finds pooled, the first day some task walked differently from them; `stop` if none).

    `now` holds each task's shared carts found low in a round that walked up
    to `stop`, `before` each task's finds of the round before (from the
    round's first day on), both in task order. A task pooled, as it walked,
    its own finds with the OTHERS' of the round before; only a cart that
    hinges on its flag (carts.hinges_on_low) can make it walk differently.
    """
    pooled = np.unique(np.concatenate([NO_CARTS, *now]))
    walked_with = [np.concatenate([found_by, *before[:task], *before[task + 1:]]) for task, found_by in enumerate(now)]
    differ = np.unique(np.concatenate([NO_CARTS, *(np.setxor1d(pooled, carts) for carts in walked_with)]))
    changed = differ[hinges_on_low(world, differ)]
    return pooled, (int(demand.order_days(world, changed).min()) if len(changed) else stop)


def simulate_block(world: World, product_lo: int, product_hi: int) -> BlockResult:
    """One block walked on its own: exact only when the block holds every product a cart can hold (tests, scripts)."""
    return next(walk_blocks(world, [(product_lo, product_hi)]))


class BlockWalk:
    """The walk state of one product block; walk_blocks advances it a day at a time.

    Request arrays are kept once, sorted by (day, first position, priority),
    and only those the walk reads (demand.WalkLines);
    stock that arrives later (supplier receipts, return restocks) waits in a
    ring of a few days; the daily series go to DayRecords.
    """

    def __init__(self, world: World, product_lo: int, product_hi: int, requests: demand.Requests,
                 start: BlockState | None = None, stop_day: int | None = None) -> None:
        """Walks from the opening stock at day 0, or from the state `start` at its day; stops before `stop_day`."""
        self.world = world
        self.first_day = 0 if start is None else start.day
        self.stop_day = world.n_days if stop_day is None else stop_day
        self.product_lo, self.product_hi = product_lo, product_hi
        self.policy = replenishment.block_policy(world, product_lo, product_hi)
        self.plan = world.disruptions
        self._place_positions()
        order = self._sort_lines(requests)
        self.carts = CartBook(world, self.req, requests.cart[order], requests.shared[order])
        self.ordered = self.carts.store_lines()
        n_lines = len(order)
        self.sold = np.zeros(n_lines, np.int16)       # a line sells at most its quantity (int16)
        self.inv_at = np.zeros(n_lines, np.int32)
        self.served = np.zeros(n_lines, np.int8)
        self._open_stock()
        if start is not None:
            self._resume(start)

    def _place_positions(self) -> None:
        """The block's positions (product offset * n_locations + location): their keys and what the outage does to them."""
        world, plan, m = self.world, self.plan, self.world.n_locations
        location = np.tile(np.arange(m), self.product_hi - self.product_lo)
        self.position_keys = (world.product_key[np.repeat(np.arange(self.product_lo, self.product_hi), m)],
                              world.location_key[location])
        self.outage_positions = np.flatnonzero(location == plan.outage_location)
        self.extra_lead = np.where(plan.outage_peers[location], plan.outage_extra_lead_days, 0)

    def _sort_lines(self, requests: demand.Requests) -> np.ndarray:
        """Keep the lines sorted by (day, first position, priority), only what the walk reads; returns that order."""
        world = self.world
        draws = returns.return_draws(world, requests)
        local = (requests.product - self.product_lo).astype(np.int64) * world.n_locations
        positions = np.where(requests.nodes >= 0, local[:, None] + requests.nodes, -1).astype(np.int32)
        order = np.lexsort((requests.priority, positions[:, 0], requests.day))
        self.service_rank = service_ranks(requests.day[order], requests.priority[order])
        self.req = demand.WalkLines(**{f.name: getattr(requests, f.name)[order] for f in fields(demand.WalkLines)})
        self.ret = returns.ReturnDraws(**{f.name: getattr(draws, f.name)[order] for f in fields(returns.ReturnDraws)})
        del draws
        self.positions = positions[order]
        # the first node in service: an outage sends its digital requests to the next node from the start
        self.first_node = self.positions[:, 0].copy()
        out = np.flatnonzero(np.isin(self.first_node, self.outage_positions) & self.plan.outage.covers(self.req.day))
        self.first_node[out] = self.positions[out, 1]
        self.returned = self.ret.returned & (self.req.day >= world.warmup_days)
        self.bounds = np.searchsorted(self.req.day, np.arange(world.n_days + 1))
        # a line's day follows from the day bounds and its product from its first position: neither is held
        # while the walk runs (the walk never reads them); result() derives them again
        self.req.day = self.req.product = demand.NOT_HELD
        return order

    def _open_stock(self) -> None:
        """The stock before the first day: opening on hand and receipts on their way, the rings and the records."""
        world, policy, n_pos = self.world, self.policy, len(self.position_keys[0])
        init = replenishment.initial_state(policy)
        self.on_hand = init.on_hand.copy()
        self.in_transit = np.zeros(n_pos, np.int64)
        max_lead = int(policy.lead_time.max() + self.extra_lead.max()) if n_pos else 1
        anomalies = world.config.anomalies
        held_days = max(self.plan.outage.days, anomalies.late_delivery_days_max if anomalies.late_delivery_rate > 0 else 0)
        self.arrivals = np.zeros((max(max_lead, int(init.arrival_day.max(initial=0))) + 2 + held_days, n_pos), np.int32)
        self.held_back = np.zeros(self.arrivals.shape, bool)     # ring cells holding a receipt already held back once
        self.count_day, self.count_units = self._stock_counts()
        self.shrinkage: dict[str, list[np.ndarray]] = {"position": [], "day": [], "units": []}
        self.late_receipts: dict[str, list[np.ndarray]] = {"position": [], "due_day": [], "arrival_day": [], "units": []}
        has_init = np.flatnonzero(init.arrival_day >= 0)
        self.arrivals[init.arrival_day[has_init], has_init] += init.arrival_qty[has_init].astype(np.int32)
        self.in_transit[has_init] += init.arrival_qty[has_init]
        self.restock = np.zeros((int(self.ret.delay.max(initial=0)) + 2, n_pos), np.int32)
        self.window = world.warmup_days - (TRAILING_DEMAND_DAYS - 1)      # simulation day of the first `requested` row
        self.requested_today: np.ndarray = np.zeros(n_pos, np.int32)
        self.hold_until = init.hold_until.copy()
        self.safety = np.zeros(n_pos)
        self.opening = self.on_hand.copy()
        self.last_receipt = np.full(n_pos, -1, np.int64)
        self.episode_start = np.full(n_pos, -1, np.int64)
        self.carried: BlockState | None = None       # the open stockouts' lost sums of a resumed state (_episode_state)
        self.late_travelling: dict = dict.fromkeys(LATE_FIELDS, NO_CARTS)
        self.pending: dict = {"cart": NO_CARTS, "product": NO_CARTS, "low": np.zeros(0, bool)}
        self.series = {name: DayRecord(n_pos) for name in SERIES}
        self.series["requested"].append_zeros(max(0, -self.window))
        self.recording = True        # False: the days walked leave no series but `requested` (a walk for flags or states)

    def _resume(self, state: BlockState) -> None:
        """Replace the opening stock by `state`: its arrays, its future events in the rings, its requested window."""
        if (state.product_lo, state.product_hi, state.n_positions) != (self.product_lo, self.product_hi, len(self.on_hand)):
            raise ValueError("the state is not of this block")
        day = state.day
        for name in ("on_hand", "in_transit", "hold_until", "safety"):
            setattr(self, name, getattr(state, name).copy())
        self.last_receipt, self.episode_start = state.last_receipt_day.copy(), state.episode_start.copy()
        self.carried = state
        self.arrivals = np.zeros((ring_rows(state.arrivals, day, len(self.arrivals)), len(self.on_hand)), np.int32)
        self.held_back = np.zeros(self.arrivals.shape, bool)
        rows = state.arrivals["day"] % len(self.arrivals)
        self.arrivals[rows, state.arrivals["position"]] = state.arrivals["units"]
        self.held_back[rows, state.arrivals["position"]] = state.arrivals["held_back"]
        self.restock = np.zeros((ring_rows(state.restocks, day, len(self.restock)), len(self.on_hand)), np.int32)
        self.restock[state.restocks["day"] % len(self.restock), state.restocks["position"]] = state.restocks["units"]
        self.late_travelling = state.late_receipts
        self.pending = state.pending
        self.carts.resume(*state.pending_carts())
        self.opening = self.on_hand.copy()
        self.window = state.requested_first_day
        self.series["requested"] = DayRecord(len(self.on_hand))
        for row in state.requested:
            self.series["requested"].append(row)

    # what a day changes: the arrays (restored), the series (rewound) and the anomaly events (cut back)
    STATE = ("on_hand", "in_transit", "arrivals", "held_back", "restock", "hold_until", "safety", "opening",
             "last_receipt", "episode_start")
    EVENTS = ("shrinkage", "late_receipts")

    def checkpoint(self, days: range) -> dict:
        """The state before `days` (days about to be walked, perhaps again), for `restore`."""
        return {
            "days": days,
            **{name: getattr(self, name).copy() for name in self.STATE},
            "series": {name: record.checkpoint() for name, record in self.series.items()},
            "events": {name: len(getattr(self, name)["position"]) for name in self.EVENTS},
        }

    def restore(self, saved: dict) -> None:
        """Back to the state before the days of `saved`, which are walked again."""
        for name in self.STATE:
            getattr(self, name)[...] = saved[name]
        for name, record in self.series.items():
            record.rewind(saved["series"][name])
        for name in self.EVENTS:
            for parts in getattr(self, name).values():
                del parts[saved["events"][name]:]
        lines = self.lines_of(saved["days"])
        self.sold[lines] = self.inv_at[lines] = self.served[lines] = 0

    def lines_of(self, days: range) -> np.ndarray:
        return np.arange(self.bounds[days.start], self.bounds[days.stop])

    def start_of_day(self, d: int) -> None:
        """Receipts of orders due today and return restocks arrive; then the day's stock counts."""
        if d == self.world.warmup_days:
            self.opening = self.on_hand.copy()
        row = d % len(self.arrivals)
        self._hold_back(d, row)
        arriving, restocking = self.arrivals[row], self.restock[d % len(self.restock)]
        self.last_receipt[arriving > 0] = d
        self.on_hand += arriving
        self.in_transit -= arriving
        self.on_hand += restocking
        adjusted = self._count_stock(d) if d >= self.world.warmup_days else None
        if self.recording:
            self.series["arrivals"].append(arriving)
            if adjusted is not None:
                self.series["restocked"].append(restocking)
                self.series["adjusted"].append(adjusted)
        arriving[:] = 0         # the ring row now waits for day d + len(ring)
        self.held_back[row] = False
        restocking[:] = 0

    def _hold_back(self, d: int, row: int) -> None:
        """Receipts the node outage or a late delivery keeps from arriving today move to a later ring row."""
        arriving, plan, ring = self.arrivals[row], self.plan, len(self.arrivals)
        if plan.outage.covers(d):
            held = self.outage_positions[arriving[self.outage_positions] > 0]
            later = (plan.outage.last + 1) % ring
            self.arrivals[later, held] += arriving[held]
            self.held_back[later, held] = True
            arriving[held] = 0
        anomalies = self.world.config.anomalies
        if anomalies.late_delivery_rate == 0 or d < self.world.warmup_days:
            return
        due = np.flatnonzero((arriving > 0) & ~self.held_back[row])
        pk, lk = (keys[due] for keys in self.position_keys)
        epoch = int(self.world.epoch_day[d])
        late = hashing.integers(self.world.seed, "anomaly.late_delivery.days", anomalies.late_delivery_days_min,
                                anomalies.late_delivery_days_max, pk, lk, epoch)
        chosen = ((hashing.uniform(self.world.seed, "anomaly.late_delivery", pk, lk, epoch) < anomalies.late_delivery_rate)
                  & (d + late < self.world.plan_cycle_end(d)) & ~plan.outage.covers(d + late))
        due, late = due[chosen], late[chosen]
        rows = (d + late) % ring
        self.arrivals[rows, due] += arriving[due]
        self.held_back[rows, due] = True
        for name, values in (("position", due), ("due_day", np.full(len(due), d)), ("arrival_day", d + late),
                             ("units", arriving[due].astype(np.int64))):
            self.late_receipts[name].append(values)
        arriving[due] = 0

    def _stock_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """[position, plan cycle] (day of its stock count that finds units missing, units it would write off); -1: none.

        One stock count may find units missing per position and plan cycle (disruptions.by_plan_cycle)."""
        world, anomalies, seed, plan = self.world, self.world.config.anomalies, self.world.seed, self.world.plan_days
        keys, cycles = tuple(self.position_keys), world.disruptions.cycles
        chosen = by_plan_cycle(lambda *ids: hashing.uniform(seed, "anomaly.shrinkage", *ids) < anomalies.shrinkage_rate,
                               keys, cycles)
        day = by_plan_cycle(lambda *ids: hashing.integers(seed, "anomaly.shrinkage.day", 0, plan - 1, *ids), keys, cycles)
        units = by_plan_cycle(lambda *ids: hashing.integers(seed, "anomaly.shrinkage.units", 1,
                                                            anomalies.shrinkage_units_max, *ids), keys, cycles)
        return np.where(chosen, world.warmup_days + plan * np.arange(cycles)[None, :] + day, -1), units

    def _count_stock(self, d: int) -> np.ndarray:
        """Write off the units today's stock counts find missing (at most what is on hand); the day's adjustments."""
        adjusted = np.zeros(len(self.on_hand), np.int64)
        cycle = self.world.disruptions.cycle(d)
        counted = np.flatnonzero(self.count_day[:, cycle] == d)
        units = np.minimum(self.count_units[counted, cycle], self.on_hand[counted])
        counted, units = counted[units > 0], units[units > 0]
        self.on_hand[counted] -= units
        adjusted[counted] = units
        for name, values in (("position", counted), ("day", np.full(len(counted), d)), ("units", units)):
            self.shrinkage[name].append(values)
        return adjusted

    def _sellable(self, d: int) -> np.ndarray:
        """The stock requests can be served from today: on hand, except at a node out of service."""
        if not self.plan.outage.covers(d):
            return self.on_hand
        stock = self.on_hand.copy()
        stock[self.outage_positions] = 0
        return stock

    def low_carts(self, d: int) -> np.ndarray:
        """Ids of the day's carts with an item of this block low at the node that would ship it."""
        return self.carts.low_carts(self._today(d), self.positions, self._sellable(d))

    def serve(self, d: int, low_carts: np.ndarray) -> None:
        """Decide the day's carts under the pooled low flags, then serve every request really ordered."""
        lines = self._today(d)
        self.carts.decide(lines, low_carts, self.ordered)
        today = lines[self.ordered[lines]]
        quantity = self.req.quantity[today]
        self.requested_today = np.bincount(self.first_node[today], quantity, minlength=len(self.on_hand))
        if len(today) == 0:
            return
        stock = self._sellable(d)
        s, inv, col = allocation.serve(self.positions[today], quantity, self.service_rank[today], stock, presorted=True)
        if stock is not self.on_hand:          # the node out of service sold nothing: its stock stays as it was
            stock[self.outage_positions] = self.on_hand[self.outage_positions]
            self.on_hand[:] = stock
        self.sold[today], self.inv_at[today], self.served[today] = s, inv, col
        back = np.flatnonzero(self.returned[today] & (s > 0))
        if len(back):
            # a restock due after the last simulated day waits in the ring: the end state carries it on
            when = d + self.ret.delay[today][back].astype(np.int64)
            where = self.positions[today[back], col[back]]
            np.add.at(self.restock, (when % len(self.restock), where), s[back].astype(np.int32))

    def review(self, d: int) -> None:
        """End of day: the stockout controller moves, and positions at or below their reorder point order."""
        policy, on_hand = self.policy, self.on_hand
        stockout = on_hand == 0
        active = (d >= policy.launch_day) & (d < policy.end_of_life_day)
        self.safety += np.where(active, policy.gain * (stockout - policy.target), 0.0)
        np.clip(self.safety, -replenishment.SAFETY_OFFSET_LIMIT_DAYS, replenishment.SAFETY_OFFSET_LIMIT_DAYS,
                out=self.safety)
        reorder_point, hold, lot = replenishment.daily_levels(policy, d, self.safety)
        position_level = on_hand + self.in_transit
        trigger = (position_level <= reorder_point) & (d < policy.end_of_life_day)
        self.hold_until = np.where(trigger, np.where(self.hold_until < 0, d + hold, self.hold_until), -1)
        place = np.flatnonzero(trigger & (d >= self.hold_until))
        if len(place):
            qty = reorder_point[place] + lot[place] - position_level[place]
            lead = policy.lead_time[place] + np.where(self.plan.outage.covers(d), self.extra_lead[place], 0)
            self.arrivals[(d + lead) % len(self.arrivals), place] += qty.astype(np.int32)
            self.in_transit[place] += qty
            self.hold_until[place] = -1
        if d >= self.window:                    # recorded always: a state carries the last weeks of it
            self.series["requested"].append(self.requested_today)
        if d >= self.world.warmup_days:
            # the stockout episode running through today (runs of the warm-up start on the first horizon day)
            self.episode_start = np.where(stockout, np.where(self.episode_start < 0, d, self.episode_start), -1)
            if self.recording:
                for name, values in (("on_hand", on_hand), ("in_transit", self.in_transit),
                                     ("reorder_point", reorder_point), ("reorder_quantity", lot),
                                     ("next_arrival", self._next_arrival(d))):
                    self.series[name].append(values)

    def _next_arrival(self, d: int) -> np.ndarray:
        """The first day after d whose ring row holds units for each position, NO_ARRIVAL where none does.

        It reads only what day d knows: a receipt held back or made late on a
        later day still shows the day it was due.
        """
        ring = len(self.arrivals)
        ahead = self.arrivals[(d + 1 + np.arange(ring - 1)) % ring] > 0      # rows of days d + 1 .. d + ring - 1
        return np.where(ahead.any(axis=0), d + 1 + ahead.argmax(axis=0), NO_ARRIVAL)

    def _today(self, d: int) -> np.ndarray:
        return self.lines_of(range(d, d + 1))

    def _line_days(self) -> np.ndarray:
        return np.repeat(np.arange(self.world.n_days, dtype=np.int32), np.diff(self.bounds))

    def _walked(self, day: np.ndarray) -> np.ndarray:
        return (day >= self.first_day) & (day < self.stop_day)

    def _lost(self, day: np.ndarray) -> np.ndarray:
        """The walked horizon lines that were lost attempts: ordered, nothing sold (in the walk's line order)."""
        return np.flatnonzero((day >= self.world.warmup_days) & self._walked(day) & self.ordered & (self.sold == 0))

    def result(self, with_end_state: bool = False) -> BlockResult:
        """What the block's tables are made of, once every day is walked: its sales, lost attempts, series and events."""
        world, req = self.world, self.req
        m, warmup, stop = world.n_locations, world.warmup_days, self.stop_day
        end_state = self.end_state() if with_end_state else None
        req.day = self._line_days()
        req.product = (self.product_lo + self.positions[:, 0] // m).astype(np.int32)
        walked = self._walked(req.day)
        for d in range(stop, stop + len(self.arrivals)):      # orders still on their way after the last day
            self.series["arrivals"].append(self.arrivals[d % len(self.arrivals)])
        sales = self._sales(np.flatnonzero(walked & (req.day >= warmup) & (self.sold > 0)))

        # lost attempts of the horizon: requests that got nothing, attributed to the first node asked and
        # valued at list price; a partial fill is a sale line whose shortfall shows in quantity_requested
        lost = self._lost(req.day)
        lost_quantity = req.quantity[lost].astype(np.int64)
        lost_position = self.first_node[lost].astype(np.int64)
        # the walk is over: what only serving read goes before the cart lines are built, so a big block peaks lower
        del self.positions, self.first_node, self.service_rank, self.inv_at, self.served

        return BlockResult(
            product_lo=self.product_lo,
            product_hi=self.product_hi,
            n_locations=m,
            position_product=np.repeat(np.arange(self.product_lo, self.product_hi), m),
            position_location=np.tile(np.arange(m), self.product_hi - self.product_lo),
            warmup_days=warmup,
            lead_time=self.policy.lead_time,
            opening=self.opening,
            series=self.series,
            sales=sales,
            lost_position=lost_position,
            lost_day=(req.day[lost] - warmup).astype(np.int64),
            lost_quantity=lost_quantity,
            lost_revenue=np.round(lost_quantity * world.base_price[req.product[lost]], 2),
            cart_lines=self.carts.lines(self.sold, self.ordered, walked),
            shrinkage=_joined(self.shrinkage),
            late_receipts=_joined(self.late_receipts),
            first_day=self.first_day,
            stop_day=stop,
            end_state=end_state,
            start_state=self.carried,
        )

    def end_state(self) -> BlockState:
        """The block's state after its last walked day (stop_day - 1), for a walk that resumes at stop_day."""
        stop, n_pos = self.stop_day, len(self.on_hand)
        requested = self.series["requested"].array()
        forecast = self.world.config.forecast     # a forecast window that began before the stop day reads its history
        kept = min(len(requested), max(TRAILING_DEMAND_DAYS - 1, forecast.history_days + forecast.forecast_days))
        return BlockState(
            day=stop, product_lo=self.product_lo, product_hi=self.product_hi, n_locations=self.world.n_locations,
            on_hand=self.on_hand.copy(), in_transit=self.in_transit.copy(), hold_until=self.hold_until.copy(),
            safety=self.safety.copy(), last_receipt_day=self.last_receipt.copy(),
            requested_first_day=stop - kept, requested=requested[len(requested) - kept:],
            episode_start=self.episode_start.copy(), **self._episode_state(n_pos),
            arrivals=future_events(self.arrivals, stop, ARRIVAL_FIELDS, held_back=self.held_back),
            restocks=future_events(self.restock, stop, RESTOCK_FIELDS),
            late_receipts=self._late_travelling(),
            pending=self._pending_recoveries(),
            returns=self._returns_restocking(),
        )

    def state_at(self, day: int) -> BlockState:
        """The block's state at the start of `day`, once the walk has walked every day before it (and none after)."""
        stop, self.stop_day = self.stop_day, day
        try:
            return self.end_state()
        finally:
            self.stop_day = stop

    def _episode_state(self, n_pos: int) -> dict[str, np.ndarray]:
        """Lost attempts, units and revenue of the stockout each position is in at the end (zeros: in stock).

        A stockout that began before this walk continues the sums its state
        carried, adding this walk's attempts one by one in their order, as
        the episodes of one walk sum them (np.bincount): the float sum comes
        out the same.
        """
        sums = {"lost_attempts": np.zeros(n_pos, np.int64), "lost_quantity": np.zeros(n_pos, np.int64),
                "lost_revenue": np.zeros(n_pos)}
        if self.carried is not None:
            start = self.carried.episode_start
            continued = (start >= 0) & (self.episode_start == start)
            for name, values in sums.items():
                values[continued] = getattr(self.carried, name)[continued]
        day = self._line_days()
        lost = self._lost(day)
        position = self.first_node[lost].astype(np.int64)
        start = self.episode_start[position]
        in_episode = (start >= 0) & (day[lost] >= start)
        lost, position = lost[in_episode], position[in_episode]
        quantity = self.req.quantity[lost].astype(np.int64)
        product = self.product_lo + self.positions[lost, 0] // self.world.n_locations
        np.add.at(sums["lost_attempts"], position, 1)
        np.add.at(sums["lost_quantity"], position, quantity)
        np.add.at(sums["lost_revenue"], position, np.round(quantity * self.world.base_price[product], 2))
        return sums

    def _late_travelling(self) -> dict[str, np.ndarray]:
        """The late receipts (carried and made late by this walk) that arrive on or after the stop day."""
        made = _joined(self.late_receipts)
        late = {name: np.concatenate([self.late_travelling[name], made[name]]).astype(np.int64) for name in LATE_FIELDS}
        keep = late["arrival_day"] >= self.stop_day
        return {name: values[keep] for name, values in late.items()}

    def _returns_restocking(self) -> dict[str, np.ndarray]:
        """The returned sale lines (carried and sold by this walk) restocked on or after the stop day, by sale line."""
        day = self._line_days()
        lines = np.flatnonzero(self.returned & (self.sold > 0) & self._walked(day))
        sold = {"order_day": day[lines].astype(np.int64), "order": self.req.order[lines].astype(np.int64),
                "line": self.req.line[lines].astype(np.int64),
                "position": self.positions[lines, self.served[lines]].astype(np.int64),
                "units": self.sold[lines].astype(np.int64),
                "restock_day": day[lines].astype(np.int64) + self.ret.delay[lines]}
        carried = self.carried.returns if self.carried is not None else dict.fromkeys(RETURN_FIELDS, NO_CARTS)
        rows = {name: np.concatenate([carried[name], sold[name]]) for name in RETURN_FIELDS}
        keep = rows["restock_day"] >= self.stop_day
        order = np.lexsort((rows["line"][keep], rows["order"][keep], rows["order_day"][keep]))
        return {name: values[keep][order] for name, values in rows.items()}

    def _pending_recoveries(self) -> dict[str, np.ndarray]:
        """Carts decided before the stop day whose recovery order comes on or after it, per product: carried and new."""
        book, carried = self.carts, self.pending
        lines = np.flatnonzero(book.index >= 0)
        lines = lines[book.pending_recoveries(self.stop_day)[book.index[lines]]]
        k = book.index[lines]
        still = (demand.order_days(self.world, carried["cart"])
                 + demand.recovery_delay(self.world, carried["cart"])) >= self.stop_day
        rows = {"cart": np.concatenate([carried["cart"][still], book.cart_ids[k]]),
                "product": np.concatenate([carried["product"][still],
                                           self.product_lo + self.positions[lines, 0].astype(np.int64)
                                           // self.world.n_locations]),
                "low": np.concatenate([carried["low"][still], book.low[k]])}
        order = np.lexsort((rows["product"], rows["cart"]))
        cart, product = rows["cart"][order], rows["product"][order]
        first = np.ones(len(order), bool)
        first[1:] = (cart[1:] != cart[:-1]) | (product[1:] != product[:-1])
        return {name: values[order][first] for name, values in rows.items()}

    def _sales(self, sold: np.ndarray) -> dict[str, np.ndarray]:
        """The sale lines among the lines `sold`, in (day, order, line) order: what, where, at what price, returned."""
        req, ret = self.req, self.ret
        keep = sold[np.lexsort((req.line[sold], req.order[sold], req.day[sold]))]
        product = req.product[keep].astype(np.int64)
        day = req.day[keep].astype(np.int64)
        rate, promotional, clearance = price_terms(self.world, product, day)
        return {
            "order": req.order[keep],
            "line": req.line[keep],
            **self.carts.order_attributes(keep),
            "cart": self.carts.cart_of(keep),
            "is_recovery": req.is_recovery[keep],
            "day": day,
            "product": product,
            "location": (self.positions[keep, self.served[keep]] % self.world.n_locations).astype(np.int64),
            "quantity_requested": req.quantity[keep].astype(np.int64),
            "quantity_sold": self.sold[keep].astype(np.int64),
            "inventory_at_purchase": self.inv_at[keep].astype(np.int64),
            "is_return": ret.returned[keep],
            "is_exchange": ret.exchange[keep],
            "restock_day": np.where(ret.returned[keep], day + ret.delay[keep], -1),
            "discount_rate": rate,
            "is_promotional": promotional,
            "is_clearance": clearance,
            "cart_low": self.carts.cart_low_of(keep),
        }


def _joined(events: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
    """{name: one int64 array} from the per-day lists the walk appended."""
    return {name: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
            for name, parts in events.items()}
