"""gold_stockout_events from the tiny run's walk (no Spark)."""

from __future__ import annotations

import numpy as np

from retail_synth.model.simulation.episodes import stockout_runs
from retail_synth.tables import inventory_fact, stockout_events
from tests.support.simulated_worlds import tiny_block
from tests.tables.tiny_tables import tiny_table


def test_episodes_are_the_runs_of_the_inventory_rows():
    inv = tiny_table(inventory_fact.TABLE).to_pandas().sort_values(["product_key", "location_key", "date_key"])
    events = tiny_table(stockout_events.TABLE).to_pandas()
    days = sorted(inv.date_key.unique())
    runs = set()
    for (pk, lk), group in inv.groupby(["product_key", "location_key"]):
        _, starts, ends = stockout_runs(group.is_stockout.to_numpy()[:, None])
        for a, b in zip(starts, ends, strict=True):
            runs.add((pk, lk, days[a], None if b == len(days) - 1 else days[b], b - a + 1))
    got = {
        (e.product_key, e.location_key, e.stockout_start_date_key,
         None if np.isnan(e.stockout_end_date_key) else int(e.stockout_end_date_key), e.stockout_duration_days)
        for e in events.itertuples()
    }
    assert got == runs
    assert events.stockout_end_date_key.isna().sum() > 0          # open episodes are kept
    assert events.stockout_id.is_unique


def test_lost_sales_are_counted_from_the_requests():
    _, block = tiny_block()
    events = tiny_table(stockout_events.TABLE).to_pandas()
    assert events.lost_sales_attempts.sum() == len(block.lost_quantity) > 0
    assert events.lost_sales_quantity.sum() == block.lost_quantity.sum()
    assert (events.lost_sales_quantity >= events.lost_sales_attempts).all()
    assert (events.lost_sales_quantity <= 3 * events.lost_sales_attempts).all()
    assert ((events.lost_sales_attempts > 0) | (events.lost_sales_revenue == 0)).all()
