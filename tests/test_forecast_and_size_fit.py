"""gold_demand_forecast_fact and gold_size_fit_bridge without Spark, on the tiny preset."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from components.contracts import arrow_schema
from components.simulation import behaviour_batches as bb
from components.simulation import fact_batches as fb
from components.simulation import forecast
from components.dimensions.products import APPAREL_SIZES, WAIST_SIZES
from components.simulation.world import BOTTOMS_CHART
from tests.simulated_worlds import tiny_block, tiny_dimensions

ETL = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
BATCHES = {
    "gold_demand_forecast_fact": bb.demand_forecast_batches,
    "gold_size_fit_bridge": bb.size_fit_batches,
    "gold_sales_fact": fb.sales_batches,
}


def tiny(*assignments: str):
    """(config, dimensions, world, whole-catalogue block) of the tiny preset."""
    config, dims = tiny_dimensions(*assignments)
    world, block = tiny_block(*assignments)
    return config, dims, world, block


def table_of(world, table: str, blocks, batch_rows: int = 500, result=None) -> pa.Table:
    batches = [b for lo, hi in blocks for b in BATCHES[table](world, lo, hi, ETL, batch_rows, result=result)]
    return pa.Table.from_batches(batches, schema=arrow_schema(table))


@lru_cache(maxsize=4)
def tables(*assignments: str):
    config, dims, world, r = tiny(*assignments)
    whole = [(0, world.n_products)]
    return {name: table_of(world, name, whole, result=r).to_pandas() for name in BATCHES}


# ---------------------------------------------------------------- the forecast model

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


# ---------------------------------------------------------------- gold_demand_forecast_fact

def test_one_row_per_position_and_window_day_made_the_day_before():
    config, _, world, r = tiny()
    fc = tables()["gold_demand_forecast_fact"]
    days = min(config["forecast"]["forecast_days"], world.horizon_days)
    assert len(fc) == r.n_positions * days
    assert fc.forecast_id.is_unique
    window = fb.date_keys(fb.sim_dates(world, np.arange(world.n_days - days, world.n_days)))
    assert sorted(fc.date_key.unique()) == window.tolist()
    first = dt.datetime.strptime(str(window[0]), "%Y%m%d").date()
    assert set(fc.forecast_date) == {first - dt.timedelta(days=1)}
    assert (fc.model_type == forecast.MODEL_TYPE).all() and (fc.model_version == config["forecast"]["model_version"]).all()


def test_a_window_longer_than_the_horizon_covers_the_whole_horizon():
    config, _, world, r = tiny("forecast.forecast_days=100")
    fc = tables("forecast.forecast_days=100")["gold_demand_forecast_fact"]
    assert len(fc) == r.n_positions * world.horizon_days
    assert set(fc.forecast_date) == {config["start_date"] - dt.timedelta(days=1)}
    assert fc.forecast_quantity.sum() > 0                          # learnt from the warm-up days


def test_actuals_are_the_sales_table_of_the_window():
    t = tables()
    fc, sales = t["gold_demand_forecast_fact"], t["gold_sales_fact"]
    keys = ["product_key", "location_key", "date_key"]
    sold = sales[sales.date_key >= fc.date_key.min()].groupby(keys)[["quantity_sold", "net_sales_amount"]].sum()
    merged = fc.set_index(keys).join(sold).fillna({"quantity_sold": 0, "net_sales_amount": 0.0})
    assert (merged.actual_quantity == merged.quantity_sold).all()
    assert np.allclose(merged.actual_revenue, merged.net_sales_amount, atol=0.006)
    assert fc.actual_quantity.sum() == sales[sales.date_key >= fc.date_key.min()].quantity_sold.sum() > 0


def test_demand_counts_sale_lines_and_lost_attempts():
    _, _, world, r = tiny()
    fc = tables()["gold_demand_forecast_fact"]
    assert (fc.actual_demand_quantity >= fc.actual_quantity).all()
    assert (fc.actual_demand_quantity > fc.actual_quantity).any()
    window = world.n_days - fc.date_key.nunique()
    lost = r.lost_quantity[r.lost_day + world.warmup_days >= window].sum()
    requested = r.sales["quantity_requested"][r.sales["day"] >= window].sum()
    assert fc.actual_demand_quantity.sum() == requested + lost
    # per product and day the demand equals the history series of the model (first-node attribution)
    rows = r.requested[-fc.date_key.nunique():].reshape(fc.date_key.nunique(), -1, world.n_locations).sum(axis=2)
    per_product_day = fc.groupby(["date_key", "product_key"]).actual_demand_quantity.sum().to_numpy()
    assert np.array_equal(rows.reshape(-1), per_product_day)


def test_accuracy_columns_follow_their_formulas_and_bounds_are_ordered():
    fc = tables()["gold_demand_forecast_fact"]
    none = fc.actual_quantity == 0
    assert (fc.mape.isna() == none).all() and (fc.forecast_accuracy.isna() == none).all()
    some = fc[~none]
    assert np.allclose(some.mape, 100 * (some.forecast_quantity - some.actual_quantity).abs() / some.actual_quantity, atol=0.01)
    assert np.allclose(some.forecast_accuracy, np.maximum(0, 100 - some.mape), atol=0.01)
    assert np.allclose(fc.bias, fc.forecast_quantity - fc.actual_quantity, atol=0.01)
    assert ((0 <= fc.confidence_lower_bound) & (fc.confidence_lower_bound <= fc.forecast_quantity)
            & (fc.forecast_quantity <= fc.confidence_upper_bound)).all()
    assert ((fc.confidence_level > 0) & (fc.confidence_level < 1)).all()
    assert (fc.forecast_revenue >= 0).all() and (fc.forecast_revenue[fc.forecast_quantity > 0] > 0).all()
    assert 0.5 < fc.forecast_quantity.sum() / fc.actual_demand_quantity.sum() < 2      # roughly unbiased


# ---------------------------------------------------------------- gold_size_fit_bridge

def test_one_row_per_apparel_sale_line_with_its_return_flag():
    _, dims, _, _ = tiny()
    t = tables()
    fit, sales = t["gold_size_fit_bridge"], t["gold_sales_fact"]
    products = dims["gold_product_dim"]
    apparel = set(pc.filter(products["product_key"], pc.equal(products["category_level_1"], "apparel")).to_pylist())
    lines = sales[sales.product_key.isin(apparel)].reset_index(drop=True)
    assert len(fit) == len(lines) > 0
    assert (fit.customer_key.to_numpy() == lines.customer_key.to_numpy()).all()
    assert (fit.product_key.to_numpy() == lines.product_key.to_numpy()).all()
    assert (fit.is_returned.to_numpy() == lines.is_return.to_numpy()).all()
    exchanged = lines.is_exchange.to_numpy()
    assert (fit.kept_size.isna().to_numpy() == (fit.is_returned.to_numpy() & ~exchanged)).all()


def test_sizes_come_from_the_customer_profile_and_fit_is_consistent():
    _, dims, _, _ = tiny()
    fit = tables()["gold_size_fit_bridge"]
    customers = dims["gold_customer_dim"].to_pandas().set_index("customer_key")
    products = dims["gold_product_dim"].to_pandas().set_index("product_key")
    bottoms = (products.category_level_2.loc[fit.product_key] == "bottoms").to_numpy()
    profile = np.where(bottoms, customers.size_profile_bottoms.loc[fit.customer_key], customers.size_profile_tops.loc[fit.customer_key])
    assert (fit.recommended_size.to_numpy() == profile).all()
    assert 0.6 < (fit.ordered_size == fit.recommended_size).mean() < 0.95
    assert fit.fit_description.isin(bb.FITS).all() and fit.fit_score.between(0, 1).all()
    assert (fit.return_reason.notna() == fit.is_returned).all()
    assert (fit.is_returned | (fit.kept_size == fit.ordered_size)).all()
    sized = fit.return_reason.isin(["too_small", "too_large"])
    assert (fit.return_reason[sized] == fit.fit_description[sized]).all()
    assert fit[fit.fit_description == "perfect"].fit_score.min() > fit[fit.fit_description != "perfect"].fit_score.max()


def test_world_sizes_come_from_the_dimensions():
    _, dims, world, _ = tiny()
    products, customers = dims["gold_product_dim"].to_pandas(), dims["gold_customer_dim"].to_pandas()
    apparel = (products.category_level_1 == "apparel").to_numpy()
    assert np.array_equal(world.product_size_chart >= 0, apparel)
    bottoms = (products.category_level_2 == "bottoms").to_numpy()
    assert (world.product_size_chart[bottoms] == BOTTOMS_CHART).all()
    assert [APPAREL_SIZES[i] for i in world.customer_size_tops] == customers.size_profile_tops.tolist()
    assert [WAIST_SIZES[i] for i in world.customer_size_bottoms] == customers.size_profile_bottoms.tolist()


# ---------------------------------------------------------------- both tables

@pytest.mark.parametrize("table", ["gold_demand_forecast_fact", "gold_size_fit_bridge"])
def test_batches_match_the_contract_and_block_boundaries_change_nothing(table):
    _, _, world, _ = tiny()
    n = world.n_products
    batches = list(BATCHES[table](world, 0, n, ETL, 333))
    assert batches and all(b.schema.equals(arrow_schema(table)) and b.num_rows <= 333 for b in batches)
    whole = pa.Table.from_batches(batches, schema=arrow_schema(table))
    split = table_of(world, table, [(0, 7), (7, 31), (31, n)], batch_rows=200)
    order = [(c, "ascending") for c in whole.column_names]        # the bridge has no key: compare sorted rows
    assert whole.sort_by(order).equals(split.sort_by(order))
