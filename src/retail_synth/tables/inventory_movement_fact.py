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
A run continued from a state (extend) writes the movements of its own days
only: no opening, and the returns of lines sold before it that it restocks,
so the runs together write the rows of one run over all their days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.simulation.block_state import RETURN_FIELDS
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
    ev = movements(r)
    for lo, hi in row_chunks(len(ev["kind"]), batch_rows):
        kind, position, day = ev["kind"][lo:hi], ev["position"][lo:hi], ev["day"][lo:hi]
        quantity, line_day = ev["quantity"][lo:hi], ev["line_day"][lo:hi]
        product = r.position_product[position]
        pk = view.product_key[product]
        lk = view.location_key[r.position_location[position]]
        dk = date_keys(sim_dates(view.days, day))
        is_sale_line = line_day >= 0
        stem = joined(pk, lk, dk)
        _, _, line_item = line_item_ids(view.date_key, np.maximum(line_day, 0), ev["line_order"][lo:hi],
                                        ev["line_number"][lo:hi])
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


def movements(r: BlockResult) -> dict:
    """All movements of the block's walked horizon days as arrays: kind, position, day, quantity, order_day
    (receipts), and the sale line line_day, line_order, line_number (line_day -1: none).

    A run resumed from a state writes no opening, and the return restocks of
    lines sold before it (its state's returns) as they come; a return
    restocked after the last walked day is written by the run that walks it.
    """
    first = r.first_series_day
    s = r.sales
    opened = np.flatnonzero(r.opening > 0) if r.first_day <= r.warmup_days < r.stop_day else np.zeros(0, np.int64)
    receipt_day, receipt_pos = np.nonzero(r.receipts)
    receipt_day = receipt_day + first
    count_day, count_pos = np.nonzero(r.adjusted)
    sale_pos = (s["product"] - r.product_lo) * r.n_locations + s["location"]
    back = np.flatnonzero(s["is_return"] & (s["restock_day"] < r.stop_day))    # restocked by the last walked day
    carried = _carried_returns(r)
    parts = [
        # kind, position, day, quantity, order day (receipts), sale line day, order, line (day -1: none)
        (OPENING, opened, r.warmup_days, r.opening[opened], 0, -1, 0, 0),
        (RECEIPT, receipt_pos, receipt_day, r.receipts[receipt_day - first, receipt_pos],
         _receipt_order_days(r, receipt_day, receipt_pos), -1, 0, 0),
        (SALE, sale_pos, s["day"], s["quantity_sold"], 0, s["day"], s["order"], s["line"]),
        (RETURN, sale_pos[back], s["restock_day"][back], s["quantity_sold"][back], 0, s["day"][back], s["order"][back],
         s["line"][back]),
        (RETURN, carried["position"], carried["restock_day"], carried["units"], 0, carried["order_day"],
         carried["order"], carried["line"]),
        (SHRINKAGE, count_pos, count_day + first, r.adjusted[count_day, count_pos], 0, -1, 0, 0),
    ]
    names = ("kind", "position", "day", "quantity", "order_day", "line_day", "line_order", "line_number")
    return {
        name: np.concatenate([np.broadcast_to(np.asarray(part[column], dtype=np.int64), (len(part[1]),)) for part in parts])
        for column, name in enumerate(names)
    }


def _carried_returns(r: BlockResult) -> dict[str, np.ndarray]:
    """The returns of lines sold before a resumed walk (its start state's) restocked on one of its walked days."""
    if r.start_state is None:
        return dict.fromkeys(RETURN_FIELDS, np.zeros(0, np.int64))
    returns = r.start_state.returns
    restocked = returns["restock_day"] < r.stop_day
    return {name: values[restocked] for name, values in returns.items()}


def _receipt_order_days(r: BlockResult, day: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The order day of each receipt (simulation day, position): the day less the lead time, or for a late
    receipt its due day less the lead time (late receipts made by this walk or carried by its start state)."""
    order_day = day - r.lead_time[position]
    late = r.late_receipts
    if r.start_state is not None:
        late = {name: np.concatenate([r.start_state.late_receipts[name], late[name]]) for name in late}
    if len(late["position"]) == 0:
        return order_day
    n = r.n_positions
    late_key = late["arrival_day"] * n + late["position"]
    by_key = np.lexsort((late["due_day"], late_key))     # two late receipts arriving together: the earlier due
    which = by_key[np.minimum(np.searchsorted(late_key[by_key], day * n + position), len(by_key) - 1)]
    is_late = (late["arrival_day"][which] == day) & (late["position"][which] == position)
    return np.where(is_late, late["due_day"][which] - r.lead_time[position], order_day)
