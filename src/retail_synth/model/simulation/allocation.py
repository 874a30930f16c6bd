"""SalesValidator: which requests get the stock when it is short.

Within one position (product x location) and one day, requests are served in
ascending `priority` (the order's time slot plus a hashed tie-break, so who
wins is seeded-random, never generation order). Each request gets
min(requested, remaining); inventory_at_purchase is what remained just before
it. Everything is a sort plus a per-position cumulative sum: no row loops.

A request that gets nothing at all is a lost attempt. Digital requests that
get nothing at their first node retry, after every first-round request, at
the next node, then the one after. A partial fill ends the search: its
shortfall stays with the node that partly filled it (now at 0).
"""

from __future__ import annotations

import numpy as np


def _group_starts(position: np.ndarray) -> np.ndarray:
    """Indices where a run of equal (sorted) positions starts."""
    new = np.empty(len(position), dtype=bool)
    new[:1] = True
    np.not_equal(position[1:], position[:-1], out=new[1:])
    return np.flatnonzero(new)


def allocate_sorted(position: np.ndarray, requested: np.ndarray, available: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """allocate_requests for requests already sorted by (position, priority)."""
    n = len(position)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    req = np.asarray(requested, dtype=np.int64)
    before = np.cumsum(req) - req
    starts = _group_starts(position)
    sizes = np.diff(starts, append=n)
    used = before - np.repeat(before[starts], sizes)
    remaining = np.maximum(np.asarray(available, dtype=np.int64)[position] - used, 0)
    return np.minimum(req, remaining), remaining


def allocate_requests(
    position: np.ndarray, requested: np.ndarray, priority: np.ndarray, available: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Serve one day's requests against `available` (indexed by position).

    Returns (sold, inventory_at_purchase) in the order of the inputs.
    """
    position = np.asarray(position)
    order = np.lexsort((np.asarray(priority), position))
    sold_sorted, inv_sorted = allocate_sorted(position[order], np.asarray(requested)[order], available)
    sold = np.empty_like(sold_sorted)
    inv = np.empty_like(inv_sorted)
    sold[order] = sold_sorted
    inv[order] = inv_sorted
    return sold, inv


def _take(stock: np.ndarray, position: np.ndarray, sold: np.ndarray) -> None:
    """stock[position] -= sold for positions sorted ascending (grouped)."""
    if len(position) == 0:
        return
    starts = _group_starts(position)
    stock[position[starts]] -= np.add.reduceat(sold, starts).astype(stock.dtype)


def serve(
    positions: np.ndarray, requested: np.ndarray, priority: np.ndarray, stock: np.ndarray, presorted: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Serve one day's requests with fallback nodes; takes the sold units out of `stock` in place.

    positions: [n, k] positions to try in order (-1 = no further node).
    Returns (sold, inventory_at_purchase, round) per request, input order; `round`
    is the column of the position that served it (0 when it got nothing).
    """
    n = len(requested)
    positions = np.asarray(positions)
    if positions.ndim == 1:
        positions = positions[:, None]
    sold = np.zeros(n, np.int64)
    inv = np.zeros(n, np.int64)
    served = np.zeros(n, np.int8)
    todo = np.arange(n)
    for column in range(positions.shape[1]):
        if column:
            todo = todo[(sold[todo] == 0) & (positions[todo, column] >= 0)]
            if len(todo) == 0:
                break
        pos = positions[todo, column]
        if not (presorted and column == 0):
            order = np.lexsort((priority[todo], pos))
            todo, pos = todo[order], pos[order]
        s, r = allocate_sorted(pos, requested[todo], stock)
        _take(stock, pos, s)
        if column == 0:
            sold[todo], inv[todo] = s, r
        else:
            got = s > 0                         # a later node only replaces a complete failure
            sold[todo[got]], inv[todo[got]], served[todo[got]] = s[got], r[got], column
    return sold, inv, served
