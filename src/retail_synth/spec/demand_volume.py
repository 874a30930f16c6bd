"""How many orders a day the demand model expects: one rule for the world, the row estimates and the configuration.

The world draws each day's orders around `expected_orders`, the row
estimates sum it over the horizon, and configuration bounds customer_count
by it on the busiest kind of day. It lives in spec, below the model, because
configuration cannot import the model; so the bound sees every factor the
world applies. Pure arithmetic on parameters and calendar traits: which days
are weekends or holidays is model.dimensions.calendar's business.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TypeVar

import numpy as np

from retail_synth.spec.run_config import DemandParams, ScenarioParams

BLACK_FRIDAY, CYBER_MONDAY = "Black Friday", "Cyber Monday"     # the holidays with demand factors of their own
ORDER_RATE_DAYS = 30            # a segment's order rate is declared per 30 days (orders_per_30_days)
DAY_FLAGS = ("is_weekend", "is_holiday", "is_peak_season", "is_sale_period")

Rate = TypeVar("Rate", float, np.ndarray)


def daily_order_rate(orders_per_30_days: Rate) -> Rate:
    """Expected orders a day of one customer on a plain day (seasonality 1)."""
    return orders_per_30_days / float(ORDER_RATE_DAYS)


def day_seasonality(days: Mapping[str, np.ndarray], demand: DemandParams, scenario: ScenarioParams) -> np.ndarray:
    """The demand multiplier of each day: its uplifts, Black Friday's and Cyber Monday's factors and the scenario's peak.

    `days` holds the columns DAY_FLAGS and holiday_name of those days, as
    model.dimensions.calendar.calendar_features computes them (1 on a plain weekday).
    """
    return (
        (1 + demand.weekend_uplift_rate * days["is_weekend"])
        * (1 + demand.holiday_uplift_rate * days["is_holiday"])
        * (1 + demand.peak_season_uplift_rate * days["is_peak_season"])
        * (1 + demand.sale_period_uplift_rate * days["is_sale_period"])
        * np.where(days["holiday_name"] == BLACK_FRIDAY, demand.black_friday_demand_factor, 1.0)
        * np.where(days["holiday_name"] == CYBER_MONDAY, demand.cyber_monday_demand_factor, 1.0)
        * np.where(days["is_peak_season"], scenario.peak_demand_factor, 1.0)
    )


def expected_orders(order_rate: float | np.ndarray, seasonality: np.ndarray) -> np.ndarray:
    """Expected orders of each day: the summed daily order rate of the customers ordering that day times its seasonality."""
    return np.asarray(order_rate * seasonality, dtype=np.float64)


def every_kind_of_day() -> dict[str, np.ndarray]:
    """One day of each combination of DAY_FLAGS and named holiday: the busiest possible day is one of them.

    Some combinations never happen (Black Friday is no weekend), so the
    busiest of them bounds the busiest real day from above.
    """
    flags = np.array(list(itertools.product((False, True), repeat=len(DAY_FLAGS))), dtype=bool)
    names = np.array([None, BLACK_FRIDAY, CYBER_MONDAY], dtype=object)
    days = {name: np.repeat(flags[:, i], len(names)) for i, name in enumerate(DAY_FLAGS)}
    days["holiday_name"] = np.tile(names, len(flags))
    return days


def busiest_day_orders(orders_per_30_days: float, demand: DemandParams, scenario: ScenarioParams) -> float:
    """Expected orders of one customer ordering `orders_per_30_days` on the busiest possible day."""
    seasonality = day_seasonality(every_kind_of_day(), demand, scenario)
    return float(expected_orders(daily_order_rate(orders_per_30_days), seasonality).max())
