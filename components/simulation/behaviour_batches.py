"""Arrow record batches of gold_demand_forecast_fact and gold_size_fit_bridge, one product block at a time.

Same shape as fact_batches: each generator takes (world, product_lo,
product_hi, etl_timestamp, batch_rows), re-runs (or is given) the block
simulation and yields pyarrow.RecordBatch objects of exactly the contract
schema, at most batch_rows rows each, built column-wise. Neither contract has
an etl_timestamp column, which fact_batches._batch always adds, so batches are
built with contracts.to_arrow_table (same checks: contract order and types,
missing or unexpected columns fail).

gold_demand_forecast_fact (model: components/simulation/forecast.py)
  One row per position (product x location) per day of the forecast window
  (the last forecast.forecast_days horizon days), day-major like the
  inventory rows; forecast_id = FC-<product_key>-<location_key>-<date_key>.
  * actual_quantity / actual_revenue: sum of quantity_sold / net_sales_amount
    of the block's sale lines (exactly the gold_sales_fact rows) at that
    location and day; net sales come from pricing.sale_amounts, the function
    the sales table uses.
  * actual_demand_quantity: quantity_requested of those sale lines (at the
    selling location) plus the units of the lost attempts attributed to that
    location (the first node asked), so it is >= actual_quantity.
  * forecast_revenue = sale_amounts(forecast_quantity) on the target day:
    list price less the promotion or clearance discount of that day.

gold_size_fit_bridge
  One row per apparel sale line (category_level_1 'apparel': tops, dresses
  and outerwear use the customer's size_profile_tops, bottoms use
  size_profile_bottoms). Every draw is hashed from (seed, stream, line id).
  * recommended_size: the customer's profile size for the product's chart.
  * ordered_size: recommended size moved by -1 / 0 / +1 step with
    ORDERED_OFFSET_WEIGHTS, clipped to the chart (XS..XXL or 26..40).
  * is_returned = the sale line's is_return, exactly (drawn by returns.py).
    Returned lines draw return_reason from RETURN_REASON_WEIGHTS given how
    the ordered size compares with the recommended one; a size reason sets
    fit_description ('too_small' / 'too_large'); any other reason, and every
    kept line, draws fit_description from KEPT_FIT_WEIGHTS given the same
    comparison. return_reason is NULL when not returned.
  * kept_size: ordered_size when not returned; after an exchange
    (is_exchange) one size up for 'too_small', one down for 'too_large'
    (clipped), the same size otherwise; NULL when returned for a refund.
  * fit_score: 0.70 + 0.30 u for 'perfect', 0.10 + 0.40 u otherwise
    (u hashed), rounded to 2 decimals.

Sizes come from World.product_size_chart and the customers' profile sizes
(World.customer_size_tops / customer_size_bottoms), read from the dimensions.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa

from components import hashing
from components.contracts import to_arrow_table
from components.dimensions.products import APPAREL_SIZES, WAIST_SIZES
from components.simulation import forecast
from components.simulation.demand import line_ids, order_ids
from components.simulation.fact_batches import _chunks, _join, _null_unless, sim_dates
from components.simulation.pricing import sale_amounts
from components.simulation.walk import BlockResult, simulate_block
from components.simulation.world import BOTTOMS_CHART, World

FORECAST_TABLE = "gold_demand_forecast_fact"
SIZE_FIT_TABLE = "gold_size_fit_bridge"

# ---- size charts (see World.product_size_chart)
CHART_SIZES = (APPAREL_SIZES, WAIST_SIZES)
_CHART_NAMES = np.array([list(c) + [""] * (max(map(len, CHART_SIZES)) - len(c)) for c in CHART_SIZES], dtype=object)
_CHART_LENGTH = np.array([len(c) for c in CHART_SIZES], dtype=np.int64)

# ---- size-fit draws; rows are indexed by sign(ordered - recommended) + 1 (smaller, same, larger)
ORDERED_OFFSET_WEIGHTS = (0.12, 0.76, 0.12)              # ordered = recommended - 1, +0, +1
FITS = ("too_small", "perfect", "too_large")
KEPT_FIT_WEIGHTS = ((0.30, 0.65, 0.05), (0.05, 0.90, 0.05), (0.05, 0.65, 0.30))
RETURN_REASONS = ("too_small", "too_large", "changed_mind", "quality_issue", "style_not_as_expected")
RETURN_REASON_WEIGHTS = (
    (0.70, 0.03, 0.12, 0.08, 0.07),
    (0.20, 0.20, 0.30, 0.15, 0.15),
    (0.03, 0.70, 0.12, 0.08, 0.07),
)


# ---------------------------------------------------------------- helpers

def _record_batch(table: str, columns: dict, n: int) -> pa.RecordBatch:
    """A record batch in contract order and types (to_arrow_table: fails on a missing or unexpected column)."""
    columns = {k: (np.full(n, v, dtype=object) if isinstance(v, str) else v) for k, v in columns.items()}
    return to_arrow_table(table, columns).combine_chunks().to_batches(max_chunksize=max(n, 1))[0]


def _conditional_choice(seed: int, stream: str, weights, group: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index drawn from the row weights[group] of each entry, keyed by (seed, stream, ids)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64), axis=1)
    cdf /= cdf[:, -1:]
    u = hashing.uniform(seed, stream, ids)
    return np.minimum((u[:, None] >= cdf[group]).sum(axis=1), cdf.shape[1] - 1)


# ---------------------------------------------------------------- gold_demand_forecast_fact

def demand_forecast_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                            result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_demand_forecast_fact rows: one per position per forecast-window day (day-major)."""
    r = result or simulate_block(world, product_lo, product_hi)
    n_pos, warmup, horizon = r.n_positions, r.warmup_days, r.horizon_days
    if n_pos == 0:
        return
    fp = forecast.params_of(world.params)
    h0, length = forecast.forecast_window(horizon, fp["forecast_days"])
    t0 = warmup + h0                                    # simulation day of the first target day
    target = np.arange(t0, t0 + length)
    product, location = r.position_product, r.position_location

    # history: r.requested row i is simulation day first_row + i (days before day 0 are never used)
    first_row = warmup + horizon - r.requested.shape[0]
    start = max(t0 - int(fp["forecast_history_days"]), first_row, 0)
    history = r.requested[start - first_row:t0 - first_row]
    on_sale = (target[:, None] >= world.launch_day[product][None, :]) & (target[:, None] < world.end_of_life_day[product][None, :])
    fc = forecast.smoothing_forecast(
        history, world.seasonality[start:t0], world.seasonality[target], on_sale,
        fp["forecast_smoothing_rate"], fp["forecast_confidence_probability"],
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
    for lo, hi in _chunks(size, batch_rows):
        n = hi - lo
        pk = world.product_key[product[pos[lo:hi]]]
        lk = world.location_key[location[pos[lo:hi]]]
        dk = world.date_key[row_day[lo:hi]]
        columns = {
            "forecast_id": _join("FC", pa.array(pk).cast(pa.string()), pa.array(lk).cast(pa.string()),
                                 pa.array(dk).cast(pa.string())),
            "forecast_date": np.full(n, forecast_date),
            "product_key": pk,
            "location_key": lk,
            "date_key": dk,
            "forecast_quantity": quantity[lo:hi],
            "forecast_revenue": revenue[lo:hi],
            "confidence_lower_bound": fc.lower.reshape(-1)[lo:hi],
            "confidence_upper_bound": fc.upper.reshape(-1)[lo:hi],
            "confidence_level": np.full(n, float(fp["forecast_confidence_probability"])),
            "actual_quantity": actual[lo:hi],
            "actual_revenue": actual_revenue[lo:hi],
            "forecast_accuracy": accuracy[lo:hi],          # NaN -> NULL
            "mape": mape[lo:hi],
            "bias": bias[lo:hi],
            "model_version": str(fp["forecast_model_version"]),
            "model_type": forecast.MODEL_TYPE,
            "actual_demand_quantity": demand[lo:hi],
        }
        yield _record_batch(FORECAST_TABLE, columns, n)


# ---------------------------------------------------------------- gold_size_fit_bridge

def customer_size_profile(world: World, customer: np.ndarray, chart: np.ndarray) -> np.ndarray:
    """Index of each customer's profile size in the chart of the product bought."""
    top, bottom = world.customer_size_tops[customer], world.customer_size_bottoms[customer]
    return np.where(chart == BOTTOMS_CHART, bottom, top).astype(np.int64)


def size_fit_batches(world: World, product_lo: int, product_hi: int, etl_timestamp: dt.datetime, batch_rows: int,
                     result: BlockResult | None = None) -> Iterator[pa.RecordBatch]:
    """gold_size_fit_bridge rows: one per apparel sale line of the block, in sale-line order."""
    r = result or simulate_block(world, product_lo, product_hi)
    s = r.sales
    chart_of_line = world.product_size_chart[s["product"]]
    rows = np.flatnonzero(chart_of_line >= 0)
    seed = world.seed
    for lo, hi in _chunks(len(rows), batch_rows):
        idx = rows[lo:hi]
        n = hi - lo
        chart = chart_of_line[idx].astype(np.int64)
        customer, product = s["customer"][idx], s["product"][idx]
        lid = line_ids(order_ids(world.epoch_day[s["day"][idx]], s["order"][idx]), s["line"][idx])
        top = _CHART_LENGTH[chart] - 1
        recommended = customer_size_profile(world, customer, chart)
        offset = hashing.choice(seed, "size_fit.ordered_offset", ORDERED_OFFSET_WEIGHTS, lid) - 1
        ordered = np.clip(recommended + offset, 0, top)
        group = np.sign(ordered - recommended) + 1

        returned = np.asarray(s["is_return"][idx], dtype=bool)
        exchange = returned & np.asarray(s["is_exchange"][idx], dtype=bool)
        reason = _conditional_choice(seed, "size_fit.return_reason", RETURN_REASON_WEIGHTS, group, lid)
        fit = _conditional_choice(seed, "size_fit.fit", KEPT_FIT_WEIGHTS, group, lid)
        fit = np.where(returned & (reason == 0), 0, np.where(returned & (reason == 1), 2, fit))
        kept = np.clip(ordered + np.where(exchange, 1 - fit, 0), 0, top)     # too_small: one size up
        u = hashing.uniform(seed, "size_fit.score", lid)
        score = np.round(np.where(fit == 1, 0.70 + 0.30 * u, 0.10 + 0.40 * u), 2)

        columns = {
            "customer_key": world.customer_key[customer],
            "product_key": world.product_key[product],
            "ordered_size": _CHART_NAMES[chart, ordered],
            "kept_size": _null_unless(~returned | exchange, pa.array(_CHART_NAMES[chart, kept].tolist(), type=pa.string())),
            "recommended_size": _CHART_NAMES[chart, recommended],
            "fit_description": np.array(FITS, dtype=object)[fit],
            "fit_score": score,
            "is_returned": returned,
            "return_reason": _null_unless(returned, pa.array(np.array(RETURN_REASONS, dtype=object)[reason].tolist(),
                                                              type=pa.string())),
        }
        yield _record_batch(SIZE_FIT_TABLE, columns, n)
