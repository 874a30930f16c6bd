"""Selling prices: list price, promotion and clearance discounts, net sales of a line.

One definition shared by the sales table, cart values, recovery revenue and
forecast revenue, so the amounts agree to the cent across tables.
"""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing

DAYS_PER_PROMOTION = 7       # a rotating promotion runs one week (Monday to Sunday)


def price_terms(world: World, product: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(discount rate, is_promotional, is_clearance) of units of `product` sold on simulation `day`.

    Promotions: every product during the calendar's sale events, and each
    week a hashed pricing.promotion_product_share of the products (the
    rotating promotions fashion retailers run between events). A price error
    (an injected anomaly) overrides everything: the units sell at its factor
    x list price, neither promotional nor clearance. A promotion shock is a
    promotion at the shock's deeper rate.
    """
    pricing, plan = world.config.pricing, world.disruptions
    eol = world.end_of_life_day[product]
    error = plan.price_error(product, day)
    clearance = (day >= eol - pricing.clearance_window_days) & (day < eol) & ~error
    shocked = plan.shocked[product] & plan.shock.covers(day) & ~clearance & ~error
    promoted = world.is_sale_period[day] | promotion_week(world, product, day)
    promotional = (promoted & ~clearance & ~error) | shocked
    rate = np.where(clearance, pricing.clearance_discount_rate, np.where(promotional, pricing.promotion_discount_rate, 0.0))
    rate = np.where(shocked, np.maximum(rate, plan.shock_discount_rate), rate)
    rate = np.where(error, 1.0 - plan.price_error_factor[product], rate)
    return rate, promotional, clearance


def promotion_week(world: World, product: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True where `product` is in the rotating promotion of the week holding simulation `day`."""
    week = (world.epoch_day[day] + 3) // DAYS_PER_PROMOTION         # 1970-01-01 was a Thursday: weeks start on Monday
    share = world.config.pricing.promotion_product_share
    return hashing.uniform(world.seed, "pricing.promotion_week", world.product_key[product], week) < share


def sale_amounts(world: World, product: np.ndarray, day: np.ndarray,
                 units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gross at list price, discount, net sales) of `units` of `product` on `day`, rounded to cents."""
    gross = units * world.base_price[product]
    rate, _, _ = price_terms(world, product, day)
    discount = np.round(gross * rate, 2)
    return gross, discount, np.round(gross - discount, 2)
