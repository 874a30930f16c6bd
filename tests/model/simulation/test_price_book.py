"""A PriceBook prices exactly as the World it was taken from."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.pricing import PriceBook, price_terms, sale_amounts
from tests.support.simulated_worlds import ANOMALY_HEAVY, tiny_world


def test_a_price_book_gives_the_worlds_prices():
    world = tiny_world(*ANOMALY_HEAVY)             # price errors and an outage on top of the calendar's sales
    book = PriceBook.of(world)
    assert PriceBook.of(book) is book
    rng = np.random.default_rng(5)
    product = rng.integers(0, world.n_products, 5000)
    day = rng.integers(0, world.n_days, 5000)
    units = rng.integers(1, 4, 5000)
    for got, expected in zip(price_terms(book, product, day), price_terms(world, product, day), strict=True):
        assert np.array_equal(got, expected)
    for got, expected in zip(sale_amounts(book, product, day, units), sale_amounts(world, product, day, units), strict=True):
        assert np.array_equal(got, expected)
