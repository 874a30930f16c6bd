"""gold_cart_abandonment_fact: one row per abandoned cart of the horizon, from the cart decision table.

Checked-out carts are not rows: they are the digital orders of
gold_sales_fact (flagged with cart_low_inventory_trigger), so abandonment
rate = abandoned / (abandoned + checked out) per flag. What the walk did not
decide (stage, reason, minutes in cart, email funnel) is drawn by
src/retail_synth/model/simulation/abandonment.py from the cart id, so a
cart's row does not depend on how the decision table is batched; the stage
is the one its event session shows.

A row describes its cart as of the run's last day: a cart whose recovery
order comes after it is not recovered yet. A run continued from a state
writes the carts of its own days and, again, those of the run before whose
recovery order comes in it (the pending carts, folded in by
carts.with_carried), now with their recovery: the continuation MERGEs them
on abandonment_id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.abandonment import abandoned_carts
from retail_synth.spec.ids import time_keys
from retail_synth.spec.vocabulary import ABANDONMENT_STAGES, DIGITAL_SOURCE
from retail_synth.tables.arrow_batches import record_batch
from retail_synth.tables.keys import abandonment_ids, cart_ids
from retail_synth.tables.views import AbandonmentView

TABLE = "gold_cart_abandonment_fact"
VIEW = AbandonmentView


def batches(view: AbandonmentView, decisions: pa.RecordBatch, etl_timestamp: dt.datetime,
            batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The abandoned horizon carts of a batch of the decision table (CART_DECISION_SCHEMA), at most batch_rows rows a batch."""
    step = max(1, int(batch_rows))
    for lo in range(0, decisions.num_rows, step):         # each decision row gives at most one row
        yield _abandoned_carts(view, decisions.slice(lo, step), etl_timestamp)


def _written(view: AbandonmentView, day: np.ndarray, recovery_day: np.ndarray) -> np.ndarray:
    """The carts whose row this run writes: those of its days, and (R3) the horizon carts of the run before
    whose recovery order comes in this run, so their row is written again with its recovery."""
    first = view.first_written_day
    return (day >= first) | ((day >= view.warmup_days) & (recovery_day >= first))


def _abandoned_carts(view: AbandonmentView, decisions: pa.RecordBatch, etl_timestamp: dt.datetime) -> pa.RecordBatch:
    column = {name: decisions.column(name).to_numpy(zero_copy_only=False) for name in decisions.schema.names}
    keep = column["abandoned"] & _written(view, column["day"], column["recovery_day"])
    c = {name: values[keep] for name, values in column.items()}
    day, order = c["day"], c["order"]
    drawn = abandoned_carts(view.abandonment, c["cart"], c["low_items"])
    recovered = c["recovered"]
    columns = {
        "abandonment_id": abandonment_ids(view.date_key, day, order),
        "cart_id": cart_ids(view.date_key, day, order),
        "customer_key": view.customer_versions.key_on(c["customer"], day),
        "date_key": view.date_key[day],
        "time_key": time_keys(c["slot"]),
        "channel_key": view.channel_key[c["channel"]],
        "cart_value": c["cart_value"],
        "items_count": c["items"],
        "minutes_in_cart": drawn.minutes_in_cart,
        "recovery_email_sent": drawn.email_sent,
        "recovery_email_opened": drawn.email_opened,
        "recovery_email_clicked": drawn.email_clicked,
        "is_recovered": recovered,
        "recovery_date_key": pa.array(view.date_key[np.maximum(c["recovery_day"], 0)], mask=~recovered),
        "recovery_revenue": pa.array(c["recovery_revenue"], mask=~recovered),
        "abandonment_stage": np.asarray(ABANDONMENT_STAGES, dtype=object)[drawn.stage],
        "suspected_reason": drawn.suspected_reason,
        "low_inventory_trigger": c["low_items"] > 0,
        "inventory_constrained_items": c["low_items"],
        "source_system": DIGITAL_SOURCE,
    }
    return record_batch(TABLE, columns, int(keep.sum()), etl_timestamp)
