"""StockoutGenerator: stockout episodes from the daily is_stockout series.

An episode is a maximal run of end-of-day stockout days of one position within
the horizon (runs that began in the warm-up start on the first horizon day).
It is open when it runs through the last horizon day. Lost sales are counted
from the requests themselves: every request that got nothing (a lost
attempt, attributed to the first node asked) on a day of the run, with its
units and their revenue at list price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
