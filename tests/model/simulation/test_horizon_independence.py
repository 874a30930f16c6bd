"""Horizon independence: where end_date ends a run does not change what happens before it.

For every scenario, tiny (30 days, plan_days 30) and tiny cut at 20 days
(end_date earlier, the same plan_days) agree on everything of their 20
common days: the dimension rows, every World array, and the walk's daily
series, sale lines, lost attempts and anomalies, and the forecast. This is
what lets a run be extended: days 1..20 then 21..30 must be days 1..30.
The same holds when the plan is the shorter run's 20 days and the longer run
goes past it (a fixed window for the controller gain, a calendar long enough).
"""

import dataclasses
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from retail_synth.model.dimensions.run_dimensions import build_dimensions
from retail_synth.model.simulation.block_forecast import block_forecast
from retail_synth.model.simulation.replenishment import block_policy
from retail_synth.model.simulation.walk import SERIES, simulate_block
from retail_synth.model.simulation.world import build_world
from retail_synth.spec.configuration import resolve, scenario_names
from retail_synth.spec.ids import VERSION_KEY_STRIDE
from retail_synth.tables.views import ForecastView
from tests.support.simulated_worlds import ETL_TIMESTAMP

CUT_END_DATE = "2024-12-04"         # tiny ends 2024-12-14: 20 of its 30 days
PER_SIMULATED_DAY = {"orders_per_day"}
PER_CALENDAR_DAY = {"days", "date_key", "is_weekend", "is_holiday", "is_peak_season", "is_sale_period", "seasonality",
                    "demand_index", "active_mass"}       # the calendar runs past the plan when the run does
LIFTS = ("lift_day", "lift_product", "lift_orders", "lift_first_order")
RUN_LENGTH = {"horizon_days", "config"}


@lru_cache(maxsize=2)
def walked(scenario: str, *assignments: str):
    """(config, dimensions, World, the whole catalogue walked as one block) of tiny under `scenario`."""
    config = resolve(preset="tiny", scenario=scenario, assignments=list(assignments))
    dims = build_dimensions(config, ETL_TIMESTAMP)
    world = build_world(config, dims, config.seed)
    return config, dims, world, simulate_block(world, 0, world.n_products)


CASES = [(scenario, ()) for scenario in scenario_names()] + [
    (scenario, ("plan_days=20",)) for scenario in ("normal-ops", "anomaly-heavy")]       # the 30-day run outlasts its plan


@pytest.fixture(scope="module", params=CASES, ids=lambda case: "-".join((case[0], *case[1])))
def runs(request):
    """(the 20-day cut, the 30-day run) of one scenario and plan."""
    scenario, plan = request.param
    return walked(scenario, f"end_date={CUT_END_DATE}", *plan), walked(scenario, *plan)


def test_the_cut_is_shorter_with_the_same_plan(runs):
    (short, *_), (full, *_) = runs
    assert (short.horizon_days, full.horizon_days) == (20, 30)
    assert short.plan_days == full.plan_days in (20, 30)


def test_dimension_rows_of_the_common_days_are_equal(runs):
    (short, short_dims, *_), (_, full_dims, *_) = runs
    for table in short_dims:
        a, b = short_dims[table], full_dims[table]
        if table == "gold_date_dim":        # the short one ends earlier: its rows are the first of the long one
            b = b.filter(pc.is_in(b["date_key"], a["date_key"]))
            assert a.num_rows == b.num_rows > 0
        if table == "gold_product_dim":     # is_active is as of each run's last day (false from the day after end of life)
            eol = a["end_of_life_date"].to_numpy(zero_copy_only=False)
            assert np.array_equal(a["is_active"].to_numpy(), np.isnat(eol) | (eol >= np.datetime64(short.end_date)))
            a, b = a.drop_columns(["is_active"]), b.drop_columns(["is_active"])
        if table == "gold_customer_dim":    # the short run's versions are the long one's that start by its end
                                            # (and the first versions of customers acquired after it),
            end = pa.scalar(short.end_date, pa.date32())     # open where the long run's next one starts after it
            b = b.filter(pc.or_(pc.less_equal(b["effective_date"], end), pc.less(b["customer_key"], VERSION_KEY_STRIDE)))
            open_then = pc.fill_null(pc.greater_equal(b["expiration_date"], end), True)
            assert a["is_current"].to_pylist() == open_then.to_pylist()
            assert a["expiration_date"].to_pylist() == pc.if_else(open_then, None, b["expiration_date"]).to_pylist()
            a, b = (t.drop_columns(["expiration_date", "is_current"]) for t in (a, b))
        assert a.equals(b), table


