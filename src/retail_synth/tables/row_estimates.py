"""How many rows a run will write, estimated from its configuration alone, before anything runs.

Each contract declares `row_estimate: {per: DRIVER, ratio: R}`: the table
holds about R rows per unit of one driver below. The drivers follow from the
configuration (sizes, calendar, the demand model's expected orders); the
ratios were measured on the small preset. `presets`, `--dry-run`, the
progress ETA and the `output.max_rows` guard all read these estimates.
"""

from __future__ import annotations

import numpy as np

from retail_synth.model.dimensions.calendar import calendar_features
from retail_synth.model.simulation.forecast import forecast_windows
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.demand_volume import (
    daily_order_rate,
    day_seasonality,
    expected_orders,
)
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables.registry import WRITTEN_TABLES


def horizon_orders(config: RunConfig) -> float:
    """Expected orders of the written days by the world's rule (spec.demand_volume), every customer acquired.

    The segments' order rates weighted by their shares stand for the segments drawn for the customers.
    """
    days = np.arange(np.datetime64(config.start_date, "D"), np.datetime64(config.end_date, "D") + 1)
    segments = config.customers.segments.values()
    order_rate = config.customers.customer_count * sum(s.share * daily_order_rate(s.orders_per_30_days) for s in segments)
    seasonality = day_seasonality(calendar_features(days), config.demand, config.scenario)
    return float(np.sum(expected_orders(order_rate, seasonality)))


def drivers(config: RunConfig) -> dict[str, float]:
    """The quantities a table's rows grow with."""
    customers, products = config.customers.customer_count, config.products.product_count
    locations = config.locations.location_count
    horizon = config.horizon_days
    segments = config.customers.segments.values()
    baskets = config.distributions.basket_lines
    lines_per_order = (sum(s.share * s.orders_per_30_days * baskets[name].mean for name, s in config.customers.segments.items())
                       / sum(s.share * s.orders_per_30_days for s in segments))
    orders = horizon_orders(config)
    calendar_days = horizon + config.returns.restock_delay_days_max
    return {
        "rows": 1.0,
        "customers": customers,
        "products": products,
        "locations": locations,
        "calendar_days": calendar_days,
        "positions": products * locations * horizon,
        "forecast_positions": products * locations * sum(
            days for _, days in forecast_windows(config.plan_days, horizon, config.forecast.forecast_days)),
        "orders": orders,
        "requested_lines": orders * lines_per_order,
        "anomalies": anomaly_count(config),
    }


def anomaly_count(config: RunConfig) -> float:
    """Expected anomaly labels: per-product and per-position rates in each plan cycle the run spans (a run longer than
    plan_days draws them again every cycle), about one receipt a review cycle, the outage."""
    a = config.anomalies
    products, locations = config.products.product_count, config.locations.location_count
    cycles = max(1.0, config.horizon_days / config.plan_days)
    receipts = products * locations * config.horizon_days / config.inventory.review_cycle_days
    return (cycles * (products * (a.demand_spike_rate + a.price_error_rate) + products * locations * a.shrinkage_rate)
            + receipts * a.late_delivery_rate + config.scenario.has_outage)


def estimated_rows(config: RunConfig) -> dict[str, int]:
    """Estimated rows of every written table, in writing order."""
    amounts = drivers(config)
    estimates = {}
    for table in WRITTEN_TABLES:
        estimate = load_contract(table).row_estimate
        estimates[table] = round(float(amounts[estimate.per]) * estimate.ratio)
    return estimates
