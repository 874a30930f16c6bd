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

from retail_synth.tables.arrow_batches import joined, padded

if TYPE_CHECKING:
    from retail_synth.model.simulation.world import World
    from retail_synth.spec.distributions import Categorical

# ---- quarter-hour slots: the grain of gold_time_dim and of every time_key
SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
SLOTS_PER_DAY = 24 * SLOTS_PER_HOUR
SLOT_SECONDS = SLOT_MINUTES * 60

ORDER_NUMBER_DIGITS = 7
LINE_NUMBER_DIGITS = 2
PRODUCT_KEY_DIGITS = 8

# ---- source_system codes
STORE_SOURCE, DIGITAL_SOURCE, WAREHOUSE_SOURCE = "POS", "ECOM", "WMS"

# ---- the checkout step a cart was abandoned at: its abandonment row, and whether its session reached checkout
ABANDONMENT_STAGES = ("cart", "shipping", "payment", "review")     # drawn as distributions.abandonment_stage declares


def date_keys(days) -> np.ndarray:
    """yyyymmdd keys of datetime64[D] dates, from the dates themselves (never by adding days to a key)."""
    days = np.asarray(days, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return (year * 10000 + month * 100 + day).astype(np.int32)


def sim_dates(world: World, day_index) -> np.ndarray:
    """datetime64[D] of simulation day indices, also before day 0 or past the calendar arrays."""
    return world.days[0] + np.asarray(day_index, dtype=np.int64).astype("timedelta64[D]")


def time_keys(slot) -> np.ndarray:
    """time_key (hour * 100 + minute) of quarter-hour slots 0..95."""
    slot = np.asarray(slot, dtype=np.int64)
    return ((slot // SLOTS_PER_HOUR) * 100 + (slot % SLOTS_PER_HOUR) * SLOT_MINUTES).astype(np.int32)


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


def product_ids(product_key) -> pa.Array:
    """product_id of product keys: PRD-00000042."""
    return joined("PRD", padded(product_key, PRODUCT_KEY_DIGITS))


def abandonment_stages(seed: int, stages: Categorical, cart) -> np.ndarray:
    """Index into ABANDONMENT_STAGES of each cart, drawn from `stages` by its cart id (0 = left at the cart)."""
    return stages.draw_from(ABANDONMENT_STAGES, seed, "carts.stage", cart)

