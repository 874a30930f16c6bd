"""The browsing sessions of the carts: each draw a function of (seed, cart id, session code[, position])."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.abandonment import abandonment_stages
from retail_synth.model.simulation.sessions import (
    ADD_TO_CART,
    BROWSE_SESSION,
    CART_SESSION,
    CHECKOUT,
    NO_PRODUCT,
    PAGE_VIEW,
    PRODUCT_VIEW,
    PURCHASE,
    RECOVERY_SESSION,
    SEARCH,
    Browsing,
    CartRows,
    SessionInputs,
    browsing,
)
from retail_synth.tables.views import EventView
from tests.support.simulated_worlds import tiny_decisions


@lru_cache(maxsize=1)
def decided() -> tuple[SessionInputs, pa.RecordBatch]:
    """The tiny run's session inputs (as the event table's view builds them) and cart decisions."""
    world, decisions = tiny_decisions()
    return EventView.of(world).sessions, decisions.combine_chunks().to_batches(max_chunksize=decisions.num_rows)[0]


@lru_cache(maxsize=1)
def whole() -> Browsing:
    inputs, batch = decided()
    found = browsing(inputs, CartRows.of(batch))
    assert found is not None
    return found


def by_event(found: Browsing) -> dict[tuple[int, int, int], tuple]:
    """Every event by (cart, session code, position): its type, product, dwell, timestamp and value."""
    s, e = found.sessions, found.events
    keys = zip(s.cart[e.session].tolist(), s.code[e.session].tolist(), e.position.tolist(), strict=True)
    values = zip(e.type.tolist(), e.product.tolist(), e.dwell.tolist(), e.timestamp.tolist(), e.value.tolist(), strict=True)
    return dict(zip(keys, values, strict=True))


def test_events_do_not_depend_on_how_the_carts_are_batched_or_ordered():
    inputs, batch = decided()
    order = pa.array(np.random.default_rng(3).permutation(batch.num_rows))
    shuffled = batch.take(order)
    pieces = [browsing(inputs, CartRows.of(shuffled.slice(lo, 41))) for lo in range(0, shuffled.num_rows, 41)]
    split: dict = {}
    for piece in pieces:
        if piece is not None:
            split.update(by_event(piece))
    assert split == by_event(whole())


def test_each_cart_has_one_cart_session_in_the_horizon_and_sessions_are_ordered():
    inputs, batch = decided()
    carts, s = CartRows.of(batch), whole().sessions
    cart_sessions = s.row[s.kind == CART_SESSION]
    assert np.array_equal(cart_sessions, np.flatnonzero(carts.day >= inputs.warmup_days))
    assert np.array_equal(s.row[s.kind == RECOVERY_SESSION],
                          np.flatnonzero(carts.recovered & (carts.recovery_day >= inputs.warmup_days)))
    assert (np.diff(s.row) >= 0).all()
    assert (s.day >= inputs.warmup_days).all()
    browse = s.kind == BROWSE_SESSION
    assert browse.any() and (s.day[browse] <= s.cart_day[browse]).all()
    assert (s.cart_day[browse] - s.day[browse] <= inputs.events.browse_lookback_days).all()


def test_a_session_is_entry_lines_checkout_purchase_in_time_order():
    s, e = whole().sessions, whole().events
    first = e.position == 0
    assert np.isin(e.type[first], (PAGE_VIEW, SEARCH)).all() and np.array_equal(e.session[first], np.arange(len(s.row)))
    assert (e.product[np.isin(e.type, (PRODUCT_VIEW, ADD_TO_CART))] != NO_PRODUCT).all()
    assert (e.product[~np.isin(e.type, (PRODUCT_VIEW, ADD_TO_CART))] == NO_PRODUCT).all()
    assert np.array_equal(np.bincount(e.session[e.type == PURCHASE], minlength=len(s.row)), s.has_purchase)
    same = e.session[1:] == e.session[:-1]
    step = (e.timestamp[1:] - e.timestamp[:-1]).astype(np.int64)
    assert (step[same] == e.dwell[:-1][same]).all() and (step[same] > 0).all()
    assert (e.dwell[np.append(~same, True)] == 0).all()                 # a session's last page
    assert (e.timestamp.astype("datetime64[D]") == decided()[0].days[s.day[e.session]]).all()   # within its day


def test_an_abandoned_cart_reaches_checkout_exactly_past_the_cart_stage():
    inputs, batch = decided()
    carts, s, e = CartRows.of(batch), whole().sessions, whole().events
    abandoned = np.flatnonzero((s.kind == CART_SESSION) & carts.abandoned[s.row])
    checkouts = np.bincount(e.session[e.type == CHECKOUT], minlength=len(s.row))[abandoned]
    stage = abandonment_stages(inputs.seed, inputs.abandonment_stage, s.cart[abandoned])
    assert len(abandoned) > 0 and np.array_equal(checkouts == 1, stage > 0)


def test_an_empty_batch_has_no_sessions():
    inputs, batch = decided()
    assert browsing(inputs, CartRows.of(batch.slice(0, 0))) is None
