"""gold_cart_abandonment_fact rows from the cart decision table.

Only abandoned carts of the horizon are rows; checked-out carts are the
digital orders of gold_sales_fact (flagged with cart_low_inventory_trigger),
so abandonment rate = abandoned / (abandoned + checked out) per class.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from components import hashing
from components.simulation.carts import recovery_funnel
from components.simulation.fact_batches import _batch, _join, _padded
from components.simulation.world import World

CART_TABLE = "gold_cart_abandonment_fact"
ABANDONMENT_STAGES = ("cart", "shipping", "payment", "review")
ABANDONMENT_STAGE_WEIGHTS = (0.55, 0.20, 0.15, 0.10)
OTHER_REASONS = ("price", "shipping_cost", "browsing", "payment_issue", "distraction")
OTHER_REASON_WEIGHTS = (0.30, 0.25, 0.25, 0.08, 0.12)
LOW_INVENTORY_REASON_SHARE = 0.6     # carts with a low item blamed on it; the rest on another reason
MEAN_MINUTES_IN_CART = 25.0


def cart_abandonment_batch(world: World, decisions: pa.RecordBatch, etl_timestamp: dt.datetime) -> pa.RecordBatch:
    """The rows of the abandoned horizon carts in one batch of the decision table."""
    column = {name: decisions.column(name).to_numpy(zero_copy_only=False) for name in decisions.schema.names}
    keep = column["abandoned"] & (column["day"] >= world.warmup_days)
    c = {name: values[keep] for name, values in column.items()}
    cart, n = c["cart"], int(keep.sum())
    seed = world.seed

    date_key = world.date_key[c["day"]]
    number = _padded(c["order"].astype(np.int64) + 1, 7)
    key_text = pa.array(date_key).cast(pa.string())
    sent, opened, clicked, _ = recovery_funnel(world, cart)
    recovered = c["recovered"]
    low = c["low_items"] > 0
    blamed_on_stock = low & (hashing.uniform(seed, "carts.reason_low", cart) < LOW_INVENTORY_REASON_SHARE)
    other_reason = np.asarray(OTHER_REASONS, dtype=object)[hashing.choice(seed, "carts.reason", OTHER_REASON_WEIGHTS, cart)]
    slot = c["slot"].astype(np.int64)
    columns = {
        "abandonment_id": _join("ABN", key_text, number),
        "cart_id": _join("CART", key_text, number),
        "customer_key": world.customer_key[c["customer"]],
        "date_key": date_key,
        "time_key": (slot // 4) * 100 + (slot % 4) * 15,
        "channel_key": world.channel_key[c["channel"]],
        "cart_value": c["cart_value"],
        "items_count": c["items"],
        "minutes_in_cart": np.round(-np.log1p(-hashing.uniform(seed, "carts.minutes", cart)) * MEAN_MINUTES_IN_CART, 1),
        "recovery_email_sent": sent,
        "recovery_email_opened": opened,
        "recovery_email_clicked": clicked,
        "is_recovered": recovered,
        "recovery_date_key": pa.array(world.date_key[np.maximum(c["recovery_day"], 0)], mask=~recovered),
        "recovery_revenue": pa.array(c["recovery_revenue"], mask=~recovered),
        "abandonment_stage": np.asarray(ABANDONMENT_STAGES, dtype=object)[
            hashing.choice(seed, "carts.stage", ABANDONMENT_STAGE_WEIGHTS, cart)
        ],
        "suspected_reason": np.where(blamed_on_stock, "low_inventory", other_reason),
        "low_inventory_trigger": low,
        "inventory_constrained_items": c["low_items"],
        "source_system": "ECOM",
    }
    return _batch(CART_TABLE, columns, n, etl_timestamp)