def test_world_arrays_are_equal_on_the_common_days(runs):
    (*_, short, _), (*_, full, _) = runs
    n = short.n_days
    for field in (f.name for f in dataclasses.fields(short)):
        a, b = getattr(short, field), getattr(full, field)
        if field in RUN_LENGTH or field in LIFTS:
            continue
        if field in PER_SIMULATED_DAY:
            assert np.array_equal(a, b[:n]), field
        elif field in PER_CALENDAR_DAY:
            assert len(a) <= len(b) and np.array_equal(a, b[:len(a)]), field
        elif field == "customer_versions":          # the long run's versions that start in the short run's days
            starts = (b.lookup & 0xFFFFFFFF) - 1
            kept = starts < n
            for part in ("lookup", "key", "home"):
                assert np.array_equal(getattr(a, part), getattr(b, part)[kept]), part
        elif field == "disruptions":
            for part in (p.name for p in dataclasses.fields(a)):
                x, y = getattr(a, part), getattr(b, part)
                if isinstance(x, np.ndarray) and x.ndim == 2:       # [product, plan cycle]: the longer run has more
                    assert x.shape[1] <= y.shape[1] and np.array_equal(x, y[:, :x.shape[1]]), part
                else:
                    assert np.array_equal(x, y) or x == y, part
        elif isinstance(a, np.ndarray):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field
        else:
            assert a == b, field
    common = full.lift_day < n
    for field in LIFTS:
        assert np.array_equal(getattr(short, field), getattr(full, field)[common]), field


def test_the_replenishment_policy_is_equal_on_the_common_days(runs):
    (*_, short, _), (*_, full, _) = runs
    a, b = block_policy(short, 0, short.n_products), block_policy(full, 0, full.n_products)
    for field in (f.name for f in dataclasses.fields(a)):
        x, y = getattr(a, field), getattr(b, field)
        if field in ("lead_rate", "review_index"):        # one row per simulated day
            y = y[:len(x)]
        assert np.array_equal(x, y), field


def test_the_walk_is_equal_on_the_common_days(runs):
    (*_, world, short), (*_, _, full) = runs
    h, n = short.horizon_days, world.n_days
    for name in SERIES:
        a, b = getattr(short, name), getattr(full, name)
        rows = {"arrivals": n, "requested": len(a)}.get(name, h)     # requested starts 27 days before the horizon
        assert np.array_equal(a[:rows], b[:rows]), name
    assert np.array_equal(short.opening, full.opening)
    on_common = full.sales["day"] < n
    assert len(short.sales["day"]) == on_common.sum() > 0
    for key, values in short.sales.items():
        assert np.array_equal(values, full.sales[key][on_common]), key
    lost = full.lost_day < h
    for name in ("lost_position", "lost_day", "lost_quantity", "lost_revenue"):
        assert np.array_equal(getattr(short, name), getattr(full, name)[lost]), name
    for events, day in (("shrinkage", "day"), ("late_receipts", "due_day")):
        a, b = getattr(short, events), getattr(full, events)
        for key in a:
            assert np.array_equal(a[key], b[key][b[day] < n]), f"{events}.{key}"


def test_the_forecast_is_equal_on_the_common_days(runs):
    (*_, world, short), (*_, full_world, full) = runs
    a = block_forecast(ForecastView.of(world).forecast, short)
    b = block_forecast(ForecastView.of(full_world).forecast, full)
    common = b.day < world.n_days
    assert 0 < len(a.day) == common.sum() <= len(b.day)
    for field in ("forecast_day", "day", "position", "quantity", "lower", "upper", "revenue", "actual", "actual_revenue",
                  "demand"):
        assert np.array_equal(getattr(a, field), getattr(b, field)[common]), field


def test_a_run_that_ends_before_the_forecast_window_forecasts_nothing():
    config, _, world, block = walked("normal-ops", "end_date=2024-11-15")
    assert (config.horizon_days, config.plan_days) == (1, 30)
    assert block_forecast(ForecastView.of(world).forecast, block) is None
