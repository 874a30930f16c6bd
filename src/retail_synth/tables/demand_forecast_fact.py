"""gold_demand_forecast_fact: one row per position per day of the forecast window, day-major.

The model is src/retail_synth/model/simulation/forecast.py, run over a block
by block_forecast.py, which lays its output beside the actuals of the same
block (actual_quantity, actual_revenue, actual_demand_quantity there); this
module spells its cells. forecast_id = FC-<product_key>-<location_key>-<date_key>.
The contract has no etl_timestamp column (the argument is accepted for symmetry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation import forecast
from retail_synth.model.simulation.block_forecast import block_forecast
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.spec.ids import joined
from retail_synth.tables.arrow_batches import record_batch, row_chunks
from retail_synth.tables.keys import sim_dates
from retail_synth.tables.views import ForecastView

TABLE = "gold_demand_forecast_fact"
VIEW = ForecastView


def batches(view: ForecastView, result: BlockResult, etl_timestamp: dt.datetime,
            batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's forecast rows, at most batch_rows rows a batch."""
    fc = block_forecast(view.forecast, result)
    if fc is None:
        return
    params = view.forecast.params
    for lo, hi in row_chunks(len(fc.day), batch_rows):
        n = hi - lo
        position = fc.position[lo:hi]
        pk = view.product_key[result.position_product[position]]
        lk = view.location_key[result.position_location[position]]
        dk = view.date_key[fc.day[lo:hi]]
        columns = {
            "forecast_id": joined("FC", pk, lk, dk),
            "forecast_date": sim_dates(view.days, fc.forecast_day[lo:hi]),
            "product_key": pk,
            "location_key": lk,
            "date_key": dk,
            "forecast_quantity": fc.quantity[lo:hi],
            "forecast_revenue": fc.revenue[lo:hi],
            "confidence_lower_bound": fc.lower[lo:hi],
            "confidence_upper_bound": fc.upper[lo:hi],
            "confidence_level": np.full(n, params.confidence_probability),
            "actual_quantity": fc.actual[lo:hi],
            "actual_revenue": fc.actual_revenue[lo:hi],
            "forecast_accuracy": fc.accuracy[lo:hi],          # NaN -> NULL
            "mape": fc.mape[lo:hi],
            "bias": fc.bias[lo:hi],
            "model_version": params.model_version,
            "model_type": forecast.MODEL_TYPE,
            "actual_demand_quantity": fc.demand[lo:hi],
        }
        yield record_batch(TABLE, columns, n, etl_timestamp)
