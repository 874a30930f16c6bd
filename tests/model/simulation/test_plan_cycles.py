"""Plan cycles: a run longer than its plan repeats the recurring anomalies and the forecast every plan_days.

tiny (30 days) with plan_days 12 is 2.5 plan cycles: each product draws one
demand spike and one price error window per cycle, each position one stock
count per cycle, each cycle forecasts its last days, and a late receipt
arrives inside the cycle it was due in. Cycle 0 is what a run within one plan
draws, so a run no longer than its plan keeps the rows it had.
"""

from functools import lru_cache

import numpy as np
import pytest

from retail_synth.model.simulation.block_forecast import block_forecast
from retail_synth.model.simulation.disruptions import NO_DAY
from retail_synth.tables.anomaly_label import labels
from retail_synth.tables.row_estimates import anomaly_count
from retail_synth.tables.views import ForecastView
from tests.support.simulated_worlds import tiny_block, tiny_world

PLAN = 12
ANOMALIES = ("anomalies.shrinkage_rate=0.05", "anomalies.late_delivery_rate=0.05", "anomalies.demand_spike_rate=0.3",
             "anomalies.price_error_rate=0.3", f"plan_days={PLAN}", "forecast.forecast_days=8")
ONE_CYCLE = "end_date=2024-11-26"            # tiny's first 12 days: one plan


@lru_cache(maxsize=1)
def cycled():
    return tiny_block(*ANOMALIES)


def cycle_of(world, day):
    return (np.asarray(day) - world.warmup_days) // PLAN


@pytest.mark.parametrize("window", ["spike", "price_error"])
def test_each_product_has_at_most_one_window_per_cycle_inside_it(window):
    world, _ = cycled()
    plan = world.disruptions
    first, last = getattr(plan, f"{window}_first"), getattr(plan, f"{window}_last")
    assert world.horizon_days == 30 and plan.cycles == first.shape[1] == 3
    product, cycle = np.nonzero(first != NO_DAY)
    start, end = first[product, cycle], last[product, cycle]
    assert (cycle_of(world, start) == cycle).all() and (cycle_of(world, end) == cycle).all()
    assert set(cycle) == {0, 1, 2}                                  # every cycle draws its own windows
    chosen = first != NO_DAY
    assert not np.array_equal(chosen[:, 0], chosen[:, 1])


def test_cycle_zero_is_what_a_run_within_one_plan_draws():
    long, short = tiny_world(*ANOMALIES).disruptions, tiny_world(*ANOMALIES, ONE_CYCLE).disruptions
    assert short.cycles == 1
    for name in ("spike_first", "spike_last", "spike_factor", "price_error_first", "price_error_last",
                 "price_error_factor"):
        assert np.array_equal(getattr(long, name)[:, :1], getattr(short, name)), name
    _, one = tiny_block(*ANOMALIES, ONE_CYCLE)
    world, block = cycled()
    in_first = block.shrinkage["day"] < world.warmup_days + PLAN
    assert np.array_equal(block.shrinkage["position"][in_first], one.shrinkage["position"])


def test_each_position_counts_stock_at_most_once_per_cycle():
    world, block = cycled()
    position, day = block.shrinkage["position"], block.shrinkage["day"]
    cycle = cycle_of(world, day)
    assert set(cycle) == {0, 1, 2}
    assert len(set(zip(position.tolist(), cycle.tolist(), strict=True))) == len(position) > 0


def test_a_late_receipt_arrives_inside_the_cycle_it_was_due_in():
    world, block = cycled()
    late = block.late_receipts
    assert len(late["due_day"]) > 0 and len(set(cycle_of(world, late["due_day"]))) > 1
    assert (cycle_of(world, late["arrival_day"]) == cycle_of(world, late["due_day"])).all()


def test_labels_hold_one_row_per_window_that_ends_in_the_run():
    world, block = cycled()
    plan = world.disruptions
    found = labels(plan, block)
    for kind, first, last in ((2, plan.spike_first, plan.spike_last), (3, plan.price_error_first, plan.price_error_last)):
        rows = found["kind"] == kind
        ended = (first != NO_DAY) & (last < world.n_days)
        assert rows.sum() == ended.sum() > 0
        assert set(cycle_of(world, found["start"][rows])) == set(np.nonzero(ended)[1])
    # a 7-day spike of the third cycle cannot end in its 6 days the run reaches: drawn, not yet labelled
    assert (plan.spike_first[:, 2] != NO_DAY).any() and not ((plan.spike_first[:, 2] != NO_DAY)
                                                             & (plan.spike_last[:, 2] < world.n_days)).any()


def test_each_cycle_forecasts_its_last_days_the_day_before():
    world, block = cycled()
    fc = block_forecast(ForecastView.of(world).forecast, block)
    w = world.warmup_days
    # windows: plan days 4..11, 16..23 and 28..29 (the third cycle's window is cut by the run's end)
    expected = np.r_[np.arange(w + 4, w + 12), np.arange(w + 16, w + 24), np.arange(w + 28, w + 30)]
    assert np.array_equal(np.unique(fc.day), expected)
    assert np.array_equal(np.unique(fc.forecast_day), [w + 3, w + 15, w + 27])
    assert (cycle_of(world, fc.forecast_day + 1) == cycle_of(world, fc.day)).all()
    assert len(fc.day) == len(expected) * block.n_positions


@pytest.mark.parametrize("extra", [(), (ONE_CYCLE,)], ids=["2.5 cycles", "one cycle"])
def test_the_label_estimate_counts_every_cycle(extra):
    # the estimate (the output.max_rows guard, --dry-run) must grow with the cycles as the labels do
    world, block = tiny_block(*ANOMALIES, *extra)
    found = len(labels(world.disruptions, block)["kind"])
    assert 0.7 < found / anomaly_count(world.config) < 1.3
