"""The keys, ids and codes that several gold tables share, each spelt once.

A purchase event's label is its order's transaction_id, a movement of a sale
refers to the line's line_item_id, a cart's events carry its cart_id: the
tables join only because they spell these values the same way, so each is
made here and nowhere else.

  date_key            yyyymmdd of a calendar date (gold_date_dim and every fact)
  time_key            hour * 100 + minute of a quarter-hour slot (gold_time_dim and the facts)
  transaction_id      TXN-<date_key>-<order number>, order_number ORD-..., line_item_id TXN-...-<line>
  cart_id             CART-<date_key>-<order number> of the cart's original order; abandonment_id ABN-...
  product_id          PRD-<product_key, 8 digits> (gold_product_dim, event labels and page urls)
Order numbers are the simulation's 0-based numbers + 1, seven digits. Also
here: the source_system codes and a cart's abandonment stage, which its
abandonment row and its event session must agree on. An order's slot is not:
demand.order_slots draws it (the walk serves by it) and every table reads it
from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from retail_synth.spec.ids import (
    LINE_NUMBER_DIGITS,
    ORDER_NUMBER_DIGITS,
    joined,
    padded,
)
from retail_synth.spec.vocabulary import ABANDONMENT_STAGES

if TYPE_CHECKING:
    from retail_synth.model.simulation.world import World
    from retail_synth.spec.distributions import Categorical







def sim_dates(world: World, day_index) -> np.ndarray:
    """datetime64[D] of simulation day indices, also before day 0 or past the calendar arrays."""
    return world.days[0] + np.asarray(day_index, dtype=np.int64).astype("timedelta64[D]")




def order_references(prefix: str, world: World, day, order) -> pa.Array:
    """<prefix>-<date_key>-<order number> of orders (day, 0-based number within the day)."""
    return joined(prefix, world.date_key[np.asarray(day, dtype=np.int64)],
                  padded(np.asarray(order, dtype=np.int64) + 1, ORDER_NUMBER_DIGITS))


def transaction_ids(world: World, day, order) -> pa.Array:
    """transaction_id of orders: TXN-20250101-0000123 (a purchase event's label is its order's)."""
    return order_references("TXN", world, day, order)


def line_item_ids(world: World, day, order, line) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(transaction_id, order_number, line_item_id) of sale lines: TXN-20250101-0000123, ORD-..., TXN-...-01."""
    transaction = transaction_ids(world, day, order)
    line_number = padded(np.asarray(line, dtype=np.int64) + 1, LINE_NUMBER_DIGITS)
    return transaction, order_references("ORD", world, day, order), joined(transaction, line_number)


def cart_ids(world: World, day, order) -> pa.Array:
    """cart_id of carts (the day and number of their original order)."""
    return order_references("CART", world, day, order)


def abandonment_ids(world: World, day, order) -> pa.Array:
    """abandonment_id of abandoned carts: one row per cart, so the cart's own day and number."""
    return order_references("ABN", world, day, order)




def abandonment_stages(seed: int, stages: Categorical, cart) -> np.ndarray:
    """Index into ABANDONMENT_STAGES of each cart, drawn from `stages` by its cart id (0 = left at the cart)."""
    return stages.draw_from(ABANDONMENT_STAGES, seed, "carts.stage", cart)

