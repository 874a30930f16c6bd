"""gold_inventory_fact: one row per position (product x location) per horizon day, the end-of-day state.

Rows are day-major (every position of a day, then the next day), and a batch
may cut a day anywhere: the two values that look back in time (the last
receipt day and the running stockout length) are carried from chunk to chunk.
quantity_reserved and quantity_damaged are always 0 (the simulation keeps no
reservations or damage), so quantity_available = quantity_on_hand.
days_of_supply and stock_cover_days divide by the mean daily units requested
at the position (first node asked, lost requests included) over the
TRAILING_DEMAND_DAYS days ending that day; NULL when nothing was requested.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.episodes import stockout_duration
from retail_synth.model.simulation.walk import TRAILING_DEMAND_DAYS, BlockResult
from retail_synth.model.simulation.world import World
from retail_synth.spec.vocabulary import WAREHOUSE_SOURCE
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.keys import sim_dates

TABLE = "gold_inventory_fact"
NO_DAY = np.iinfo(np.int64).max


def batches(world: World, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's inventory rows, at most batch_rows rows a batch."""
    r = result
    n_pos, horizon, warmup = r.n_positions, r.horizon_days, r.warmup_days
    if n_pos == 0:
        return
    product, location = r.position_product, r.position_location
    cost, price = world.unit_cost[product], world.base_price[product]
    eol = world.end_of_life_day[product]
    overstock = world.config.inventory.overstock_cover_days
    arrivals = r.arrivals
    look_ahead = arrivals.shape[0] - world.n_days       # the series runs past the last day as far as any order can arrive
    # carried across chunks: last receipt day before the chunk, stockout run length before the chunk
    day_ids = np.arange(warmup, dtype=np.int32)[:, None]
    last_before = np.where(arrivals[:warmup] > 0, day_ids, -1).max(axis=0, initial=-1).astype(np.int64)
    run_before = np.zeros(n_pos, np.int64)
    for r0, r1 in row_chunks(horizon * n_pos, batch_rows):
        h0, h1 = r0 // n_pos, (r1 - 1) // n_pos + 1      # horizon days touched by the chunk
        sim_day = np.arange(h0, h1) + warmup
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
        last = np.maximum(np.maximum.accumulate(np.where(chunk_arrivals > 0, sim_day[:, None], -1), axis=0),
                          last_before[None, :])
        ahead = arrivals[sim_day[0] + 1:sim_day[-1] + look_ahead + 1]
        ahead_ids = np.arange(sim_day[0] + 1, sim_day[0] + 1 + ahead.shape[0])[:, None]
        nxt = np.minimum.accumulate(np.where(ahead > 0, ahead_ids, NO_DAY)[::-1], axis=0)[::-1]
        nxt = nxt[: h1 - h0]
        has_next = (in_transit > 0) & (nxt < NO_DAY)

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
            "next_replenishment_date": pa.array(sim_dates(world, np.where(flat(has_next), flat(nxt), 0)),
                                                mask=~flat(has_next)),
            "source_system": WAREHOUSE_SOURCE,
        }
        yield record_batch(TABLE, columns, n, etl_timestamp)
