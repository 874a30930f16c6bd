"""gold_inventory_movement_fact: every change of stock of the horizon, so stock can be rebuilt from movements.

Per position: the opening balance ('adjustment' on the first horizon day),
then every supplier receipt, sale and return restock, so for every day
    on_hand(d) = on_hand(d-1) - sales(d) + returns(d) + receipts(d)
with on_hand(first day - 1) = 0 plus the opening adjustment. A sale or return
movement refers to its sales line (line_item_id); a receipt to its purchase
order PO-<product_key>-<location_key>-<order date_key>. Source 'WMS'.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from components.simulation.walk import BlockResult
from components.simulation.world import World
from components.tables.arrow_batches import joined, record_batch, row_chunks
from components.tables.keys import WAREHOUSE_SOURCE, date_keys, line_item_ids, sim_dates

TABLE = "gold_inventory_movement_fact"
# per movement kind: opening balance, supplier receipt, sale, return restock
OPENING, RECEIPT, SALE, RETURN = range(4)
ID_PREFIXES = ("MV-ADJ", "MV-RCV", "MV-SAL", "MV-RET")
MOVEMENT_TYPES = ("adjustment", "receipt", "sale", "return")
REFERENCE_TYPES = ("stock_count", "purchase_order", "sales_line", "return")


def batches(world: World, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's movements, kind by kind, at most batch_rows rows a batch."""
    r = result
    ev = movements(world, r)
    s = r.sales
    for lo, hi in row_chunks(len(ev["kind"]), batch_rows):
        kind, position, day = ev["kind"][lo:hi], ev["position"][lo:hi], ev["day"][lo:hi]
        quantity, sale = ev["quantity"][lo:hi], ev["sale"][lo:hi]
        product = r.position_product[position]
        pk = world.product_key[product]
        lk = world.location_key[r.position_location[position]]
        dk = date_keys(sim_dates(world, day))
        is_sale_line = sale >= 0
        stem = joined(pk, lk, dk)
        if len(s["day"]):
            line_ref = np.where(is_sale_line, sale, 0)
            _, _, line_item = line_item_ids(world, s["day"][line_ref], s["order"][line_ref], s["line"][line_ref])
        else:                                       # no sale in the block: no row refers to a line
            line_item = stem
        po = joined("PO", pk, lk, date_keys(sim_dates(world, ev["order_day"][lo:hi])))
        reference_id = pc.case_when(
            pc.make_struct(pa.array(kind == OPENING), pa.array(kind == RECEIPT)),
            joined("OPENING", stem), po, line_item,
        )
        unit_cost = world.unit_cost[product]
        entering = kind != SALE
        columns = {
            "movement_id": joined(np.asarray(ID_PREFIXES, dtype=object)[kind],
                                  pc.if_else(pa.array(is_sale_line), line_item, stem)),
            "product_key": pk,
            "from_location_key": pa.array(lk, mask=entering),
            "to_location_key": pa.array(lk, mask=~entering),
            "date_key": dk,
            "movement_type": np.asarray(MOVEMENT_TYPES, dtype=object)[kind],
            "quantity": quantity,
            "unit_cost": unit_cost,
            "total_cost": np.round(quantity * unit_cost, 2),
            "reference_type": np.asarray(REFERENCE_TYPES, dtype=object)[kind],
            "reference_id": reference_id,
            "source_system": WAREHOUSE_SOURCE,
        }
        yield record_batch(TABLE, columns, hi - lo, etl_timestamp)


def movements(world: World, r: BlockResult) -> dict:
    """All movements of the block as arrays: kind, position, day, quantity, order_day (receipts), sale (line or -1)."""
    warmup = r.warmup_days
    s = r.sales
    opened = np.flatnonzero(r.opening > 0)
    receipt_day, receipt_pos = np.nonzero(r.receipts)
    sale_pos = (s["product"] - r.product_lo) * r.n_locations + s["location"]
    back = np.flatnonzero(s["is_return"] & (s["restock_day"] < world.n_days))    # restocked inside the horizon
    parts = [
        # kind, position, day, quantity, order day (receipts), sale line (-1: none)
        (OPENING, opened, np.full(len(opened), warmup), r.opening[opened], 0, -1),
        (RECEIPT, receipt_pos, receipt_day + warmup, r.receipts[receipt_day, receipt_pos],
         receipt_day + warmup - r.lead_time[receipt_pos], -1),
        (SALE, sale_pos, s["day"], s["quantity_sold"], 0, np.arange(len(s["day"]))),
        (RETURN, sale_pos[back], s["restock_day"][back], s["quantity_sold"][back], 0, back),
    ]
    names = ("kind", "position", "day", "quantity", "order_day", "sale")
    return {
        name: np.concatenate([np.broadcast_to(np.asarray(part[column], dtype=np.int64), (len(part[1]),)) for part in parts])
        for column, name in enumerate(names)
    }
