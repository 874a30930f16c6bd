"""The demand forecast model without a World (its table: tests/tables/test_demand_forecast_fact.py)."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation import forecast


def test_constant_demand_is_forecast_exactly_with_a_zero_width_interval():
    history = np.full((20, 3), 2.0) * np.linspace(1, 1.5, 20)[:, None]     # demand follows the calendar
    fc = forecast.smoothing_forecast(history, np.linspace(1, 1.5, 20), np.array([1.0, 2.0]), np.ones((2, 3), bool), 0.3, 0.8)
    assert np.allclose(fc.quantity, [[2.0] * 3, [4.0] * 3])
    assert np.allclose(fc.sigma, 0) and np.array_equal(fc.lower, fc.quantity) and np.array_equal(fc.upper, fc.quantity)


def test_no_history_or_not_on_sale_forecasts_zero():
    fc = forecast.smoothing_forecast(np.zeros((0, 2)), np.zeros(0), np.ones(3), np.ones((3, 2), bool), 0.2, 0.8)
    assert not fc.quantity.any() and not fc.upper.any()
    fc = forecast.smoothing_forecast(np.full((5, 2), 3.0), np.ones(5), np.ones(3), np.zeros((3, 2), bool), 0.2, 0.8)
    assert not fc.quantity.any() and not fc.upper.any()


def test_interval_widens_with_the_lead_and_the_confidence():
    rng = np.random.default_rng(1)
    history = rng.poisson(4.0, size=(56, 50)).astype(float)
    args = (history, np.ones(56), np.ones(28), np.ones((28, 50), bool), 0.2)
    narrow, wide = forecast.smoothing_forecast(*args, 0.5), forecast.smoothing_forecast(*args, 0.95)
    assert (wide.upper - wide.lower >= narrow.upper - narrow.lower).all()
    width = wide.upper - wide.quantity
    assert (np.diff(width, axis=0) >= -0.011).all() and (width[-1] > width[0]).all()


def test_accuracy_formulas():
    mape, acc, bias = forecast.accuracy(np.array([3.0, 1.5, 0.0, 9.0]), np.array([2, 0, 0, 3]))
    assert mape[0] == 50.0 and acc[0] == 50.0 and np.isnan(mape[1:3]).all() and np.isnan(acc[1:3]).all()
    assert mape[3] == 200.0 and acc[3] == 0.0
    assert bias.tolist() == [1.0, 1.5, 0.0, 6.0]
