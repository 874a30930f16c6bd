"""gold_inventory_fact: one row per position (product x location) per horizon day, the end-of-day state.

Rows are day-major (every position of a day, then the next day), and a batch
may cut a day anywhere: the two values that look back in time (the last
receipt day and the running stockout length) are carried from chunk to chunk.
A walk resumed from a BlockState starts them (and the trailing demand) from
that state, so its rows are those one walk over both parts writes for its days.
quantity_reserved and quantity_damaged are always 0 (the simulation keeps no
reservations or damage), so quantity_available = quantity_on_hand.
days_of_supply and stock_cover_days divide by the mean daily units requested
at the position (first node asked, lost requests included) over the
TRAILING_DEMAND_DAYS days ending that day; NULL when nothing was requested.
next_replenishment_date is the walk's next_arrival: the day the earliest
receipt on its way was expected at the end of that day, so a row never reads
past its own day (a receipt held back or late later still shows its due day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.episodes import stockout_duration
from retail_synth.model.simulation.walk import NO_ARRIVAL, TRAILING_DEMAND_DAYS, BlockResult
from retail_synth.spec.vocabulary import WAREHOUSE_SOURCE
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.keys import sim_dates
from retail_synth.tables.views import InventoryView

TABLE = "gold_inventory_fact"
VIEW = InventoryView


@dataclass(frozen=True)
class _Days:
    """[day, position] state of the horizon days a chunk of rows touches (the chunk may cut its first and last)."""

    day: np.ndarray                   # simulation day of each row of the arrays
    on_hand: np.ndarray
    in_transit: np.ndarray
    mean_requested: np.ndarray        # mean daily units requested over the trailing days
    stockout_run: np.ndarray          # days the position has been out of stock, that day included (0: in stock)
    last_receipt: np.ndarray          # last day with a receipt up to that day, -1: none
    next_receipt: np.ndarray          # expected day of the earliest receipt on its way at the end of that day


def batches(view: InventoryView, result: BlockResult, etl_timestamp: dt.datetime,
            batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's inventory rows, at most batch_rows rows a batch."""
    r = result
    n_pos = r.n_positions
    if n_pos == 0:
        return
    # carried across chunks: last receipt day before the chunk, stockout run length before the chunk
    last_before, run_before = _carried_in(r)
    for r0, r1 in row_chunks(r.horizon_days * n_pos, batch_rows):
        h0, h1 = r0 // n_pos, (r1 - 1) // n_pos + 1      # horizon days touched by the chunk
        days = _days(r, h0, h1, last_before, run_before)
        complete = r1 // n_pos - h0                      # the state carried on: the chunk's last complete day
        if complete > 0:
            last_before, run_before = days.last_receipt[complete - 1], days.stockout_run[complete - 1]
        lo, hi = r0 - h0 * n_pos, r1 - h0 * n_pos
        yield record_batch(TABLE, _columns(view, r, days, h0, lo, hi), hi - lo, etl_timestamp)


def _carried_in(r: BlockResult) -> tuple[np.ndarray, np.ndarray]:
    """(last receipt day, stockout run length) of each position before the block's first row.

    A walk from the opening stock has them from its warm-up arrivals (a run
    that began in the warm-up counts from the first horizon day); a resumed
    walk from the state it started from, then from the warm-up days it walked.
    """
    walked = min(r.first_series_day, r.stop_day) - r.first_day      # walked days before the first row (warm-up)
    day_ids = np.arange(r.first_day, r.first_day + walked, dtype=np.int32)[:, None]
    last_before = np.where(r.arrivals[:walked] > 0, day_ids, -1).max(axis=0, initial=-1).astype(np.int64)
    run_before = np.zeros(r.n_positions, np.int64)
    carried = r.start_state
    if carried is not None:
        last_before = np.maximum(last_before, carried.last_receipt_day)
        run_before = np.where(carried.episode_start >= 0, r.first_series_day - carried.episode_start, 0)
    return last_before, run_before


