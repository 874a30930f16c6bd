"""The simulation core without Spark: allocation, replenishment, returns, episodes, fact batches, calibration."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from components import hashing
from components.configuration import resolve
from components.contracts import arrow_schema
from components.simulation import fact_batches as fb
from components.simulation.allocation import allocate_requests, serve
from components.simulation.episodes import stockout_runs
from components.simulation.walk import simulate_block
from tests.simulated_worlds import tiny_block, tiny_world

ETL = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
BATCHES = {
    "gold_sales_fact": fb.sales_batches,
    "gold_inventory_fact": fb.inventory_batches,
    "gold_inventory_movement_fact": fb.movement_batches,
    "gold_stockout_events": fb.stockout_event_batches,
}


def fact_table(world, table: str, blocks, batch_rows: int = 500) -> pa.Table:
    batches = [b for lo, hi in blocks for b in BATCHES[table](world, lo, hi, ETL, batch_rows)]
    return pa.Table.from_batches(batches, schema=arrow_schema(table))


def positions_of(world, result, product, location):
    return (np.asarray(product) - result.product_lo) * world.n_locations + np.asarray(location)


# ---------------------------------------------------------------- allocation (SalesValidator)

def test_requests_are_served_in_priority_order_not_input_order():
    sold, inv = allocate_requests(
        position=np.array([0, 0, 0]), requested=np.array([2, 1, 2]), priority=np.array([0.9, 0.1, 0.5]), available=np.array([4])
    )
    # priority order: request 1 (gets 1 of 4), request 2 (2 of 3), request 0 (1 of 1: partial)
    assert sold.tolist() == [1, 1, 2]
    assert inv.tolist() == [1, 4, 3]


def test_partial_fill_and_lost_attempt():
    sold, inv = allocate_requests(np.array([0, 0, 0, 1]), np.array([3, 2, 1, 1]), np.array([0.1, 0.2, 0.3, 0.1]), np.array([4, 0]))
    assert sold.tolist() == [3, 1, 0, 0]          # second request partly filled, then nothing left
    assert inv.tolist() == [4, 1, 0, 0]
    assert (sold <= inv).all()


def test_random_order_is_fair_when_stock_is_short():
    """Four requests compete for one unit; over many seeds each wins about a quarter of the time."""
    wins = np.zeros(4, dtype=int)
    for seed in range(2000):
        priority = hashing.uniform(seed, "test.priority", np.arange(4))
        sold, _ = allocate_requests(np.zeros(4, dtype=int), np.ones(4, dtype=int), priority, np.array([1]))
        assert sold.sum() == 1
        wins += sold
    assert np.all(np.abs(wins - 500) < 75), wins


def test_digital_fallback_retries_complete_failures_only():
    # positions: node A = 0, node B = 1, node C = 2
    positions = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2]])
    requested = np.array([2, 2, 2])
    priority = np.array([0.1, 0.2, 0.3])
    stock = np.array([1, 1, 0])
    sold, inv, served = serve(positions, requested, priority, stock)
    assert sold.tolist() == [1, 1, 0]               # partial at A; complete failure retried, partial at B; then nothing
    assert served.tolist() == [0, 1, 0]             # the total failure stays attributed to the first node
    assert inv.tolist() == [1, 1, 0]
    assert stock.tolist() == [0, 0, 0]


# ---------------------------------------------------------------- the walk of a tiny world

def test_no_oversell_and_no_negative_stock():
    world, r = tiny_block()
    s = r.sales
    assert (r.on_hand >= 0).all()
    assert (s["quantity_sold"] >= 1).all()
    assert (s["quantity_sold"] <= s["quantity_requested"]).all()
    assert (s["quantity_sold"] <= s["inventory_at_purchase"]).all()
    short = s["quantity_sold"] < s["quantity_requested"]
    assert (s["inventory_at_purchase"][short] == s["quantity_sold"][short]).all()


def test_flow_identity_of_the_arrays():
    world, r = tiny_block()
    s = r.sales
    sold = np.zeros_like(r.on_hand, dtype=np.int64)
    pos = positions_of(world, r, s["product"], s["location"])
    np.add.at(sold, (s["day"] - r.warmup_days, pos), s["quantity_sold"])
    previous = np.vstack([r.opening[None, :], r.on_hand[:-1]]).astype(np.int64)
    assert np.array_equal(r.on_hand, previous - sold + r.restocked + r.receipts)


def test_replenishment_arrives_exactly_after_its_lead_time():
    """In transit at the end of a day is exactly what arrives within the next lead-time days."""
    world, r = tiny_block()
    for h in range(r.horizon_days):
        d = r.warmup_days + h
        due = np.array([r.arrivals[d + 1:d + 1 + lead, p].sum() for p, lead in enumerate(r.lead_time)])
        assert np.array_equal(r.in_transit[h], due)
    assert r.receipts.sum() > 0


def test_returns_restock_on_the_right_day_at_the_selling_location():
    world, r = tiny_block()
    s = r.sales
    assert (s["restock_day"][s["is_return"]] - s["day"][s["is_return"]]).min() >= 1
    assert (s["restock_day"][s["is_return"]] - s["day"][s["is_return"]]).max() <= 3
    assert not s["is_exchange"][~s["is_return"]].any()
    expected = np.zeros_like(r.restocked, dtype=np.int64)
    back = s["is_return"] & (s["restock_day"] < world.n_days)
    pos = positions_of(world, r, s["product"][back], s["location"][back])
    np.add.at(expected, (s["restock_day"][back] - r.warmup_days, pos), s["quantity_sold"][back])
    assert expected.sum() > 0
    assert np.array_equal(r.restocked, expected)


def test_restock_date_keys_are_real_dates_after_the_sale():
    world, _ = tiny_block()
    sales = fact_table(world, "gold_sales_fact", [(0, world.n_products)]).to_pandas()
    returned = sales[sales.is_return]
    assert len(returned) > 0
    sold_on = pd_dates(returned.date_key)
    restocked_on = pd_dates(returned.return_restocked_date_key)
    assert ((restocked_on - sold_on).dt.days.between(1, 3)).all()
    assert sales.return_restocked_date_key[~sales.is_return].isna().all()


def pd_dates(keys):
    import pandas as pd

    return pd.to_datetime(keys.astype(int).astype(str), format="%Y%m%d")


def test_stockout_episodes_are_the_runs_of_the_inventory_rows():
    world, _ = tiny_block()
    inv = fact_table(world, "gold_inventory_fact", [(0, world.n_products)]).to_pandas()
    events = fact_table(world, "gold_stockout_events", [(0, world.n_products)]).to_pandas()
    inv = inv.sort_values(["product_key", "location_key", "date_key"])
    days = sorted(inv.date_key.unique())
    runs = set()
    for (pk, lk), group in inv.groupby(["product_key", "location_key"]):
        flags = group.is_stockout.to_numpy()
        assert np.array_equal(group.stockout_duration_days.to_numpy(), _run_lengths(flags))
        _, starts, ends = stockout_runs(flags[:, None])
        for a, b in zip(starts, ends):
            runs.add((pk, lk, days[a], None if b == len(days) - 1 else days[b], b - a + 1))
    got = {
        (e.product_key, e.location_key, e.stockout_start_date_key,
         None if np.isnan(e.stockout_end_date_key) else int(e.stockout_end_date_key), e.stockout_duration_days)
        for e in events.itertuples()
    }
    assert got == runs
    assert events.stockout_end_date_key.isna().sum() > 0          # open episodes are kept
    assert events.stockout_id.is_unique


def _run_lengths(flags):
    out, run = [], 0
    for f in flags:
        run = run + 1 if f else 0
        out.append(run)
    return np.array(out)


def test_lost_sales_are_counted_from_the_requests():
    world, r = tiny_block()
    events = fact_table(world, "gold_stockout_events", [(0, world.n_products)]).to_pandas()
    assert events.lost_sales_attempts.sum() == len(r.lost_quantity) > 0
    assert events.lost_sales_quantity.sum() == r.lost_quantity.sum()
    assert (events.lost_sales_quantity >= events.lost_sales_attempts).all()
    assert (events.lost_sales_quantity <= 3 * events.lost_sales_attempts).all()
    assert ((events.lost_sales_attempts > 0) | (events.lost_sales_revenue == 0)).all()


def test_movements_reproduce_the_inventory_flow():
    world, _ = tiny_block()
    inv = fact_table(world, "gold_inventory_fact", [(0, world.n_products)]).to_pandas()
    mov = fact_table(world, "gold_inventory_movement_fact", [(0, world.n_products)]).to_pandas()
    assert (mov.quantity > 0).all() and mov.movement_id.is_unique
    assert set(mov.movement_type) == {"adjustment", "receipt", "sale", "return"}
    opening = mov[mov.movement_type == "adjustment"]
    assert (opening.date_key == inv.date_key.min()).all()
    assert not opening.duplicated(["product_key", "to_location_key"]).any()
    location = mov.to_location_key.fillna(mov.from_location_key).astype(int)
    signed = np.where(mov.movement_type == "sale", -mov.quantity, mov.quantity)
    net = (
        mov.assign(location_key=location, signed=signed)
        .groupby(["product_key", "location_key", "date_key"]).signed.sum()
    )
    inv = inv.sort_values(["product_key", "location_key", "date_key"]).set_index(["product_key", "location_key", "date_key"])
    inv["net"] = net.reindex(inv.index, fill_value=0)
    cumulative = inv.groupby(level=[0, 1]).net.cumsum()
    assert (cumulative == inv.quantity_on_hand).all()
    sales = fact_table(world, "gold_sales_fact", [(0, world.n_products)]).to_pandas()
    assert set(mov[mov.movement_type == "sale"].reference_id) == set(sales.line_item_id)


def test_inventory_rows_cover_the_horizon_only_and_follow_their_rules():
    world, _ = tiny_block()
    config = resolve(preset="tiny")
    inv = fact_table(world, "gold_inventory_fact", [(0, world.n_products)]).to_pandas()
    assert len(inv) == world.n_products * world.n_locations * world.horizon_days
    assert inv.date_key.min() == int(config["start_date"].strftime("%Y%m%d"))
    assert inv.date_key.max() == int(config["end_date"].strftime("%Y%m%d"))
    assert (inv.is_stockout == (inv.quantity_available == 0)).all()
    assert ((inv.quantity_in_transit > 0) == inv.next_replenishment_date.notna()).all()
    assert (inv.reorder_point >= 0).all() and (inv.reorder_quantity >= 1).all()
    dates = pd_dates(inv.date_key)
    nxt = inv.next_replenishment_date.notna()
    assert (inv.next_replenishment_date[nxt].astype("datetime64[ns]") > dates[nxt]).all()
    last = inv.last_replenishment_date.notna()
    assert (inv.last_replenishment_date[last].astype("datetime64[ns]") <= dates[last]).all()


def test_sales_are_written_for_the_horizon_with_consistent_amounts():
    world, _ = tiny_block()
    config = resolve(preset="tiny")
    sales = fact_table(world, "gold_sales_fact", [(0, world.n_products)]).to_pandas()
    assert sales.line_item_id.is_unique
    assert sales.date_key.min() >= int(config["start_date"].strftime("%Y%m%d"))
    gross = sales.quantity_sold * sales.unit_price
    assert np.allclose(sales.net_sales_amount, gross - sales.discount_amount, atol=0.011)
    assert (sales.is_inventory_constrained == (sales.quantity_sold < sales.quantity_requested)).all()
    store = sales.source_system == "POS"
    assert sales.pos_terminal_id[store].notna().all() and sales.pos_terminal_id[~store].isna().all()
    assert (sales.fulfillment_type[store] == "in_store").all()
    assert set(sales.fulfillment_type[~store]) <= {"ship_from_warehouse", "ship_from_dc"}
    assert sales.line_item_id.str.match(r"^TXN-\d{8}-\d{7}-\d{2}$").all()
    assert (sales.line_item_id.str[:20] == sales.transaction_id).all()


def test_block_boundaries_do_not_change_any_row():
    world, _ = tiny_block()
    n = world.n_products
    for table in BATCHES:
        whole = fact_table(world, table, [(0, n)])
        split = fact_table(world, table, [(0, 7), (7, 31), (31, n)], batch_rows=333)
        keys = [(c, "ascending") for c in whole.column_names]
        assert whole.sort_by(keys).equals(split.sort_by(keys)), table


def test_batches_match_the_contract_and_the_size_limit():
    world, _ = tiny_block()
    for table, emit in BATCHES.items():
        batches = list(emit(world, 0, 20, ETL, 250))
        assert batches, table
        for batch in batches:
            assert batch.schema.equals(arrow_schema(table)), table
            assert 0 < batch.num_rows <= 250


def test_simulation_is_deterministic():
    world = tiny_world()
    a, b = simulate_block(world, 5, 25), simulate_block(world, 5, 25)
    assert np.array_equal(a.on_hand, b.on_hand)
    assert all(np.array_equal(a.sales[k], b.sales[k]) for k in a.sales)


# ---------------------------------------------------------------- demand and calibration

def test_orders_scale_with_the_number_of_customers():
    few = tiny_world("customers.customer_count=500").orders_per_day.sum()
    many = tiny_world("customers.customer_count=1000").orders_per_day.sum()
    assert 1.8 < many / few < 2.2


def test_stockout_rate_of_a_tiny_world_is_retail_like():
    world, r = tiny_block()
    assert 0.05 <= r.is_stockout.mean() <= 0.10


@pytest.mark.parametrize("low, high", [(0.04, 0.11)])
def test_the_target_moves_the_stockout_rate(low, high):
    assignments = ("customers.customer_count=3000",)
    rate = {}
    for target in (low, high):
        world = tiny_world(*assignments, f"inventory.target_stockout_rate={target}")
        rate[target] = simulate_block(world, 0, world.n_products).is_stockout.mean()
    assert rate[low] < rate[high]
    assert abs(rate[low] - low) < 0.025 and abs(rate[high] - high) < 0.03
