"""gold_inventory_fact from the tiny run's walk (no Spark)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_synth.spec.configuration import resolve
from retail_synth.tables import inventory_fact
from tests.support.simulated_worlds import ANOMALY_HEAVY, tiny_block
from tests.tables.tiny_tables import formatted, tiny_table


def test_rows_cover_the_horizon_only_and_follow_their_rules():
    world, _ = tiny_block()
    config = resolve(preset="tiny")
    inv = tiny_table(inventory_fact.TABLE).to_pandas()
    assert len(inv) == world.n_products * world.n_locations * world.horizon_days
    assert inv.date_key.min() == int(config.start_date.strftime("%Y%m%d"))
    assert inv.date_key.max() == int(config.end_date.strftime("%Y%m%d"))
    assert (inv.is_stockout == (inv.quantity_available == 0)).all()
    assert (inv.quantity_available == inv.quantity_on_hand).all()
    assert (inv.quantity_reserved == 0).all() and (inv.quantity_damaged == 0).all()
    assert ((inv.quantity_in_transit > 0) == inv.next_replenishment_date.notna()).all()
    assert (inv.reorder_point >= 0).all() and (inv.reorder_quantity >= 1).all()
    assert (inv.days_of_supply.isna() == inv.stock_cover_days.isna()).all()
    dates = pd.to_datetime(inv.date_key.astype(str), format="%Y%m%d")
    nxt = inv.next_replenishment_date.notna()
    assert (inv.next_replenishment_date[nxt].astype("datetime64[ns]") > dates[nxt]).all()
    last = inv.last_replenishment_date.notna()
    assert (inv.last_replenishment_date[last].astype("datetime64[ns]") <= dates[last]).all()


@pytest.mark.parametrize("batch_rows", [7, 59, 333, 1 << 30])
def test_state_carried_across_batches_gives_the_same_rows(batch_rows):
    """Stockout run lengths and last receipt days look back across batch boundaries, anywhere in a day."""
    world, block = tiny_block()
    assert formatted(inventory_fact.TABLE, world, [block], batch_rows).equals(tiny_table(inventory_fact.TABLE))


def test_stockout_duration_counts_the_days_out_of_stock_so_far():
    inv = tiny_table(inventory_fact.TABLE).to_pandas().sort_values(["product_key", "location_key", "date_key"])
    for _, group in inv.groupby(["product_key", "location_key"]):
        run, expected = 0, []
        for out in group.is_stockout:
            run = run + 1 if out else 0
            expected.append(run)
        assert group.stockout_duration_days.tolist() == expected


def next_replenishment_days(world, block, *assignments: str) -> np.ndarray:
    """[horizon day, position] simulation day of next_replenishment_date, -1 where NULL."""
    dates = tiny_table(inventory_fact.TABLE, *assignments).column("next_replenishment_date").to_pandas()
    days = (pd.to_datetime(dates) - pd.Timestamp(world.days[0])).dt.days
    return days.fillna(-1).to_numpy(np.int64).reshape(-1, block.n_positions)


def test_without_holds_the_next_replenishment_is_the_next_receipt():
    """Normal-ops holds nothing back and one lead time per position keeps receipts in order: the day expected
    is the day the next receipt comes (checked where it comes inside the horizon)."""
    world, block = tiny_block()
    expected, receipts, warmup = next_replenishment_days(world, block), block.receipts, block.warmup_days
    day, position = np.nonzero(expected >= 0)
    inside = expected[day, position] - warmup < block.horizon_days
    day, position, due = day[inside], position[inside], expected[day, position][inside] - warmup
    assert len(due) and (receipts[due, position] > 0).all()
    between = np.cumsum(receipts > 0, axis=0)       # receipts on days 0 .. h
    assert (between[due - 1, position] == between[day, position]).all()      # none between the day and the one due


def test_a_receipt_made_late_shows_its_due_date_until_its_due_day():
    """next_replenishment_date reads only what its own day knows: the evening before a receipt is made late,
    the row shows the day it is due, though nothing comes that day; that evening, its new day or an earlier one."""
    world, block = tiny_block(*ANOMALY_HEAVY)
    expected, warmup = next_replenishment_days(world, block, *ANOMALY_HEAVY), block.warmup_days
    late = block.late_receipts
    before = late["due_day"] > warmup                 # the evening before the due day is written
    position, due, arrival = late["position"][before], late["due_day"][before], late["arrival_day"][before]
    assert len(due) and (expected[due - 1 - warmup, position] == due).all()
    assert (block.receipts[due - warmup, position] == 0).any()          # the real next receipt came later
    that_evening = expected[due - warmup, position]
    assert ((that_evening > due) & (that_evening <= arrival)).all()
