"""gold_stockout_events: the runs of is_stockout of the inventory rows, open ones included.

An episode is a maximal run of days a position ends out of stock
(episodes.episodes); it carries the lost attempts of its days, counted at
the first node asked. An episode still running on the last horizon day has
no end date. A walk resumed from a BlockState continues the episode its
state carried (R3 of design/incremental-runs.md): that row has the carried
start, so the same stockout_id, and replaces the open row the run before wrote.
peak_season_flag is the calendar's flag on the start day.
stockout_id = SO-<product_key>-<location_key>-<start date_key>. Source 'WMS'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.episodes import continued_episodes
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.spec.ids import joined
from retail_synth.spec.vocabulary import WAREHOUSE_SOURCE
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.views import StockoutView

TABLE = "gold_stockout_events"
VIEW = StockoutView


def batches(view: StockoutView, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's stockout episodes, at most batch_rows rows a batch."""
    r = result
    first = r.first_series_day
    ep = continued_episodes(r.is_stockout, r.lost_position, r.lost_day - (first - r.warmup_days), r.lost_quantity,
                            r.lost_revenue, first, r.start_state)
    for lo, hi in row_chunks(len(ep.position), batch_rows):
        position = ep.position[lo:hi]
        start, end, is_open = ep.start[lo:hi], ep.end[lo:hi], ep.is_open[lo:hi]
        pk = view.product_key[r.position_product[position]]
        lk = view.location_key[r.position_location[position]]
        start_key = view.date_key[start]
        columns = {
            "stockout_id": joined("SO", pk, lk, start_key),
            "product_key": pk,
            "location_key": lk,
            "stockout_start_date_key": start_key,
            "stockout_end_date_key": pa.array(view.date_key[end], mask=is_open),
            "stockout_duration_days": ep.duration[lo:hi],
            "lost_sales_attempts": ep.lost_attempts[lo:hi],
            "lost_sales_quantity": ep.lost_quantity[lo:hi],
            "lost_sales_revenue": np.round(ep.lost_revenue[lo:hi], 2),
            "peak_season_flag": view.is_peak_season[start],
            "source_system": WAREHOUSE_SOURCE,
        }
        yield record_batch(TABLE, columns, hi - lo, etl_timestamp)
