"""Allocation (SalesValidator) without Spark: priority order, partial fills, fairness, the digital fallback.

Properties on random inputs: test_simulation_properties.py.
"""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.allocation import allocate_requests, serve
from retail_synth.spec import hashing


def test_requests_are_served_in_priority_order_not_input_order():
    sold, inv = allocate_requests(
        position=np.array([0, 0, 0]), requested=np.array([2, 1, 2]), priority=np.array([0.9, 0.1, 0.5]), available=np.array([4])
    )
    # priority order: request 1 (gets 1 of 4), request 2 (2 of 3), request 0 (1 of 1: partial)
    assert sold.tolist() == [1, 1, 2]
    assert inv.tolist() == [1, 4, 3]


def test_partial_fill_and_lost_attempt():
    sold, inv = allocate_requests(np.array([0, 0, 0, 1]), np.array([3, 2, 1, 1]), np.array([0.1, 0.2, 0.3, 0.1]),
                                  np.array([4, 0]))
    assert sold.tolist() == [3, 1, 0, 0]          # second request partly filled, then nothing left
    assert inv.tolist() == [4, 1, 0, 0]
    assert (sold <= inv).all()


def test_random_order_is_fair_when_stock_is_short():
    """Four requests compete for one unit; over many seeds each wins about a quarter of the time."""
    wins = np.zeros(4, dtype=int)
    for seed in range(2000):
        priority = hashing.uniform(seed, "test.priority", np.arange(4))
        sold, _ = allocate_requests(np.zeros(4, dtype=int), np.ones(4, dtype=int), priority, np.array([1]))
        assert sold.sum() == 1
        wins += sold
    assert np.all(np.abs(wins - 500) < 75), wins


def test_digital_fallback_retries_complete_failures_only():
    # positions: node A = 0, node B = 1, node C = 2
    positions = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2]])
    requested = np.array([2, 2, 2])
    priority = np.array([0.1, 0.2, 0.3])
    stock = np.array([1, 1, 0])
    sold, inv, served = serve(positions, requested, priority, stock)
    assert sold.tolist() == [1, 1, 0]               # partial at A; complete failure retried, partial at B; then nothing
    assert served.tolist() == [0, 1, 0]             # the total failure stays attributed to the first node
    assert inv.tolist() == [1, 1, 0]
    assert stock.tolist() == [0, 0, 0]
