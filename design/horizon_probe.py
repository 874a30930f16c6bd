"""Spark-free probe behind design/incremental-runs.md: how much of a run depends on where its horizon ends.

Run: .venv/bin/python design/horizon_probe.py   (about 20 s; reads the code, writes nothing)

Part 1 walks tiny (30 horizon days) and tiny cut at 20 days, each with its own World, and counts the
inventory rows of the 20 common days that differ (today every scenario differs from day 0).
Part 2 keeps the 30-day World (the plan) and only cuts the walk at 20 days: what still differs is
what the walk itself reads of the end (the late-delivery bound, walk.py:381) and what the tables
look up past the end (next_replenishment_date).
"""
import dataclasses
import datetime as dt

import numpy as np

from retail_synth.model.dimensions.run_dimensions import build_dimensions
from retail_synth.model.simulation import walk as W
from retail_synth.model.simulation.walk import simulate_block
from retail_synth.model.simulation.world import build_world
from retail_synth.spec.configuration import resolve

TS = dt.datetime(2025, 1, 1)
SCENARIOS = ["normal-ops", "growth-phase", "supply-disruption", "promotion-shock", "anomaly-heavy", "peak-season"]


def world(scenario, *sets):
    config = resolve(preset="tiny", scenario=scenario, assignments=list(sets))
    return build_world(config, build_dimensions(config, TS), config.seed)


def cut(long_world, horizon):
    """The long World walked only `horizon` days: same plan, shorter walk."""
    short = dataclasses.replace(long_world, horizon_days=horizon)
    n, m = short.n_days, long_world.lift_day < short.n_days
    return dataclasses.replace(short, orders_per_day=long_world.orders_per_day[:n], lift_day=long_world.lift_day[m],
                               lift_product=long_world.lift_product[m], lift_orders=long_world.lift_orders[m],
                               lift_first_order=long_world.lift_first_order[m])


def pinned(method, horizon):
    """`method` of BlockWalk run as if the World's horizon were `horizon` (what a plan_days key would pin)."""
    def run(self, *args):
        saved, self.world.horizon_days = self.world.horizon_days, horizon
        try:
            return method(self, *args)
        finally:
            self.world.horizon_days = saved
    return run


def next_receipts(result, day):
    ahead = result.arrivals[day + 1:]
    return np.where(ahead > 0, np.arange(day + 1, day + 1 + len(ahead))[:, None], 10**9).min(axis=0)


print("part 1: own World per horizon (today)")
for scenario in SCENARIOS:
    short, long = world(scenario, "end_date=2024-12-04"), world(scenario, "end_date=2024-12-14")
    a, b = simulate_block(short, 0, short.n_products), simulate_block(long, 0, long.n_products)
    h = a.horizon_days
    print(f"  {scenario:18s} inventory rows differing on the common days: {np.mean(a.on_hand != b.on_hand[:h]):.3%}")

print("part 2: one World (the 30-day plan), walk cut at 20 days; shrinkage and late bound pinned to 30")
W.BlockWalk._stock_counts = pinned(W.BlockWalk._stock_counts, 30)
for pin_late in (False, True):
    if pin_late:
        W.BlockWalk._hold_back = pinned(W.BlockWalk._hold_back, 30)
    for scenario in SCENARIOS:
        long = world(scenario)
        short = cut(long, 20)
        a, b = simulate_block(short, 0, short.n_products), simulate_block(long, 0, long.n_products)
        h = a.horizon_days
        series = sum(int((getattr(a, s)[:h] != getattr(b, s)[:h]).sum()) for s in ("on_hand", "in_transit", "reorder_point"))
        keep = b.sales["day"] < short.n_days
        sales = all(np.array_equal(a.sales[k], b.sales[k][keep]) for k in ("day", "order", "line", "quantity_sold"))
        nxt = sum(int(((next_receipts(a, d) != next_receipts(b, d)) & (a.in_transit[d - short.warmup_days] > 0)).sum())
                  for d in range(short.n_days - 10, short.n_days))
        print(f"  late bound pinned={pin_late!s:5s} {scenario:18s} series cells differing {series:3d}, sales equal {sales}, "
              f"next receipt differing (last 10 days) {nxt}")
