"""How ids and keys are laid out and spelt, and the limits those layouts set.

An order id packs (epoch day, order number in the day) into one int64, a
line id packs (order id, line number); the tables spell them as text
(TXN-<date_key>-<order number>) with the same digits. Configuration bounds
customer_count and the recovery delay by what these layouts can hold, so
the layout and its limits are declared here once, below every layer that
reads them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike

# ---- quarter-hour slots: the grain of gold_time_dim and of every time_key
SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
SLOTS_PER_DAY = 24 * SLOTS_PER_HOUR
SLOT_SECONDS = SLOT_MINUTES * 60

ORDER_NUMBER_DIGITS = 7
LINE_NUMBER_DIGITS = 2
PRODUCT_KEY_DIGITS = 8

# ---- the bit layout of order and line ids (simulation.demand.order_ids and line_ids)
ORDER_NUMBER_BITS = 24          # an order id is epoch_day << 24 | order number
LINE_NUMBER_BITS = 6            # a line id is order_id << 6 | line number
MAX_BASKET_LINES = (1 << LINE_NUMBER_BITS) - 1
MAX_ORDERS_PER_DAY = 999_999    # above: recovered carts (RECOVERED_ORDER_BASE); configuration bounds customer_count by it
RECOVERED_ORDER_BASE = MAX_ORDERS_PER_DAY + 1      # recovered order number = days since abandonment * this + cart's order number
MAX_RECOVERY_DELAY_DAYS = (1 << ORDER_NUMBER_BITS) // RECOVERED_ORDER_BASE - 1     # a recovered number still fits its bits


def date_keys(days: ArrayLike) -> np.ndarray:
    """yyyymmdd keys of datetime64[D] dates, from the dates themselves (never by adding days to a key)."""
    days = np.asarray(days, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return (year * 10000 + month * 100 + day).astype(np.int32)


def time_keys(slot: ArrayLike) -> np.ndarray:
    """time_key (hour * 100 + minute) of quarter-hour slots 0..95."""
    slot = np.asarray(slot, dtype=np.int64)
    return ((slot // SLOTS_PER_HOUR) * 100 + (slot % SLOTS_PER_HOUR) * SLOT_MINUTES).astype(np.int32)


def text(values: pa.Array | pa.ChunkedArray | ArrayLike) -> pa.Array:
    """A string array of numbers, strings or an Arrow array of either."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values)
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


def padded(numbers: ArrayLike, width: int) -> pa.Array:
    """Integers as zero-padded text: padded([7], 3) -> '007'."""
    return pc.utf8_lpad(text(np.asarray(numbers, dtype=np.int64)), width=width, padding="0")


def joined(*parts: str | pa.Array | ArrayLike, sep: str = "-") -> pa.Array:
    """Row-wise join of parts: a str is the same on every row, anything else is one value per row."""
    return pc.binary_join_element_wise(*[p if isinstance(p, str) else text(p) for p in parts], sep)


def product_ids(product_key: ArrayLike) -> pa.Array:
    """product_id of product keys: PRD-00000042."""
    return joined("PRD", padded(product_key, PRODUCT_KEY_DIGITS))


# ---- customer versions (SCD type 2): customer_key = customer number + version number * VERSION_KEY_STRIDE
VERSION_KEY_STRIDE = 10_000_000     # configuration bounds customer_count below it


def first_versions(customers: pa.Table) -> pa.Table:
    """The first version of every customer from gold_customer_dim rows (its key is the customer's number)."""
    return customers.filter(pc.less(customers["customer_key"], VERSION_KEY_STRIDE))

