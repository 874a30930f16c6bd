"""StockoutGenerator: stockout episodes from the daily is_stockout series.

An episode is a maximal run of end-of-day stockout days of one position within
the horizon (runs that began in the warm-up start on the first horizon day).
It is open when it runs through the last horizon day. Lost sales are counted
from the requests themselves: every request that got nothing (a lost
attempt, attributed to the first node asked) on a day of the run, with its
units and their revenue at list price.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retail_synth.model.simulation.block_state import BlockState


def stockout_duration(is_stockout: np.ndarray) -> np.ndarray:
    """[days, positions] -> consecutive stockout days ending on each day (0 when in stock)."""
    days = np.arange(is_stockout.shape[0])[:, None]
    last_in_stock = np.maximum.accumulate(np.where(is_stockout, -1, days), axis=0)
    return np.where(is_stockout, days - last_in_stock, 0).astype(np.int32)


def stockout_runs(is_stockout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[days, positions] -> (position, first day, last day) of every run, sorted by position then day."""
    n_days, n_pos = is_stockout.shape
    padded = np.zeros((n_pos, n_days + 2), dtype=np.int8)
    padded[:, 1:-1] = is_stockout.T
    step = np.diff(padded, axis=1)
    pos_start, day_start = np.nonzero(step == 1)
    _, day_end = np.nonzero(step == -1)
    return pos_start.astype(np.int64), day_start.astype(np.int64), (day_end - 1).astype(np.int64)


@dataclass
class Episodes:
    position: np.ndarray       # int64
    start: np.ndarray          # int64 horizon day index
    end: np.ndarray            # int64 last stockout day (horizon index)
    is_open: np.ndarray        # bool: still out of stock on the last horizon day
    duration: np.ndarray       # int64 days
    lost_attempts: np.ndarray  # int64 requests that got nothing
    lost_quantity: np.ndarray  # int64 units of those requests
    lost_revenue: np.ndarray   # float64 those units at list price


def episodes(
    is_stockout: np.ndarray,
    lost_position: np.ndarray,
    lost_day: np.ndarray,
    lost_quantity: np.ndarray,
    lost_revenue: np.ndarray,
) -> Episodes:
    """Episodes of [days, positions] stockout flags, with the lost requests (one entry each) summed into them.

    A request that got nothing found its first node empty, and stock only
    comes in at the start of a day, so that node ends the day out of stock:
    every lost attempt belongs to exactly one episode.
    """
    position, start, end = stockout_runs(is_stockout)
    n_days = is_stockout.shape[0]
    n = len(position)
    lost_position = np.asarray(lost_position, dtype=np.int64)
    lost_day = np.asarray(lost_day, dtype=np.int64)
    episode = np.searchsorted(position * n_days + start, lost_position * n_days + lost_day, side="right") - 1
    inside = (episode >= 0) & (lost_day <= end[np.maximum(episode, 0)]) & (position[np.maximum(episode, 0)] == lost_position)
    if not np.all(inside):
        raise AssertionError("a lost request fell outside every stockout episode")
    return Episodes(
        position=position,
        start=start,
        end=end,
        is_open=end == n_days - 1,
        duration=end - start + 1,
        lost_attempts=np.bincount(episode, minlength=n).astype(np.int64),
        lost_quantity=np.bincount(episode, np.asarray(lost_quantity, dtype=np.float64), minlength=n).astype(np.int64),
        lost_revenue=np.bincount(episode, np.asarray(lost_revenue, dtype=np.float64), minlength=n),
    )


def continued_episodes(
    is_stockout: np.ndarray,
    lost_position: np.ndarray,
    lost_day: np.ndarray,
    lost_quantity: np.ndarray,
    lost_revenue: np.ndarray,
    first_row_day: int,
    carried: BlockState | None = None,
) -> Episodes:
    """Episodes with start and end as simulation days, of flags whose first row is day first_row_day.

    lost_day counts from first_row_day too. A walk resumed from `carried`
    (its BlockState) finishes the stockouts that state was in (the run before
    wrote them open): one still out of stock on the first row goes on from
    the carried start, its lost sums from the carried ones, this walk's
    attempts added one by one in their order, as episodes() sums one walk's,
    so the unrounded revenue comes out bitwise as one walk over both parts
    sums it; one back in stock on the first row ended the day before, with
    the carried sums. Both are rows of this walk, sorted in by position.
    """
    e = episodes(is_stockout, lost_position, lost_day, lost_quantity, lost_revenue)
    e = replace(e, start=e.start + first_row_day, end=e.end + first_row_day)
    if carried is None:
        return e
    e = replace(e, lost_revenue=e.lost_revenue.astype(np.float64))    # bincount of no attempts sums ints
    lead = (e.start == first_row_day) & (carried.episode_start[e.position] >= 0)
    lead_end = np.full(len(carried.episode_start), -1, np.int64)
    lead_end[e.position[lead]] = e.end[lead]
    lost_position = np.asarray(lost_position, dtype=np.int64)
    mine = np.asarray(lost_day, dtype=np.int64) + first_row_day <= lead_end[lost_position]
    sums = {"lost_attempts": 1, "lost_quantity": np.asarray(lost_quantity)[mine],
            "lost_revenue": np.asarray(lost_revenue)[mine]}
    for name, values in sums.items():
        total = getattr(carried, name).copy()
        np.add.at(total, lost_position[mine], values)
        getattr(e, name)[lead] = total[e.position[lead]]
    e.start[lead] = carried.episode_start[e.position[lead]]
    return _with_closed(replace(e, duration=e.end - e.start + 1), carried, first_row_day, lead_end)


def _with_closed(e: Episodes, carried: BlockState, first_row_day: int, lead_end: np.ndarray) -> Episodes:
    """`e` and the carried stockouts that ended the day before first_row_day (no episode of `e` goes on with them)."""
    closed = np.flatnonzero((carried.episode_start >= 0) & (lead_end < 0))
    start = carried.episode_start[closed]
    ended = Episodes(position=closed, start=start, end=np.full(len(closed), first_row_day - 1, np.int64),
                     is_open=np.zeros(len(closed), bool), duration=first_row_day - start,
                     lost_attempts=carried.lost_attempts[closed], lost_quantity=carried.lost_quantity[closed],
                     lost_revenue=carried.lost_revenue[closed])
    both = {f.name: np.concatenate([getattr(e, f.name), getattr(ended, f.name)]) for f in fields(Episodes)}
    order = np.lexsort((both["start"], both["position"]))
    return Episodes(**{name: values[order] for name, values in both.items()})
