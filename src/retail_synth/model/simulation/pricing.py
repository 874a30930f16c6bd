"""Selling prices: list price, promotion and clearance discounts, net sales of a line.

One definition shared by the sales table, cart values, recovery revenue and
forecast revenue, so the amounts agree to the cent across tables. Each
function takes the World or a PriceBook, the few arrays a price depends on
(what the table models carry instead of the World).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation.disruptions import Disruptions
from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing
from retail_synth.spec.run_config import PricingParams

DAYS_PER_PROMOTION = 7       # a rotating promotion runs one week (Monday to Sunday)


@dataclass(frozen=True)
class PriceBook:
    """What the selling price of a product on a day depends on."""

    seed: int
    pricing: PricingParams
    disruptions: Disruptions          # price errors and promotion shocks
    product_key: np.ndarray           # the rotating promotion is hashed by key
    base_price: np.ndarray            # list price per product
    end_of_life_day: np.ndarray       # clearance runs up to it
    is_sale_period: np.ndarray        # per simulation day
    epoch_day: np.ndarray             # per simulation day

    @classmethod
    def of(cls, world: World | PriceBook) -> PriceBook:
        if isinstance(world, PriceBook):
            return world
        return cls(world.seed, world.config.pricing, world.disruptions, world.product_key, world.base_price,
                   world.end_of_life_day, world.is_sale_period, world.epoch_day)


def price_terms(prices: World | PriceBook, product: np.ndarray,
                day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(discount rate, is_promotional, is_clearance) of units of `product` sold on simulation `day`.

    Promotions: every product during the calendar's sale events, and each
    week a hashed pricing.promotion_product_share of the products (the
    rotating promotions fashion retailers run between events). A price error
    (an injected anomaly) overrides everything: the units sell at its factor
    x list price, neither promotional nor clearance. A promotion shock is a
    promotion at the shock's deeper rate.
    """
    book = PriceBook.of(prices)
    pricing, plan = book.pricing, book.disruptions
    eol = book.end_of_life_day[product]
    error = plan.price_error(product, day)
    clearance = (day >= eol - pricing.clearance_window_days) & (day < eol) & ~error
    shocked = plan.shocked[product] & plan.shock.covers(day) & ~clearance & ~error
    promoted = book.is_sale_period[day] | promotion_week(book, product, day)
    promotional = (promoted & ~clearance & ~error) | shocked
    rate = np.where(clearance, pricing.clearance_discount_rate, np.where(promotional, pricing.promotion_discount_rate, 0.0))
    rate = np.where(shocked, np.maximum(rate, plan.shock_discount_rate), rate)
    rate = np.where(error, 1.0 - plan.price_error_factor_on(product, day), rate)
    return rate, promotional, clearance


def promotion_week(prices: World | PriceBook, product: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True where `product` is in the rotating promotion of the week holding simulation `day`."""
    book = PriceBook.of(prices)
    week = (book.epoch_day[day] + 3) // DAYS_PER_PROMOTION         # 1970-01-01 was a Thursday: weeks start on Monday
    share = book.pricing.promotion_product_share
    return hashing.uniform(book.seed, "pricing.promotion_week", book.product_key[product], week) < share


def sale_amounts(prices: World | PriceBook, product: np.ndarray, day: np.ndarray,
                 units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gross at list price, discount, net sales) of `units` of `product` on `day`, rounded to cents."""
    book = PriceBook.of(prices)
    gross = units * book.base_price[product]
    rate, _, _ = price_terms(book, product, day)
    discount = np.round(gross * rate, 2)
    return gross, discount, np.round(gross - discount, 2)
