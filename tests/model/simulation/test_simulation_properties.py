"""Property tests of the simulation core on small random inputs (hypothesis)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_synth.model.dimensions.run_dimensions import build_dimensions
from retail_synth.model.simulation.allocation import allocate_requests, serve
from retail_synth.model.simulation.episodes import (
    episodes,
    stockout_duration,
    stockout_runs,
)
from retail_synth.model.simulation.walk import simulate_block, walk_blocks
from retail_synth.model.simulation.world import build_world
from retail_synth.spec.configuration import resolve

FAST = settings(max_examples=50, deadline=None)
WORLDS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def day_of_requests(draw):
    n_pos = draw(st.integers(1, 4))
    n = draw(st.integers(0, 25))
    position = np.array(draw(st.lists(st.integers(0, n_pos - 1), min_size=n, max_size=n)), dtype=np.int64)
    requested = np.array(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)), dtype=np.int64)
    priority = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n, unique=True)), dtype=np.float64)
    available = np.array(draw(st.lists(st.integers(0, 8), min_size=n_pos, max_size=n_pos)), dtype=np.int64)
    return position, requested, priority, available


@FAST
@given(day_of_requests())
def test_allocation_never_oversells_and_follows_priority(case):
    position, requested, priority, available = case
    sold, inv = allocate_requests(position, requested, priority, available)
    assert (sold >= 0).all() and (sold <= requested).all() and (sold <= inv).all()
    for p in range(len(available)):
        mine = np.flatnonzero(position == p)
        order = mine[np.argsort(priority[mine])]
        remaining = available[p]
        for i in order:                       # the reference: serve one by one in priority order
            assert inv[i] == remaining
            assert sold[i] == min(requested[i], remaining)
            remaining -= sold[i]
        assert sold[mine].sum() <= available[p]


@FAST
@given(day_of_requests(), st.randoms(use_true_random=False))
def test_allocation_does_not_depend_on_input_order(case, rnd):
    position, requested, priority, available = case
    perm = np.arange(len(position))
    rnd.shuffle(perm)
    sold, inv = allocate_requests(position, requested, priority, available)
    sold2, inv2 = allocate_requests(position[perm], requested[perm], priority[perm], available)
    assert np.array_equal(sold[perm], sold2) and np.array_equal(inv[perm], inv2)


@FAST
@given(day_of_requests(), st.integers(0, 2**31))
def test_fallback_serving_conserves_stock(case, salt):
    position, requested, priority, available = case
    n_pos = len(available)
    rng = np.random.default_rng(salt)
    digital = rng.random(len(position)) < 0.5
    second = (position + 1) % n_pos
    positions = np.stack([position, np.where(digital & (n_pos > 1), second, -1)], axis=1)
    stock = available.copy()
    sold, inv, served = serve(positions, requested, priority, stock)
    assert (stock >= 0).all()
    assert sold.sum() == available.sum() - stock.sum()
    assert (sold <= requested).all() and (sold <= inv).all()
    assert not ((served == 1) & (sold == 0)).any()            # a retry only counts when it sold something
    # a request that failed at its first node is retried only where it has a next node
    retried = served == 1
    assert (positions[retried, 1] >= 0).all()


@FAST
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 2**31))
def test_episodes_are_the_runs_and_carry_their_lost_requests(n_days, n_pos, salt):
    rng = np.random.default_rng(salt)
    flags = rng.random((n_days, n_pos)) < 0.4
    duration = stockout_duration(flags)
    for p in range(n_pos):
        run = 0
        for d in range(n_days):
            run = run + 1 if flags[d, p] else 0
            assert duration[d, p] == run
    position, start, end = stockout_runs(flags)
    assert flags.sum() == (end - start + 1).sum()
    for p, a, b in zip(position, start, end, strict=True):
        assert flags[a:b + 1, p].all()
        assert a == 0 or not flags[a - 1, p]
        assert b == n_days - 1 or not flags[b + 1, p]
    # lost requests on stockout days
    days, pos = np.nonzero(flags)
    pick = rng.integers(0, len(days) + 1, size=rng.integers(0, 10)) if len(days) else np.zeros(0, int)
    pick = pick[pick < len(days)]
    quantity = rng.integers(1, 4, size=len(pick))
    ep = episodes(flags, pos[pick], days[pick], quantity, quantity * 10.0)
    assert ep.lost_attempts.sum() == len(pick) and ep.lost_quantity.sum() == quantity.sum()
    assert np.array_equal(ep.is_open, ep.end == n_days - 1)


@lru_cache(maxsize=32)
def small_world(seed: int, products: int, customers: int, days: int, warmup: int):
    start = dt.date(2025, 3, 1)
    config = resolve(
        preset="tiny",
        assignments=[
            f"products.product_count={products}",
            f"customers.customer_count={customers}",
            f"start_date={start}",
            f"end_date={start + dt.timedelta(days=days - 1)}",
            f"warmup_days={warmup}",
        ],
        seed=seed,
    )
    return build_world(config, build_dimensions(config, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)), seed)


worlds = st.tuples(
    st.sampled_from([1, 2, 3]), st.integers(2, 12), st.sampled_from([200, 800, 3000]),
    st.integers(1, 20), st.integers(0, 20),
)


@WORLDS
@given(worlds, st.data())
def test_random_worlds_keep_the_flow_identity_and_block_independence(shape, data):
    world = small_world(*shape)
    n = world.n_products
    whole = simulate_block(world, 0, n)
    # flow identity and no negative stock
    s = whole.sales
    sold = np.zeros_like(whole.on_hand, dtype=np.int64)
    pos = (s["product"] - whole.product_lo) * world.n_locations + s["location"]
    np.add.at(sold, (s["day"] - whole.warmup_days, pos), s["quantity_sold"])
    previous = np.vstack([whole.opening[None, :], whole.on_hand[:-1]]).astype(np.int64)
    assert np.array_equal(whole.on_hand, previous - sold + whole.restocked + whole.receipts)
    assert (whole.on_hand >= 0).all() and (s["quantity_sold"] <= s["inventory_at_purchase"]).all()
    # the same rows whatever the block boundary
    cut = data.draw(st.integers(1, n - 1))
    left, right = walk_blocks(world, [(0, cut), (cut, n)])
    k = cut * world.n_locations
    assert np.array_equal(whole.on_hand[:, :k], left.on_hand)
    assert np.array_equal(whole.on_hand[:, k:], right.on_hand)
    assert np.array_equal(whole.in_transit, np.hstack([left.in_transit, right.in_transit]))
    joined = {key: np.concatenate([left.sales[key], right.sales[key]]) for key in s}
    order = np.lexsort((joined["line"], joined["order"], joined["day"]))
    assert all(np.array_equal(s[key], joined[key][order]) for key in s)
