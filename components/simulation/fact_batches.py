"""Arrow record batches of the four simulated fact tables, one product block at a time.

Each generator takes (world, product_lo, product_hi, etl_timestamp, batch_rows),
re-runs the block simulation (cheap) and yields pyarrow.RecordBatch objects
of exactly the contract schema (`arrow_schema(table)`), at most batch_rows
rows each, built column-wise (numpy + pyarrow.compute; no per-row Python).

Conventions
  * Dates: every date key is computed from datetime64 dates (never by adding
    days to a yyyymmdd integer).
  * Inventory: quantity_reserved and quantity_damaged are always 0 (the
    simulation keeps no reservations or damage), so quantity_available =
    quantity_on_hand. days_of_supply / stock_cover_days use the mean daily
    units requested at the position (first node asked, lost requests
    included) over the 28 days ending that day.
  * Movements cover the horizon: the opening balance of each stocked position
    ('adjustment' on the first day), every supplier receipt, sale and return
    restock. For every position and horizon day
        on_hand(d) = on_hand(d-1) - sales(d) + returns(d) + receipts(d)
    with on_hand(first day - 1) = 0 plus the opening adjustment.
  * Source systems: sales lines 'POS' (store channels) or 'ECOM' (digital),
    inventory, movements and stockout events 'WMS'.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from components.contracts import arrow_schema
from components.simulation.demand import PAYMENT_METHODS
from components.simulation.episodes import episodes, stockout_duration
from components.simulation.walk import TRAILING_DEMAND_DAYS, BlockResult, simulate_block
from components.simulation.world import DC, STORE, World

SALES_TABLE = "gold_sales_fact"
INVENTORY_TABLE = "gold_inventory_fact"
MOVEMENT_TABLE = "gold_inventory_movement_fact"
STOCKOUT_TABLE = "gold_stockout_events"
STORE_SOURCE, DIGITAL_SOURCE, WAREHOUSE_SOURCE = "POS", "ECOM", "WMS"


# ---------------------------------------------------------------- helpers

def date_keys(days: np.ndarray) -> np.ndarray:
    """yyyymmdd keys of datetime64[D] dates."""
    days = np.asarray(days, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return (year * 10000 + month * 100 + day).astype(np.int32)


def sim_dates(world: World, day_index: np.ndarray) -> np.ndarray:
    """datetime64[D] of simulation day indices (any integer, also before day 0 or after the end)."""
    return world.days[0] + np.asarray(day_index, dtype=np.int64).astype("timedelta64[D]")


def _text(values) -> pa.Array:
    return pa.array(values, type=pa.string()) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values


def _padded(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width=width, padding="0")


def _join(*parts, sep: str = "-") -> pa.Array:
    return pc.binary_join_element_wise(*[_text(p) if not isinstance(p, str) else p for p in parts], sep)


def _null_unless(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), values, pa.scalar(None, values.type))


def _batch(table: str, columns: dict, n: int, etl_timestamp: dt.datetime) -> pa.RecordBatch:
    """A record batch in contract order and types; fails on a missing or unexpected column."""
    schema = arrow_schema(table)
    columns = dict(columns)
    columns["etl_timestamp"] = pa.repeat(pa.scalar(etl_timestamp, type=schema.field("etl_timestamp").type), n)
    missing = [f.name for f in schema if f.name not in columns]
    extra = [c for c in columns if c not in schema.names]
    if missing or extra:
        raise ValueError(f"{table}: missing columns {missing}, unexpected columns {extra}")
    arrays = []
    for f in schema:
        value = columns[f.name]
        if isinstance(value, str):
            value = pa.repeat(pa.scalar(value, pa.string()), n)
        elif value is None:
            value = pa.nulls(n, f.type)
        elif not isinstance(value, (pa.Array, pa.ChunkedArray)):
            value = pa.array(value, type=f.type)
        if isinstance(value, pa.ChunkedArray):
            value = value.combine_chunks()
        arrays.append(value.cast(f.type) if value.type != f.type else value)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _chunks(n: int, batch_rows: int):
    batch_rows = max(1, int(batch_rows))
    for lo in range(0, n, batch_rows):
        yield lo, min(n, lo + batch_rows)


def line_item_ids(world: World, day: np.ndarray, order: np.ndarray, line: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(transaction_id, order_number, line_item_id) of sale lines: TXN-20250101-0000123, ORD-..., TXN-...-01."""
    key = pa.array(world.date_key[day]).cast(pa.string())
    number = _padded(np.asarray(order, dtype=np.int64) + 1, 7)
    transaction = _join("TXN", key, number)
    return transaction, _join("ORD", key, number), _join(transaction, _padded(np.asarray(line, dtype=np.int64) + 1, 2))


