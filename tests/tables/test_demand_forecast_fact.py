"""gold_demand_forecast_fact from the tiny run's walk (no Spark); the model itself: tests/model/simulation/test_forecast.py."""

from __future__ import annotations

import datetime as dt

import numpy as np

from retail_synth.model.simulation import forecast
from retail_synth.spec.ids import date_keys
from retail_synth.tables import demand_forecast_fact, sales_fact
from retail_synth.tables.keys import sim_dates
from tests.support.simulated_worlds import tiny_block, tiny_dimensions
from tests.tables.tiny_tables import tiny_table


def forecasts(*assignments: str):
    return tiny_table(demand_forecast_fact.TABLE, *assignments).to_pandas()


def test_one_row_per_position_and_window_day_made_the_day_before():
    config, _ = tiny_dimensions()
    world, block = tiny_block()
    fc = forecasts()
    days = min(config.forecast.forecast_days, world.horizon_days)
    assert len(fc) == block.n_positions * days
    assert fc.forecast_id.is_unique
    window = date_keys(sim_dates(world.days, np.arange(world.n_days - days, world.n_days)))
    assert sorted(fc.date_key.unique()) == window.tolist()
    first = dt.datetime.strptime(str(window[0]), "%Y%m%d").date()
    assert set(fc.forecast_date) == {first - dt.timedelta(days=1)}
    assert (fc.model_type == forecast.MODEL_TYPE).all() and (fc.model_version == config.forecast.model_version).all()


def test_a_window_longer_than_the_horizon_covers_the_whole_horizon():
    config, _ = tiny_dimensions("forecast.forecast_days=100")
    world, block = tiny_block("forecast.forecast_days=100")
    fc = forecasts("forecast.forecast_days=100")
    assert len(fc) == block.n_positions * world.horizon_days
    assert set(fc.forecast_date) == {config.start_date - dt.timedelta(days=1)}
    assert fc.forecast_quantity.sum() > 0                          # learnt from the warm-up days


def test_actuals_are_the_sales_table_of_the_window():
    fc, sales = forecasts(), tiny_table(sales_fact.TABLE).to_pandas()
    keys = ["product_key", "location_key", "date_key"]
    window_sales = sales[sales.date_key >= fc.date_key.min()]
    sold = window_sales.groupby(keys)[["quantity_sold", "net_sales_amount"]].sum()
    merged = fc.set_index(keys).join(sold).fillna({"quantity_sold": 0, "net_sales_amount": 0.0})
    assert (merged.actual_quantity == merged.quantity_sold).all()
    assert np.allclose(merged.actual_revenue, merged.net_sales_amount, atol=0.006)
    assert fc.actual_quantity.sum() == window_sales.quantity_sold.sum() > 0


def test_demand_counts_sale_lines_and_lost_attempts():
    world, block = tiny_block()
    fc = forecasts()
    assert (fc.actual_demand_quantity >= fc.actual_quantity).all()
    assert (fc.actual_demand_quantity > fc.actual_quantity).any()
    window = world.n_days - fc.date_key.nunique()
    lost = block.lost_quantity[block.lost_day + world.warmup_days >= window].sum()
    requested = block.sales["quantity_requested"][block.sales["day"] >= window].sum()
    assert fc.actual_demand_quantity.sum() == requested + lost
    # per product and day the demand equals the history series of the model (first-node attribution)
    rows = block.requested[-fc.date_key.nunique():].reshape(fc.date_key.nunique(), -1, world.n_locations).sum(axis=2)
    per_product_day = fc.groupby(["date_key", "product_key"]).actual_demand_quantity.sum().to_numpy()
    assert np.array_equal(rows.reshape(-1), per_product_day)


def test_accuracy_columns_follow_their_formulas_and_bounds_are_ordered():
    fc = forecasts()
    none = fc.actual_quantity == 0
    assert (fc.mape.isna() == none).all() and (fc.forecast_accuracy.isna() == none).all()      # NULL, not NaN
    some = fc[~none]
    assert np.allclose(some.mape, 100 * (some.forecast_quantity - some.actual_quantity).abs() / some.actual_quantity, atol=0.01)
    assert np.allclose(some.forecast_accuracy, np.maximum(0, 100 - some.mape), atol=0.01)
    assert np.allclose(fc.bias, fc.forecast_quantity - fc.actual_quantity, atol=0.01)
    assert ((fc.confidence_lower_bound >= 0) & (fc.confidence_lower_bound <= fc.forecast_quantity)
            & (fc.forecast_quantity <= fc.confidence_upper_bound)).all()
    assert ((fc.confidence_level > 0) & (fc.confidence_level < 1)).all()
    assert (fc.forecast_revenue >= 0).all() and (fc.forecast_revenue[fc.forecast_quantity > 0] > 0).all()
    assert 0.5 < fc.forecast_quantity.sum() / fc.actual_demand_quantity.sum() < 2      # roughly unbiased
