"""Demand forecast model of gold_demand_forecast_fact (numpy only, no Spark, no World).

Window and forecast date
  The forecast covers the last `forecast.forecast_days` days of the plan
  (plan_days from start_date; all plan days when the plan is shorter), so the
  window does not move with end_date; a run longer than its plan has one
  window per plan cycle (the last days of each plan_days from start_date).
  Each is made once, on forecast_date = the day before its window, from the
  daily demand of at most `forecast.history_days` days before the window.
  Only window days the run writes are forecast: a run ending before a window
  does has a shorter one, or none. A cell is written by the run that
  simulates its target day; a run continuing an earlier one reads the history
  before its first day from the requested window its BlockState carried.

Demand history
  Daily units requested at a position (product x location), lost attempts
  included (unconstrained demand), as BlockResult.requested keeps it: every
  request counted at the first node asked. That array reaches
  TRAILING_DEMAND_DAYS - 1 = 27 days back into the warm-up, so the history may
  include up to 27 warm-up days; days before simulation day 0 are never used.
  With no history at all the forecast is 0 with the interval [0, 0].

Model: simple exponential smoothing on calendar-adjusted demand
  (model_type 'exponential_smoothing')
    x_t   = y_t / s_t                         s_t: the calendar demand multiplier of day t
                                              (weekend, holiday, peak season and sale period
                                              uplifts, World.seasonality; known in advance)
    l_0   = mean of x over the history        (initial level)
    l_t   = a * x_t + (1 - a) * l_(t-1)       a = forecast.smoothing_rate
    e_t   = y_t - s_t * l_(t-1)               one-step-ahead errors over the history
    sigma = sqrt(mean(e_t^2))
    forecast(T + h) = s_(T+h) * l_T           h = 1 .. window length
    interval = forecast -/+ z * sigma * sqrt(1 + (h - 1) * a^2),  z = Phi^-1((1 + c) / 2),
               c = forecast.confidence_probability (the confidence_level column);
               the lower bound is clipped at 0.
  On days the product is not on sale (before launch or from end of life on,
  both planned in advance) forecast and bounds are 0. Quantities are rounded
  to 2 decimals, and the bounds are widened if needed so that
  lower <= forecast <= upper holds after rounding.

Accuracy (against actual_quantity = units sold, gold_sales_fact.quantity_sold)
    bias              = forecast_quantity - actual_quantity
    mape              = 100 * |forecast_quantity - actual_quantity| / actual_quantity   (percent)
    forecast_accuracy = max(0, 100 - mape)                                             (percent)
  mape and forecast_accuracy are NULL (NaN here) when actual_quantity is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MODEL_TYPE = "exponential_smoothing"

def forecast_windows(plan_days: int, horizon_days: int, forecast_days: int, first_day: int = 0) -> list[tuple[int, int]]:
    """(first horizon day, length) of each forecast window the run writes: the last forecast_days days of every plan
    cycle, up to the last written day (none of a cycle whose window starts after it).

    A run that writes horizon days first_day .. horizon_days - 1 (it continues
    an earlier one) writes the windows that end on or after first_day; one
    that began before is returned whole (it is made the day before it starts,
    from the history before it), and the run writes its days from first_day on.
    """
    length = min(int(forecast_days), int(plan_days))
    firsts = range(int(plan_days) - length, int(horizon_days), int(plan_days))
    return [(first, min(length, int(horizon_days) - first)) for first in firsts if first + length > first_day]


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile of a central interval of coverage `confidence`."""
    return NormalDist().inv_cdf((1.0 + confidence) / 2.0)


@dataclass
class Forecast:
    quantity: np.ndarray    # [window day, position] float64, rounded to 2 decimals
    lower: np.ndarray
    upper: np.ndarray
    sigma: np.ndarray       # [position] RMSE of the one-step-ahead errors over the history


def smoothing_forecast(
    history: np.ndarray,
    history_season: np.ndarray,
    target_season: np.ndarray,
    on_sale: np.ndarray,
    smoothing_rate: float,
    confidence: float,
) -> Forecast:
    """Calendar-adjusted simple exponential smoothing (see the module docstring).

    history [T, n] daily demand; history_season [T] and target_season [F]
    calendar multipliers; on_sale [F, n] whether the product can sell that day.
    """
    history = np.asarray(history, dtype=np.float64)
    n_hist, n = history.shape
    n_target = len(target_season)
    a = float(smoothing_rate)
    if n_hist == 0:
        level = np.zeros(n)
        sigma = np.zeros(n)
    else:
        season = np.asarray(history_season, dtype=np.float64)[:, None]
        x = history / season
        level = x.mean(axis=0)
        sq = np.zeros(n)
        for t in range(n_hist):
            sq += (history[t] - season[t] * level) ** 2
            level = a * x[t] + (1 - a) * level
        sigma = np.sqrt(sq / n_hist)
    h = np.arange(1, n_target + 1, dtype=np.float64)[:, None]
    raw = np.asarray(target_season, dtype=np.float64)[:, None] * level[None, :]
    width = z_value(confidence) * sigma[None, :] * np.sqrt(1 + (h - 1) * a * a)
    on_sale = np.asarray(on_sale, dtype=bool)
    quantity = np.where(on_sale, np.round(raw, 2), 0.0)
    lower = np.where(on_sale, np.minimum(np.round(np.maximum(raw - width, 0.0), 2), quantity), 0.0)
    upper = np.where(on_sale, np.maximum(np.round(raw + width, 2), quantity), 0.0)
    return Forecast(quantity=quantity, lower=lower, upper=upper, sigma=sigma)


def accuracy(forecast: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mape %, forecast_accuracy %, bias) of forecasts against actual units; NaN where actual is 0."""
    forecast = np.asarray(forecast, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    has = actual > 0
    mape = np.full(forecast.shape, np.nan)
    mape[has] = np.round(100.0 * np.abs(forecast[has] - actual[has]) / actual[has], 2)
    acc = np.where(has, np.round(np.maximum(0.0, 100.0 - np.where(has, mape, 0.0)), 2), np.nan)
    return mape, acc, np.round(forecast - actual, 2)