# ---------------------------------------------------------------- gold_sales_fact

def _sales_columns(world: World, s: dict, lo: int, hi: int) -> tuple[dict, int]:
    day = s["day"][lo:hi]
    n = len(day)
    product, location = s["product"][lo:hi], s["location"][lo:hi]
    sold, requested = s["quantity_sold"][lo:hi], s["quantity_requested"][lo:hi]
    digital = s["is_digital"][lo:hi]
    transaction, order_number, line_item = line_item_ids(world, day, s["order"][lo:hi], s["line"][lo:hi])
    price = world.base_price[product]
    gross = sold * price
    discount = np.round(gross * s["discount_rate"][lo:hi], 2)
    net = np.round(gross - discount, 2)
    location_id = pa.array(world.location_id[location].tolist(), type=pa.string())
    slot = s["slot"][lo:hi].astype(np.int64)
    restock = s["restock_day"][lo:hi]
    kind = world.location_type[location]
    fulfillment = np.where(kind == STORE, "in_store", np.where(kind == DC, "ship_from_dc", "ship_from_warehouse"))
    columns = {
        "transaction_id": transaction,
        "line_item_id": line_item,
        "order_number": order_number,
        "customer_key": world.customer_key[s["customer"][lo:hi]],
        "product_key": world.product_key[product],
        "date_key": world.date_key[day],
        "time_key": (slot // 4) * 100 + (slot % 4) * 15,
        "location_key": world.location_key[location],
        "channel_key": world.channel_key[s["channel"][lo:hi]],
        "pos_terminal_id": _null_unless(~digital, _join("POS", location_id, _padded(s["terminal"][lo:hi], 2))),
        "sales_associate_id": _null_unless(~digital, _join("EMP", location_id, _padded(s["associate"][lo:hi], 3))),
        "quantity_sold": sold,
        "unit_price": price,
        "discount_amount": discount,
        "tax_amount": np.round(net * world.state_tax_rate[location], 2),
        "net_sales_amount": net,
        "gross_margin_amount": np.round(net - sold * world.unit_cost[product], 2),
        "is_return": s["is_return"][lo:hi],
        "is_exchange": s["is_exchange"][lo:hi],
        "is_promotional": s["is_promotional"][lo:hi],
        "is_clearance": s["is_clearance"][lo:hi],
        "fulfillment_type": fulfillment,
        "payment_method": np.asarray(PAYMENT_METHODS, dtype=object)[s["payment"][lo:hi]],
        "quantity_requested": requested,
        "is_inventory_constrained": sold < requested,
        "inventory_at_purchase": s["inventory_at_purchase"][lo:hi],
        "return_restocked_date_key": pa.array(date_keys(sim_dates(world, restock)), mask=restock < 0),
        "source_system": np.where(digital, DIGITAL_SOURCE, STORE_SOURCE),
        "cart_low_inventory_trigger": _cart_trigger(world, s["cart"][lo:hi], s["is_recovery"][lo:hi]),
    }
    return columns, n


def _cart_trigger(world: World, cart: np.ndarray, is_recovery: np.ndarray) -> pa.Array:
    """The low-inventory flag of the cart a checked-out digital order came from; NULL otherwise."""
    checked_out = (cart >= 0) & ~is_recovery
    flag = np.zeros(len(cart), dtype=bool)
    flag[checked_out] = world.carts.low_inventory[world.carts.lookup(cart[checked_out])]
    return pa.array(flag, mask=~checked_out)


def sales_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                  result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_sales_fact rows of the block: one per horizon order line with quantity_sold >= 1."""
    result = result or simulate_block(world, product_lo, product_hi)
    for lo, hi in _chunks(len(result.sales["day"]), batch_rows):
        columns, n = _sales_columns(world, result.sales, lo, hi)
        yield _batch(SALES_TABLE, columns, n, etl_timestamp)


# ---------------------------------------------------------------- gold_inventory_fact

def inventory_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                      result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_inventory_fact rows: one per position per horizon day (day-major), end-of-day state."""
    r = result or simulate_block(world, product_lo, product_hi)
    n_pos, horizon, warmup = r.n_positions, r.horizon_days, r.warmup_days
    if n_pos == 0:
        return
    product, location = r.position_product, r.position_location
    cost, price = world.unit_cost[product], world.base_price[product]
    eol = world.end_of_life_day[product]
    overstock = world.params["overstock_cover_days"]
    max_lead = int(r.lead_time.max())
    arrivals = r.arrivals
    # carried across chunks: last receipt day before the chunk, stockout run length before the chunk
    day_ids = np.arange(warmup, dtype=np.int32)[:, None]
    last_before = np.where(arrivals[:warmup] > 0, day_ids, -1).max(axis=0, initial=-1).astype(np.int64)
    run_before = np.zeros(n_pos, np.int64)
    for r0, r1 in _chunks(horizon * n_pos, batch_rows):
        h0, h1 = r0 // n_pos, (r1 - 1) // n_pos + 1      # horizon days touched by the chunk
        days = np.arange(h0, h1)
        sim_day = days + warmup
        on_hand = r.on_hand[h0:h1].astype(np.int64)
        in_transit = r.in_transit[h0:h1].astype(np.int64)

        # trailing demand: rows h .. h + 27 of `requested` cover the 28 days ending on horizon day h
        window = r.requested[h0:h1 + TRAILING_DEMAND_DAYS - 1].astype(np.int64)
        cum = np.zeros((window.shape[0] + 1, n_pos), np.int64)
        np.cumsum(window, axis=0, out=cum[1:])
        span = np.minimum(sim_day + 1, TRAILING_DEMAND_DAYS)[:, None]
        mean_requested = (cum[TRAILING_DEMAND_DAYS:] - cum[: h1 - h0]) / span
        has_demand = mean_requested > 0
        safe = np.where(has_demand, mean_requested, 1.0)
        days_of_supply = on_hand / safe
        cover = (on_hand + in_transit) / safe

        stockout = on_hand == 0
        duration = stockout_duration(stockout).astype(np.int64)
        leading = np.logical_and.accumulate(stockout, axis=0)
        duration = duration + np.where(leading, run_before[None, :], 0)

        chunk_arrivals = arrivals[sim_day[0]:sim_day[-1] + 1]
        ids = sim_day[:, None]
        last = np.maximum(np.maximum.accumulate(np.where(chunk_arrivals > 0, ids, -1), axis=0), last_before[None, :])
        ahead = arrivals[sim_day[0] + 1:sim_day[-1] + max_lead + 2]
        ahead_ids = np.arange(sim_day[0] + 1, sim_day[0] + 1 + ahead.shape[0])[:, None]
        nxt = np.minimum.accumulate(np.where(ahead > 0, ahead_ids, np.iinfo(np.int64).max)[::-1], axis=0)[::-1]
        nxt = nxt[: h1 - h0]
        has_next = (in_transit > 0) & (nxt < np.iinfo(np.int64).max)

        # state carried to the next chunk: up to the last complete day of this chunk
        next_h0 = r1 // n_pos
        if next_h0 > h0:
            k = next_h0 - h0 - 1
            last_before = last[k]
            run_before = duration[k]
        lo, hi = r0 - h0 * n_pos, r1 - h0 * n_pos

        def flat(a):
            return np.ascontiguousarray(a).reshape(-1)[lo:hi]

        pos = np.tile(np.arange(n_pos), h1 - h0)[lo:hi]
        row_day = np.repeat(sim_day, n_pos)[lo:hi]
        n = hi - lo
        q = flat(on_hand)
        columns = {
            "product_key": world.product_key[product[pos]],
            "location_key": world.location_key[location[pos]],
            "date_key": world.date_key[row_day],
            "quantity_on_hand": q,
            "quantity_available": q,
            "quantity_reserved": np.zeros(n, np.int32),
            "quantity_in_transit": flat(in_transit),
            "quantity_damaged": np.zeros(n, np.int32),
            "inventory_value_cost": np.round(q * cost[pos], 2),
            "inventory_value_retail": np.round(q * price[pos], 2),
            "days_of_supply": pa.array(np.round(flat(days_of_supply), 2), mask=~flat(has_demand)),
            "stock_cover_days": pa.array(np.round(flat(cover), 2), mask=~flat(has_demand)),
            "reorder_point": flat(r.reorder_point[h0:h1]),
            "reorder_quantity": flat(r.reorder_quantity[h0:h1]),
            "is_stockout": q == 0,
            "stockout_duration_days": flat(duration),
            "is_overstock": flat(has_demand & (cover > overstock)),
            "is_discontinued": row_day >= eol[pos],
            "last_replenishment_date": pa.array(sim_dates(world, np.maximum(flat(last), 0)), mask=flat(last) < 0),
            "next_replenishment_date": pa.array(sim_dates(world, np.where(flat(has_next), flat(nxt), 0)), mask=~flat(has_next)),
            "source_system": WAREHOUSE_SOURCE,
        }
        yield _batch(INVENTORY_TABLE, columns, n, etl_timestamp)


# ---------------------------------------------------------------- gold_inventory_movement_fact

def _movement_events(world: World, r: BlockResult) -> dict:
    """All movements of the block as arrays: kind 0 opening, 1 receipt, 2 sale, 3 return restock."""
    warmup = r.warmup_days
    s = r.sales
    n_sales = len(s["day"])
    opened = np.flatnonzero(r.opening > 0)
    receipt_day, receipt_pos = np.nonzero(r.receipts)
    sale_pos = (s["product"] - r.product_lo) * r.n_locations + s["location"]
    back = np.flatnonzero(s["is_return"] & (s["restock_day"] < world.n_days))    # restocked inside the horizon
    parts = [
        # kind, position, day, quantity, order day (receipts), sale line (-1: none)
        (0, opened, np.full(len(opened), warmup), r.opening[opened], 0, -1),
        (1, receipt_pos, receipt_day + warmup, r.receipts[receipt_day, receipt_pos],
         receipt_day + warmup - r.lead_time[receipt_pos], -1),
        (2, sale_pos, s["day"], s["quantity_sold"], 0, np.arange(n_sales)),
        (3, sale_pos[back], s["restock_day"][back], s["quantity_sold"][back], 0, back),
    ]
    names = ("kind", "position", "day", "quantity", "order_day", "sale")
    out = {}
    for column, name in enumerate(names):
        out[name] = np.concatenate([
            np.broadcast_to(np.asarray(part[column], dtype=np.int64), (len(part[1]),)) for part in parts
        ])
    return out


def movement_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                     result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_inventory_movement_fact rows of the block's horizon."""
    r = result or simulate_block(world, product_lo, product_hi)
    ev = _movement_events(world, r)
    s = r.sales
    for lo, hi in _chunks(len(ev["kind"]), batch_rows):
        kind, position, day = ev["kind"][lo:hi], ev["position"][lo:hi], ev["day"][lo:hi]
        quantity, sale = ev["quantity"][lo:hi], ev["sale"][lo:hi]
        n = hi - lo
        product = r.position_product[position]
        location = r.position_location[position]
        pk = world.product_key[product]
        lk = world.location_key[location]
        dk = date_keys(sim_dates(world, day))
        is_sale_line = sale >= 0
        line_ref = np.where(is_sale_line, sale, 0)
        _, _, line_item = line_item_ids(world, s["day"][line_ref], s["order"][line_ref], s["line"][line_ref])
        stem = _join(pa.array(pk).cast(pa.string()), pa.array(lk).cast(pa.string()), pa.array(dk).cast(pa.string()))
        order_key = pa.array(date_keys(sim_dates(world, ev["order_day"][lo:hi]))).cast(pa.string())
        po = _join("PO", pa.array(pk).cast(pa.string()), pa.array(lk).cast(pa.string()), order_key)
        prefix = np.array(["MV-ADJ", "MV-RCV", "MV-SAL", "MV-RET"], dtype=object)[kind]
        own_id = pc.if_else(pa.array(is_sale_line), line_item, stem)
        reference_id = pc.case_when(
            pc.make_struct(pa.array(kind == 0), pa.array(kind == 1)),
            _join("OPENING", stem), po, line_item,
        )
        unit_cost = world.unit_cost[product]
        entering = kind != 2
        columns = {
            "movement_id": _join(pa.array(prefix.tolist(), type=pa.string()), own_id),
            "product_key": pk,
            "from_location_key": pa.array(lk, mask=entering),
            "to_location_key": pa.array(lk, mask=~entering),
            "date_key": dk,
            "movement_type": np.array(["adjustment", "receipt", "sale", "return"], dtype=object)[kind],
            "quantity": quantity,
            "unit_cost": unit_cost,
            "total_cost": np.round(quantity * unit_cost, 2),
            "reference_type": np.array(["stock_count", "purchase_order", "sales_line", "return"], dtype=object)[kind],
            "reference_id": reference_id,
            "source_system": WAREHOUSE_SOURCE,
        }
        yield _batch(MOVEMENT_TABLE, columns, n, etl_timestamp)


# ---------------------------------------------------------------- gold_stockout_events

def stockout_event_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                           result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_stockout_events rows: the runs of is_stockout of the inventory rows, open ones included."""
    r = result or simulate_block(world, product_lo, product_hi)
    ep = episodes(r.is_stockout, r.lost_position, r.lost_day, r.lost_quantity, r.lost_revenue)
    warmup = r.warmup_days
    for lo, hi in _chunks(len(ep.position), batch_rows):
        position = ep.position[lo:hi]
        start, end, is_open = ep.start[lo:hi] + warmup, ep.end[lo:hi] + warmup, ep.is_open[lo:hi]
        pk = world.product_key[r.position_product[position]]
        lk = world.location_key[r.position_location[position]]
        start_key = world.date_key[start]
        columns = {
            "stockout_id": _join("SO", pa.array(pk).cast(pa.string()), pa.array(lk).cast(pa.string()),
                                 pa.array(start_key).cast(pa.string())),
            "product_key": pk,
            "location_key": lk,
            "stockout_start_date_key": start_key,
            "stockout_end_date_key": pa.array(world.date_key[end], mask=is_open),
            "stockout_duration_days": ep.duration[lo:hi],
            "lost_sales_attempts": ep.lost_attempts[lo:hi],
            "lost_sales_quantity": ep.lost_quantity[lo:hi],
            "lost_sales_revenue": np.round(ep.lost_revenue[lo:hi], 2),
            "peak_season_flag": world.is_peak_season[start],
            "source_system": WAREHOUSE_SOURCE,
        }
        yield _batch(STOCKOUT_TABLE, columns, hi - lo, etl_timestamp)
