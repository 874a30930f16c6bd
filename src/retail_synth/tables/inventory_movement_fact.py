"""gold_inventory_movement_fact: every change of stock of the horizon, so stock can be rebuilt from movements.

Per position: the opening balance ('adjustment' on the first horizon day),
then every supplier receipt, sale, return restock and shrinkage write-off
(an 'adjustment' out of the location at a stock count), so for every day
    on_hand(d) = on_hand(d-1) - sales(d) + returns(d) + receipts(d) - shrinkage(d)
with on_hand(first day - 1) = 0 plus the opening adjustment. A sale or return
movement refers to its sales line (line_item_id); a receipt to its purchase
order PO-<product_key>-<location_key>-<order date_key> (a late receipt's
order date is its due date less the lead time); a write-off to its stock
count COUNT-<product_key>-<location_key>-<date_key>. Source 'WMS'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.simulation.walk import BlockResult
from retail_synth.spec.ids import date_keys, joined
from retail_synth.spec.vocabulary import WAREHOUSE_SOURCE
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.keys import line_item_ids, sim_dates
from retail_synth.tables.views import MovementView

TABLE = "gold_inventory_movement_fact"
VIEW = MovementView
# per movement kind: opening balance, supplier receipt, sale, return restock, shrinkage at a stock count
OPENING, RECEIPT, SALE, RETURN, SHRINKAGE = range(5)
ID_PREFIXES = ("MV-ADJ", "MV-RCV", "MV-SAL", "MV-RET", "MV-SHR")
MOVEMENT_TYPES = ("adjustment", "receipt", "sale", "return", "adjustment")
REFERENCE_TYPES = ("stock_count", "purchase_order", "sales_line", "return", "stock_count")
LEAVING = (SALE, SHRINKAGE)


def batches(view: MovementView, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's movements, kind by kind, at most batch_rows rows a batch."""
    r = result
    ev = movements(view, r)
    s = r.sales
    for lo, hi in row_chunks(len(ev["kind"]), batch_rows):
        kind, position, day = ev["kind"][lo:hi], ev["position"][lo:hi], ev["day"][lo:hi]
        quantity, sale = ev["quantity"][lo:hi], ev["sale"][lo:hi]
        product = r.position_product[position]
        pk = view.product_key[product]
        lk = view.location_key[r.position_location[position]]
        dk = date_keys(sim_dates(view.days, day))
        is_sale_line = sale >= 0
        stem = joined(pk, lk, dk)
        if len(s["day"]):
            line_ref = np.where(is_sale_line, sale, 0)
            _, _, line_item = line_item_ids(view.date_key, s["day"][line_ref], s["order"][line_ref], s["line"][line_ref])
        else:                                       # no sale in the block: no row refers to a line
            line_item = stem
        po = joined("PO", pk, lk, date_keys(sim_dates(view.days, ev["order_day"][lo:hi])))
        reference_id = pc.case_when(
            pc.make_struct(pa.array(kind == OPENING), pa.array(kind == RECEIPT), pa.array(kind == SHRINKAGE)),
            joined("OPENING", stem), po, joined("COUNT", stem), line_item,
        )
        unit_cost = view.unit_cost[product]
        entering = ~np.isin(kind, LEAVING)
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


def movements(view: MovementView, r: BlockResult) -> dict:
    """All movements of the block as arrays: kind, position, day, quantity, order_day (receipts), sale (line or -1)."""
    warmup = r.warmup_days
    s = r.sales
    opened = np.flatnonzero(r.opening > 0)
    receipt_day, receipt_pos = np.nonzero(r.receipts)
    receipt_order_day = receipt_day + warmup - r.lead_time[receipt_pos]
    late = r.late_receipts
    if len(late["position"]):
        n = r.n_positions
        late_key = late["arrival_day"] * n + late["position"]
        by_key = np.argsort(late_key)
        which = by_key[np.minimum(np.searchsorted(late_key[by_key], (receipt_day + warmup) * n + receipt_pos),
                                  len(by_key) - 1)]
        is_late = (late["arrival_day"][which] == receipt_day + warmup) & (late["position"][which] == receipt_pos)
        receipt_order_day = np.where(is_late, late["due_day"][which] - r.lead_time[receipt_pos], receipt_order_day)
    count_day, count_pos = np.nonzero(r.adjusted)
    sale_pos = (s["product"] - r.product_lo) * r.n_locations + s["location"]
    back = np.flatnonzero(s["is_return"] & (s["restock_day"] < view.n_days))    # restocked inside the horizon
    parts = [
        # kind, position, day, quantity, order day (receipts), sale line (-1: none)
        (OPENING, opened, np.full(len(opened), warmup), r.opening[opened], 0, -1),
        (RECEIPT, receipt_pos, receipt_day + warmup, r.receipts[receipt_day, receipt_pos], receipt_order_day, -1),
        (SALE, sale_pos, s["day"], s["quantity_sold"], 0, np.arange(len(s["day"]))),
        (RETURN, sale_pos[back], s["restock_day"][back], s["quantity_sold"][back], 0, back),
        (SHRINKAGE, count_pos, count_day + warmup, r.adjusted[count_day, count_pos], 0, -1),
    ]
    names = ("kind", "position", "day", "quantity", "order_day", "sale")
    return {
        name: np.concatenate([np.broadcast_to(np.asarray(part[column], dtype=np.int64), (len(part[1]),)) for part in parts])
        for column, name in enumerate(names)
    }
