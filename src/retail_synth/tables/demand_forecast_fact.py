"""gold_demand_forecast_fact: one row per position per day of the forecast window, day-major.

The model is src/retail_synth/model/simulation/forecast.py; this module lays its output
beside the actuals of the same block. forecast_id = FC-<product_key>-
<location_key>-<date_key>.
  * actual_quantity / actual_revenue: quantity_sold / net_sales_amount of the
    block's sale lines (exactly the gold_sales_fact rows) at that location and
    day; net sales from pricing.sale_amounts, as the sales table prices them.
  * actual_demand_quantity: quantity_requested of those lines (at the selling
    location) plus the units of the lost attempts of the position (the first
    node asked), so it is >= actual_quantity.
  * forecast_revenue = sale_amounts(forecast_quantity) on the target day:
    list price less that day's promotion or clearance discount.
The contract has no etl_timestamp column (the argument is accepted for symmetry).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation import forecast
from retail_synth.model.simulation.pricing import sale_amounts
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.model.simulation.world import World
from retail_synth.spec.ids import joined
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.keys import sim_dates

TABLE = "gold_demand_forecast_fact"


def batches(world: World, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's forecast rows, at most batch_rows rows a batch."""
    r = result
    n_pos, warmup, horizon = r.n_positions, r.warmup_days, r.horizon_days
    if n_pos == 0:
        return
    fp = world.config.forecast
    h0, length = forecast.forecast_window(horizon, fp.forecast_days)
    t0 = warmup + h0                                    # simulation day of the first target day
    target = np.arange(t0, t0 + length)
    product, location = r.position_product, r.position_location

    # history: r.requested row i is simulation day first_row + i (days before day 0 are never used)
    first_row = warmup + horizon - r.requested.shape[0]
    start = max(t0 - fp.history_days, first_row, 0)
    history = r.requested[start - first_row:t0 - first_row]
    on_sale = (target[:, None] >= world.launch_day[product][None, :]) & (target[:, None] < world.end_of_life_day[product][None, :])
    fc = forecast.smoothing_forecast(
        history, world.seasonality[start:t0], world.seasonality[target], on_sale,
        fp.smoothing_rate, fp.confidence_probability,
    )

    # actuals of the window: [day - t0, position] cells, flattened day-major
    size = length * n_pos
    s = r.sales
    lines = np.flatnonzero(s["day"] >= t0)
    day, sold = s["day"][lines], s["quantity_sold"][lines]
    cell = (day - t0) * n_pos + (s["product"][lines] - r.product_lo) * r.n_locations + s["location"][lines]
    net = sale_amounts(world, s["product"][lines], day, sold)[2]
    actual = np.bincount(cell, sold, minlength=size).round().astype(np.int64)
    actual_revenue = np.round(np.bincount(cell, net, minlength=size), 2)
    lost = np.flatnonzero(r.lost_day >= h0)
    lost_cell = (r.lost_day[lost] - h0) * n_pos + r.lost_position[lost]
    demand = (np.bincount(cell, s["quantity_requested"][lines], minlength=size)
              + np.bincount(lost_cell, r.lost_quantity[lost], minlength=size)).round().astype(np.int64)

    quantity = fc.quantity.reshape(-1)
    row_day = np.repeat(target, n_pos)
    pos = np.tile(np.arange(n_pos), length)
    revenue = sale_amounts(world, product[pos], row_day, quantity)[2]
    mape, accuracy, bias = forecast.accuracy(quantity, actual)
    forecast_date = sim_dates(world, np.array([t0 - 1]))[0]
    for lo, hi in row_chunks(size, batch_rows):
        n = hi - lo
        pk = world.product_key[product[pos[lo:hi]]]
        lk = world.location_key[location[pos[lo:hi]]]
        dk = world.date_key[row_day[lo:hi]]
        columns = {
            "forecast_id": joined("FC", pk, lk, dk),
            "forecast_date": np.full(n, forecast_date),
            "product_key": pk,
            "location_key": lk,
            "date_key": dk,
            "forecast_quantity": quantity[lo:hi],
            "forecast_revenue": revenue[lo:hi],
            "confidence_lower_bound": fc.lower.reshape(-1)[lo:hi],
            "confidence_upper_bound": fc.upper.reshape(-1)[lo:hi],
            "confidence_level": np.full(n, fp.confidence_probability),
            "actual_quantity": actual[lo:hi],
            "actual_revenue": actual_revenue[lo:hi],
            "forecast_accuracy": accuracy[lo:hi],          # NaN -> NULL
            "mape": mape[lo:hi],
            "bias": bias[lo:hi],
            "model_version": fp.model_version,
            "model_type": forecast.MODEL_TYPE,
            "actual_demand_quantity": demand[lo:hi],
        }
        yield record_batch(TABLE, columns, n, etl_timestamp)
