"""Selling prices without Spark: rotating promotions."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.pricing import price_terms, promotion_week
from tests.support.simulated_worlds import tiny_world


def test_a_weekly_promotion_covers_the_configured_share_of_products_monday_to_sunday():
    world = tiny_world("pricing.promotion_product_share=0.3")
    products = np.arange(world.n_products)
    mondays = np.flatnonzero(world.days[: world.n_days].astype("datetime64[D]").astype(np.int64) % 7 == 4)
    shares = []
    for monday in mondays[:-1]:
        week = [promotion_week(world, products, np.full(len(products), monday + k)) for k in range(7)]
        assert all(np.array_equal(week[0], other) for other in week[1:])
        shares.append(week[0].mean())
    assert abs(np.mean(shares) - 0.3) < 0.05
    assert len({tuple(promotion_week(world, products, np.full(len(products), m))) for m in mondays}) > 1


def test_no_rotating_promotion_outside_sale_events_at_share_zero():
    world = tiny_world("pricing.promotion_product_share=0")
    days = np.flatnonzero(~world.is_sale_period[: world.n_days])
    product = np.repeat(np.arange(world.n_products), len(days))
    _, promotional, clearance = price_terms(world, product, np.tile(days, world.n_products))
    assert not promotional[~clearance].any()