def _days(r: BlockResult, h0: int, h1: int, last_before: np.ndarray, run_before: np.ndarray) -> _Days:
    """The state of horizon days h0 .. h1 - 1 (series rows), given the receipt day and stockout run carried from
    before h0."""
    day = np.arange(h0, h1) + r.first_series_day
    on_hand = r.on_hand[h0:h1].astype(np.int64)
    stockout = on_hand == 0
    leading = np.logical_and.accumulate(stockout, axis=0)
    run = stockout_duration(stockout).astype(np.int64) + np.where(leading, run_before[None, :], 0)
    return _Days(day=day, on_hand=on_hand, in_transit=r.in_transit[h0:h1].astype(np.int64),
                 mean_requested=_trailing_demand(r, h0, h1, day), stockout_run=run,
                 last_receipt=_last_receipt_days(r, day, last_before), next_receipt=r.next_arrival[h0:h1])


def _trailing_demand(r: BlockResult, h0: int, h1: int, day: np.ndarray) -> np.ndarray:
    """Mean daily units requested over the TRAILING_DEMAND_DAYS days ending on each day (fewer from day 0)."""
    # rows h + skip .. h + skip + 27 of `requested` cover the 28 days ending on series row h (skip: 0 from the
    # opening stock; a resumed walk's `requested` starts with the longer window its state carried)
    skip = r.first_series_day - (TRAILING_DEMAND_DAYS - 1) - (r.stop_day - r.requested.shape[0])
    window = r.requested[h0 + skip:h1 + skip + TRAILING_DEMAND_DAYS - 1].astype(np.int64)
    cum = np.zeros((window.shape[0] + 1, r.n_positions), np.int64)
    np.cumsum(window, axis=0, out=cum[1:])
    span = np.minimum(day + 1, TRAILING_DEMAND_DAYS)[:, None]
    return (cum[TRAILING_DEMAND_DAYS:] - cum[: h1 - h0]) / span


def _last_receipt_days(r: BlockResult, day: np.ndarray, last_before: np.ndarray) -> np.ndarray:
    """The last receipt day up to each day, -1 where there is none."""
    chunk_arrivals = r.arrivals[day[0] - r.first_day:day[-1] + 1 - r.first_day]
    return np.maximum(np.maximum.accumulate(np.where(chunk_arrivals > 0, day[:, None], -1), axis=0),
                      last_before[None, :])


def _columns(view: InventoryView, r: BlockResult, days: _Days, h0: int, lo: int, hi: int) -> dict:
    """Rows lo .. hi - 1 of the day-major [day, position] state of `days` as the contract's columns."""
    n_pos, h1 = r.n_positions, h0 + len(days.day)

    def flat(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a).reshape(-1)[lo:hi]

    product = r.position_product[np.tile(np.arange(n_pos), h1 - h0)[lo:hi]]
    location = r.position_location[np.tile(np.arange(n_pos), h1 - h0)[lo:hi]]
    row_day = np.repeat(days.day, n_pos)[lo:hi]
    has_demand = days.mean_requested > 0
    safe = np.where(has_demand, days.mean_requested, 1.0)
    cover = (days.on_hand + days.in_transit) / safe
    has_next = days.next_receipt != NO_ARRIVAL
    last = flat(days.last_receipt)
    q = flat(days.on_hand)
    n = hi - lo
    return {
        "product_key": view.product_key[product],
        "location_key": view.location_key[location],
        "date_key": view.date_key[row_day],
        "quantity_on_hand": q,
        "quantity_available": q,
        "quantity_reserved": np.zeros(n, np.int32),
        "quantity_in_transit": flat(days.in_transit),
        "quantity_damaged": np.zeros(n, np.int32),
        "inventory_value_cost": np.round(q * view.unit_cost[product], 2),
        "inventory_value_retail": np.round(q * view.base_price[product], 2),
        "days_of_supply": pa.array(np.round(flat(days.on_hand / safe), 2), mask=~flat(has_demand)),
        "stock_cover_days": pa.array(np.round(flat(cover), 2), mask=~flat(has_demand)),
        "reorder_point": flat(r.reorder_point[h0:h1]),
        "reorder_quantity": flat(r.reorder_quantity[h0:h1]),
        "is_stockout": q == 0,
        "stockout_duration_days": flat(days.stockout_run),
        "is_overstock": flat(has_demand & (cover > view.overstock_cover_days)),
        "is_discontinued": row_day >= view.end_of_life_day[product],
        "last_replenishment_date": pa.array(sim_dates(view.days, np.maximum(last, 0)), mask=last < 0),
        "next_replenishment_date": pa.array(sim_dates(view.days, np.where(flat(has_next), flat(days.next_receipt), 0)),
                                            mask=~flat(has_next)),
        "source_system": WAREHOUSE_SOURCE,
    }
