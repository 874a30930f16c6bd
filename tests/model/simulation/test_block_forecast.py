"""A walked block's forecast cells beside its actuals (the table: tests/tables/test_demand_forecast_fact.py)."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.block_forecast import block_forecast
from retail_synth.model.simulation.pricing import sale_amounts
from retail_synth.tables.views import ForecastView
from tests.support.simulated_worlds import tiny_block


def test_cells_are_day_major_and_actuals_are_the_blocks_sales():
    world, block = tiny_block()
    fc = block_forecast(ForecastView.of(world).forecast, block)
    assert fc is not None
    days = min(world.config.forecast.forecast_days, world.horizon_days)
    made = world.n_days - days - 1
    assert len(fc.day) == days * block.n_positions and (fc.forecast_day == made).all()
    assert np.array_equal(fc.day, np.repeat(np.arange(made + 1, world.n_days), block.n_positions))
    s = block.sales
    window = s["day"] > made
    assert fc.actual.sum() == s["quantity_sold"][window].sum() > 0
    assert (fc.demand >= fc.actual).all()
    assert (fc.lower <= fc.quantity).all() and (fc.quantity <= fc.upper).all()
    product = block.position_product[fc.position]
    assert np.allclose(fc.revenue, sale_amounts(world, product, fc.day, fc.quantity)[2])
    assert np.isnan(fc.mape[fc.actual == 0]).all() and not np.isnan(fc.mape[fc.actual > 0]).any()
