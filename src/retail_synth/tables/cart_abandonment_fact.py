"""gold_cart_abandonment_fact: one row per abandoned cart of the horizon, from the cart decision table.

Checked-out carts are not rows: they are the digital orders of
gold_sales_fact (flagged with cart_low_inventory_trigger), so abandonment
rate = abandoned / (abandoned + checked out) per flag. Every attribute the
walk did not decide (stage, reason, minutes in cart, email funnel) is hashed
from the cart id, so a cart's row does not depend on how the decision table
is batched; the stage is the one its event session shows (keys.abandonment_stages).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.carts import recovery_funnel
from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing
from retail_synth.spec.ids import time_keys
from retail_synth.spec.vocabulary import ABANDONMENT_STAGES, DIGITAL_SOURCE
from retail_synth.tables.arrow_batches import record_batch
from retail_synth.tables.keys import abandonment_ids, abandonment_stages, cart_ids

TABLE = "gold_cart_abandonment_fact"
MEAN_MINUTES_IN_CART = 25.0


def batches(world: World, decisions: pa.RecordBatch, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The abandoned horizon carts of a batch of the decision table (CART_DECISION_SCHEMA), at most batch_rows rows a batch."""
    step = max(1, int(batch_rows))
    for lo in range(0, decisions.num_rows, step):         # each decision row gives at most one row
        yield _abandoned_carts(world, decisions.slice(lo, step), etl_timestamp)


def _abandoned_carts(world: World, decisions: pa.RecordBatch, etl_timestamp: dt.datetime) -> pa.RecordBatch:
    column = {name: decisions.column(name).to_numpy(zero_copy_only=False) for name in decisions.schema.names}
    keep = column["abandoned"] & (column["day"] >= world.warmup_days)
    c = {name: values[keep] for name, values in column.items()}
    cart, day, order = c["cart"], c["day"], c["order"]
    seed, declared = world.seed, world.config.distributions
    sent, opened, clicked, _ = recovery_funnel(world, cart)
    recovered = c["recovered"]
    low = c["low_items"] > 0
    blamed_on_stock = low & (hashing.uniform(seed, "carts.reason_low", cart) < world.config.carts.low_inventory_reason_share)
    other_reason = declared.abandonment_reason.draw_labels(seed, "carts.reason", cart)
    columns = {
        "abandonment_id": abandonment_ids(world, day, order),
        "cart_id": cart_ids(world, day, order),
        "customer_key": world.customer_key[c["customer"]],
        "date_key": world.date_key[day],
        "time_key": time_keys(c["slot"]),
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
        "abandonment_stage": np.asarray(ABANDONMENT_STAGES, dtype=object)[abandonment_stages(seed, declared.abandonment_stage, cart)],
        "suspected_reason": np.where(blamed_on_stock, "low_inventory", other_reason),
        "low_inventory_trigger": low,
        "inventory_constrained_items": c["low_items"],
        "source_system": DIGITAL_SOURCE,
    }
    return record_batch(TABLE, columns, int(keep.sum()), etl_timestamp)
