"""The draws of an abandoned cart's row: each a function of (seed, cart id) alone."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.abandonment import (
    LOW_INVENTORY_REASON,
    AbandonmentInputs,
    abandoned_carts,
    abandonment_stages,
)
from retail_synth.model.simulation.carts import email_funnel, recovery_funnel
from retail_synth.spec import vocabulary
from retail_synth.spec.configuration import resolve
from tests.support.simulated_worlds import tiny_world

CONFIG = resolve(preset="tiny")
DECLARED = CONFIG.distributions
CART = np.arange(40_000, dtype=np.int64) * 7919
LOW = (np.arange(len(CART)) % 3 == 0).astype(np.int32) * 2


def inputs(seed: int = 3) -> AbandonmentInputs:
    return AbandonmentInputs(seed=seed, carts=CONFIG.carts, stages=DECLARED.abandonment_stage,
                             reasons=DECLARED.abandonment_reason)


def test_abandonment_stages_are_hashed_per_cart_with_their_declared_weights():
    declared = DECLARED.abandonment_stage
    stage = abandonment_stages(3, declared, CART)
    assert np.array_equal(stage, abandonment_stages(3, declared, CART[::-1])[::-1])        # a cart's own draw
    share = np.bincount(stage, minlength=len(vocabulary.ABANDONMENT_STAGES)) / len(CART)
    assert declared.labels == vocabulary.ABANDONMENT_STAGES
    assert np.allclose(share, declared.weights, atol=0.01)
    assert not np.array_equal(stage, abandonment_stages(4, declared, CART))


def test_a_carts_draws_do_not_depend_on_the_other_carts_or_their_order():
    whole = abandoned_carts(inputs(), CART, LOW)
    order = np.random.default_rng(0).permutation(len(CART))
    pieces = [abandoned_carts(inputs(), CART[part], LOW[part]) for part in np.array_split(order, 7)]
    for name in ("stage", "suspected_reason", "minutes_in_cart", "email_sent", "email_opened", "email_clicked"):
        joined = np.concatenate([getattr(p, name) for p in pieces])
        assert np.array_equal(joined, getattr(whole, name)[order]), name
    other_seed = abandoned_carts(inputs(seed=4), CART, LOW)
    assert not np.array_equal(other_seed.minutes_in_cart, whole.minutes_in_cart)


def test_reasons_minutes_and_the_email_funnel():
    drawn = abandoned_carts(inputs(), CART, LOW)
    blamed = drawn.suspected_reason == LOW_INVENTORY_REASON
    assert blamed.any() and not blamed[LOW == 0].any()
    assert set(drawn.suspected_reason[~blamed]) <= set(DECLARED.abandonment_reason.labels)
    assert (drawn.minutes_in_cart >= 0).all() and np.array_equal(drawn.minutes_in_cart, np.round(drawn.minutes_in_cart, 1))
    assert abs(drawn.minutes_in_cart.mean() - 25.0) < 1.0
    assert (drawn.email_opened <= drawn.email_sent).all() and (drawn.email_clicked <= drawn.email_opened).all()


def test_the_funnel_is_the_walks_recovery_funnel():
    world = tiny_world()
    for got, walked in zip(email_funnel(world.seed, world.config.carts, CART), recovery_funnel(world, CART), strict=True):
        assert np.array_equal(got, walked)
    drawn = abandoned_carts(AbandonmentInputs(world.seed, world.config.carts, DECLARED.abandonment_stage,
                                              DECLARED.abandonment_reason), CART, LOW)
    assert np.array_equal(drawn.email_sent, recovery_funnel(world, CART)[0])
