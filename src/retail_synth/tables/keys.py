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
Order numbers are the simulation's 0-based numbers + 1, seven digits. Every
function takes the run's calendar as a view holds it: `date_key` (yyyymmdd
of each simulation day) or `days` (datetime64[D] of each simulation day).
Nothing here draws: a cart's abandonment stage, which its abandonment row
and its event session agree on, is abandonment.abandonment_stages; an
order's slot is demand.order_slots (the walk serves by it) and every table
reads it from there.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from retail_synth.spec.ids import (
    LINE_NUMBER_DIGITS,
    ORDER_NUMBER_DIGITS,
    joined,
    padded,
)


def sim_dates(days: np.ndarray, day_index: ArrayLike) -> np.ndarray:
    """datetime64[D] of simulation day indices, also before day 0 or past the calendar arrays."""
    return days[0] + np.asarray(day_index, dtype=np.int64).astype("timedelta64[D]")


def order_references(prefix: str, date_key: np.ndarray, day: ArrayLike, order: ArrayLike) -> pa.Array:
    """<prefix>-<date_key>-<order number> of orders (day, 0-based number within the day)."""
    return joined(prefix, date_key[np.asarray(day, dtype=np.int64)],
                  padded(np.asarray(order, dtype=np.int64) + 1, ORDER_NUMBER_DIGITS))


def transaction_ids(date_key: np.ndarray, day: ArrayLike, order: ArrayLike) -> pa.Array:
    """transaction_id of orders: TXN-20250101-0000123 (a purchase event's label is its order's)."""
    return order_references("TXN", date_key, day, order)


def line_item_ids(date_key: np.ndarray, day: ArrayLike, order: ArrayLike, line: ArrayLike) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(transaction_id, order_number, line_item_id) of sale lines: TXN-20250101-0000123, ORD-..., TXN-...-01."""
    transaction = transaction_ids(date_key, day, order)
    line_number = padded(np.asarray(line, dtype=np.int64) + 1, LINE_NUMBER_DIGITS)
    return transaction, order_references("ORD", date_key, day, order), joined(transaction, line_number)


def cart_ids(date_key: np.ndarray, day: ArrayLike, order: ArrayLike) -> pa.Array:
    """cart_id of carts (the day and number of their original order)."""
    return order_references("CART", date_key, day, order)


def abandonment_ids(date_key: np.ndarray, day: ArrayLike, order: ArrayLike) -> pa.Array:
    """abandonment_id of abandoned carts: one row per cart, so the cart's own day and number."""
    return order_references("ABN", date_key, day, order)
