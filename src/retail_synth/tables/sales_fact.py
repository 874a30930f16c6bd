"""gold_sales_fact: one row per sale line of the horizon (quantity_sold >= 1), in (day, order, line) order.

Amounts: gross = quantity_sold x list price; the day's promotion or
clearance rate gives discount_amount; tax is the location's state rate on
net sales. Store lines carry a terminal and an associate of their store
(source 'POS'); digital lines none (source 'ECOM'). cart_low_inventory_trigger
is the low-inventory flag of the cart a checked-out digital order came from
(the walk's result.sales["cart_low"]), NULL for store lines and recovered
orders, so abandonment rates by flag compare like with like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.walk import BlockResult
from retail_synth.model.simulation.world import DC, STORE
from retail_synth.spec.ids import date_keys, joined, padded, time_keys
from retail_synth.spec.vocabulary import DIGITAL_SOURCE, PAYMENT_METHODS, STORE_SOURCE
from retail_synth.tables.arrow_batches import null_unless, record_batch, row_chunks
from retail_synth.tables.keys import line_item_ids, sim_dates
from retail_synth.tables.views import SalesView

TABLE = "gold_sales_fact"
VIEW = SalesView
TERMINAL_DIGITS, ASSOCIATE_DIGITS = 2, 3


def batches(view: SalesView, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's sale lines, at most batch_rows rows a batch."""
    for lo, hi in row_chunks(len(result.sales["day"]), batch_rows):
        yield record_batch(TABLE, _columns(view, {k: v[lo:hi] for k, v in result.sales.items()}), hi - lo, etl_timestamp)


def cart_low_inventory_trigger(cart: np.ndarray, is_recovery: np.ndarray, cart_low: np.ndarray) -> pa.Array:
    """The cart's low-inventory flag on checked-out original cart lines; NULL on store lines and recovered orders."""
    checked_out = (cart >= 0) & ~is_recovery
    return pa.array(np.asarray(cart_low, dtype=bool), mask=~checked_out)


def _columns(view: SalesView, s: dict) -> dict:
    product, location, day = s["product"], s["location"], s["day"]
    sold, digital = s["quantity_sold"], s["is_digital"]
    transaction, order_number, line_item = line_item_ids(view.date_key, day, s["order"], s["line"])
    price = view.base_price[product]
    gross = sold * price
    discount = np.round(gross * s["discount_rate"], 2)
    net = np.round(gross - discount, 2)
    location_id = view.location_id[location]
    restock = s["restock_day"]
    kind = view.location_type[location]
    return {
        "transaction_id": transaction,
        "line_item_id": line_item,
        "order_number": order_number,
        "customer_key": view.customer_versions.key_on(s["customer"], day),
        "product_key": view.product_key[product],
        "date_key": view.date_key[day],
        "time_key": time_keys(s["slot"]),
        "location_key": view.location_key[location],
        "channel_key": view.channel_key[s["channel"]],
        "pos_terminal_id": null_unless(~digital, joined("POS", location_id, padded(s["terminal"], TERMINAL_DIGITS))),
        "sales_associate_id": null_unless(~digital, joined("EMP", location_id, padded(s["associate"], ASSOCIATE_DIGITS))),
        "quantity_sold": sold,
        "unit_price": price,
        "discount_amount": discount,
        "tax_amount": np.round(net * view.state_tax_rate[location], 2),
        "net_sales_amount": net,
        "gross_margin_amount": np.round(net - sold * view.unit_cost[product], 2),
        "is_return": s["is_return"],
        "is_exchange": s["is_exchange"],
        "is_promotional": s["is_promotional"],
        "is_clearance": s["is_clearance"],
        "fulfillment_type": np.where(kind == STORE, "in_store", np.where(kind == DC, "ship_from_dc", "ship_from_warehouse")),
        "payment_method": np.asarray(PAYMENT_METHODS, dtype=object)[s["payment"]],
        "quantity_requested": s["quantity_requested"],
        "is_inventory_constrained": sold < s["quantity_requested"],
        "inventory_at_purchase": s["inventory_at_purchase"],
        "return_restocked_date_key": pa.array(date_keys(sim_dates(view.days, restock)), mask=restock < 0),
        "source_system": np.where(digital, DIGITAL_SOURCE, STORE_SOURCE),
        "cart_low_inventory_trigger": cart_low_inventory_trigger(s["cart"], s["is_recovery"], s["cart_low"]),
    }
