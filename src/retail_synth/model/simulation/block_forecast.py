"""The forecast of one walked block over the forecast window, beside what the block really sold.

forecast.py is the model (window, smoothing, accuracy); this module feeds it
a block's demand history and lays its output, day-major ([window day,
position] flattened), beside the actuals of the same cells:
  * actual: quantity_sold of the block's sale lines (exactly the
    gold_sales_fact rows) at that location and day; actual_revenue their net
    sales, priced by pricing.sale_amounts as the sales table prices them.
  * demand: quantity_requested of those lines (at the selling location) plus
    the units of the lost attempts of the position (the first node asked),
    so it is >= actual.
  * revenue = sale_amounts(forecast quantity) on the target day: list price
    less that day's promotion or clearance discount.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from retail_synth.model.simulation import forecast
from retail_synth.model.simulation.pricing import PriceBook, sale_amounts
from retail_synth.model.simulation.walk import TRAILING_DEMAND_DAYS, BlockResult
from retail_synth.spec.run_config import ForecastParams


@dataclass(frozen=True)
class ForecastInputs:
    """The run's forecast settings and what a forecast cell's quantity and revenue depend on."""

    params: ForecastParams
    plan_days: int                     # a window is a plan cycle's last forecast_days days (forecast.forecast_windows)
    launch_day: np.ndarray             # per product: nothing is forecast before it
    end_of_life_day: np.ndarray        # per product: nor from it on
    seasonality: np.ndarray            # per simulation day: the calendar demand multiplier
    prices: PriceBook


@dataclass(frozen=True)
class BlockForecast:
    """One entry per (window day, position) cell, day-major; the block's positions within a day."""

    forecast_day: np.ndarray           # simulation day each cell's forecast is made: the day before its window
    day: np.ndarray                    # simulation day of each cell
    position: np.ndarray               # position of each cell (index into the block's positions)
    quantity: np.ndarray               # forecast units, 2 decimals
    lower: np.ndarray                  # confidence interval, 2 decimals
    upper: np.ndarray
    revenue: np.ndarray                # forecast net sales
    actual: np.ndarray                 # int64 units sold
    actual_revenue: np.ndarray
    demand: np.ndarray                 # int64 units requested, lost attempts included
    mape: np.ndarray                   # NaN where nothing was sold
    accuracy: np.ndarray               # NaN where nothing was sold
    bias: np.ndarray


def block_forecast(inputs: ForecastInputs, r: BlockResult) -> BlockForecast | None:
    """The block's forecast window cells, window by window; None for a block without positions or a run that ends
    before the first window."""
    first = r.first_series_day - r.warmup_days                # the first horizon day the block's rows hold
    windows = forecast.forecast_windows(inputs.plan_days, first + r.horizon_days, inputs.params.forecast_days, first)
    if r.n_positions == 0 or not windows:
        return None
    parts = [_window_forecast(inputs, r, h0, length, max(0, first - h0)) for h0, length in windows]
    return BlockForecast(**{f.name: np.concatenate([getattr(part, f.name) for part in parts]) for f in fields(BlockForecast)})


def _window_forecast(inputs: ForecastInputs, r: BlockResult, h0: int, length: int, skip: int) -> BlockForecast:
    """The cells of the window of `length` days from horizon day h0, but its first `skip` days (an earlier run's)."""
    n_pos = r.n_positions
    t0 = r.warmup_days + h0                                 # simulation day of the first target day
    target = np.arange(t0 + skip, t0 + length)
    fc = _smoothed(inputs, r, t0, np.arange(t0, t0 + length))
    actual, actual_revenue, demand = _actuals(inputs, r, t0 + skip, h0 + skip, length - skip)
    quantity = fc.quantity[skip:].reshape(-1)
    day = np.repeat(target, n_pos)
    position = np.tile(np.arange(n_pos), length - skip)
    revenue = sale_amounts(inputs.prices, r.position_product[position], day, quantity)[2]
    mape, accuracy, bias = forecast.accuracy(quantity, actual)
    return BlockForecast(forecast_day=np.full(len(day), t0 - 1), day=day, position=position, quantity=quantity,
                         lower=fc.lower[skip:].reshape(-1), upper=fc.upper[skip:].reshape(-1), revenue=revenue,
                         actual=actual, actual_revenue=actual_revenue, demand=demand, mape=mape, accuracy=accuracy,
                         bias=bias)


def _smoothed(inputs: ForecastInputs, r: BlockResult, t0: int, target: np.ndarray) -> forecast.Forecast:
    """forecast.smoothing_forecast of the block's positions on the target days, from their demand history."""
    params = inputs.params
    product = r.position_product
    # r.requested row i is simulation day first_row + i; the history reaches at most TRAILING_DEMAND_DAYS - 1 days
    # into the warm-up, and days before day 0 are never used (a resumed walk's state carries what it needs)
    first_row = r.stop_day - r.requested.shape[0]
    start = max(t0 - params.history_days, r.warmup_days - (TRAILING_DEMAND_DAYS - 1), 0)
    if start < first_row:
        raise ValueError(f"the demand history from day {start} is not in the block's requested rows (from {first_row})")
    history = r.requested[start - first_row:t0 - first_row]
    on_sale = ((target[:, None] >= inputs.launch_day[product][None, :])
               & (target[:, None] < inputs.end_of_life_day[product][None, :]))
    return forecast.smoothing_forecast(
        history, inputs.seasonality[start:t0], inputs.seasonality[target], on_sale,
        params.smoothing_rate, params.confidence_probability,
    )


def _actuals(inputs: ForecastInputs, r: BlockResult, t0: int, h0: int,
             length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(units sold, net sales, units requested with lost attempts) of each window cell."""
    n_pos = r.n_positions
    size = length * n_pos
    s = r.sales
    lines = np.flatnonzero((s["day"] >= t0) & (s["day"] < t0 + length))      # a run may go on past the window
    day, sold = s["day"][lines], s["quantity_sold"][lines]
    cell = (day - t0) * n_pos + (s["product"][lines] - r.product_lo) * r.n_locations + s["location"][lines]
    net = sale_amounts(inputs.prices, s["product"][lines], day, sold)[2]
    actual = np.bincount(cell, sold, minlength=size).round().astype(np.int64)
    actual_revenue = np.round(np.bincount(cell, net, minlength=size), 2)
    lost = np.flatnonzero((r.lost_day >= h0) & (r.lost_day < h0 + length))
    lost_cell = (r.lost_day[lost] - h0) * n_pos + r.lost_position[lost]
    demand = (np.bincount(cell, s["quantity_requested"][lines], minlength=size)
              + np.bincount(lost_cell, r.lost_quantity[lost], minlength=size)).round().astype(np.int64)
    return actual, actual_revenue, demand
