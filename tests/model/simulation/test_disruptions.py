"""Scenarios and anomalies inside the walk, without Spark: each does what its label says, and every invariant holds."""

from __future__ import annotations

import numpy as np
import pytest

from retail_synth.spec.configuration import resolve, scenario_names
from retail_synth.spec.ids import first_versions
from retail_synth.tables.anomaly_label import labels
from tests.support.simulated_worlds import (
    ANOMALY_HEAVY,
    tiny_block,
    tiny_dimensions,
    tiny_world,
    walked_in_blocks,
)


def stock_flow_holds(result) -> bool:
    """on_hand(d) = on_hand(d-1) + receipts + restocks - sold - written off, every day and position."""
    sold = np.zeros_like(result.on_hand, dtype=np.int64)
    s = result.sales
    position = (s["product"] - result.product_lo) * result.n_locations + s["location"]
    np.add.at(sold, (s["day"] - result.warmup_days, position), s["quantity_sold"])
    previous = np.vstack([result.opening[None, :], result.on_hand[:-1]])
    flow = previous + result.receipts + result.restocked - sold - result.adjusted
    return np.array_equal(flow, result.on_hand)


@pytest.fixture(scope="module")
def heavy():
    return tiny_block(*ANOMALY_HEAVY)


def test_normal_ops_injects_nothing():
    world, block = tiny_block()
    assert not block.adjusted.any() and len(block.late_receipts["position"]) == 0
    assert all(len(v) == 0 for v in labels(world.disruptions, block).values())
    assert resolve(preset="tiny").scenario_name == "normal-ops"


def test_every_built_in_scenario_resolves_on_every_preset():
    for preset in ("tiny", "small", "medium", "full"):
        for name in scenario_names():
            assert resolve(preset=preset, scenario=name).scenario_name == name


def test_anomaly_heavy_labels_every_type_and_keeps_the_stock_flow(heavy):
    world, block = heavy
    found = labels(world.disruptions, block)
    assert set(np.unique(found["kind"]).tolist()) == {0, 1, 2, 3, 4}
    assert stock_flow_holds(block)
    assert (block.on_hand >= 0).all()
    assert (block.sales["quantity_sold"] <= block.sales["inventory_at_purchase"]).all()


def test_shrinkage_writes_off_what_the_label_says(heavy):
    world, block = heavy
    shrunk = block.shrinkage
    assert len(shrunk["position"]) > 0
    written = block.adjusted[shrunk["day"] - block.warmup_days, shrunk["position"]]
    assert written.tolist() == shrunk["units"].tolist()
    assert block.adjusted.sum() == shrunk["units"].sum()
    assert (shrunk["units"] >= 1).all() and (shrunk["units"] <= world.config.anomalies.shrinkage_units_max).all()


def test_a_late_receipt_arrives_on_its_arrival_day_not_its_due_day(heavy):
    world, block = heavy
    late = block.late_receipts
    assert len(late["position"]) > 0
    arrived = block.receipts[late["arrival_day"] - block.warmup_days, late["position"]]
    assert (arrived >= late["units"]).all()
    days_late = late["arrival_day"] - late["due_day"]
    a = world.config.anomalies
    assert ((days_late >= a.late_delivery_days_min) & (days_late <= a.late_delivery_days_max)).all()


def test_the_outage_node_receives_and_sells_nothing_in_its_window(heavy):
    world, block = heavy
    plan = world.disruptions
    window = np.arange(plan.outage.first, plan.outage.last + 1) - block.warmup_days
    node = block.position_location == plan.outage_location
    assert plan.outage.days == world.config.scenario.outage_days
    assert block.receipts[np.ix_(window, node)].sum() == 0
    s = block.sales
    assert not (plan.outage.covers(s["day"]) & (s["location"] == plan.outage_location)).any()
    before = np.flatnonzero(block.position_location[block.lost_position] == plan.outage_location)
    assert not plan.outage.covers(block.lost_day[before] + block.warmup_days).any()


def test_digital_orders_fall_back_to_the_other_nodes_during_the_outage():
    _, normal = tiny_block()
    world, outage = tiny_block("scenario.outage_location_id=WH-NWK-001")
    plan = world.disruptions
    digital_in_window = [plan.outage.covers(r.sales["day"]) & r.sales["is_digital"] for r in (normal, outage)]
    # the same customers order; the node's share of digital lines goes elsewhere, not away
    assert digital_in_window[1].sum() >= 0.8 * digital_in_window[0].sum()


def test_price_errors_sell_at_their_factor_of_list_price(heavy):
    world, block = heavy
    plan, s = world.disruptions, block.sales
    erring = plan.price_error(s["product"], s["day"])
    assert erring.any()
    assert np.allclose(1 - s["discount_rate"][erring], plan.price_error_factor_on(s["product"][erring], s["day"][erring]))
    assert not (s["is_promotional"][erring] | s["is_clearance"][erring]).any()


def test_a_demand_spike_adds_orders_of_its_product_inside_its_window():
    world, lifted = tiny_block("anomalies.demand_spike_rate=0.3", "anomalies.demand_spike_factor_min=4",
                               "anomalies.demand_spike_factor_max=4")
    _, normal = tiny_block()
    plan = world.disruptions

    def requests_in_spikes(result):
        """Units requested in the spike windows: served (sales lines) and lost (attempts that got nothing)."""
        s = result.sales
        lost_product = result.position_product[result.lost_position]
        lost_day = result.lost_day + result.warmup_days
        served = plan.spiking(s["product"], s["day"])
        lost = plan.spiking(lost_product, lost_day)
        return int(s["quantity_requested"][served].sum() + result.lost_quantity[lost].sum())

    assert len(world.lift_day) > 0 and (world.lift_first_order >= world.orders_per_day[world.lift_day]).all()
    assert requests_in_spikes(lifted) > 1.5 * requests_in_spikes(normal)


def test_peak_season_brings_at_least_two_and_a_half_times_the_orders_of_normal_ops_on_the_same_day():
    normal, peak = tiny_world(), tiny_world("scenario.peak_demand_factor=3.0")
    on_peak = normal.is_peak_season[:normal.n_days] & (np.arange(normal.n_days) >= normal.warmup_days)
    ratio = peak.orders_per_day[on_peak] / normal.orders_per_day[on_peak]
    assert ratio.max() >= 2.5 and np.median(ratio) > 2.5


def test_customers_acquired_inside_the_horizon_order_only_from_then_on():
    growth = ("scenario.growth_monthly_rate=0.5",)
    _, dims = tiny_dimensions(*growth)
    world, block = tiny_block(*growth)
    acquisition = first_versions(dims["gold_customer_dim"])["acquisition_date"].to_numpy().astype("datetime64[D]")
    acquired = (acquisition - world.days[0]).astype(int)
    assert (acquired >= world.warmup_days).sum() > 0
    assert (acquired[block.sales["customer"]] <= block.sales["day"]).all()
    assert world.active_mass[world.warmup_days] < world.active_mass[-1] == 1.0


@pytest.mark.parametrize("size", [7, 15])
def test_anomalies_do_not_depend_on_the_block_size(heavy, size):
    world, whole = heavy
    parts = walked_in_blocks(world, size)
    found = [labels(world.disruptions, r) for r in parts]
    merged = {name: np.sort(np.concatenate([f[name] for f in found])) for name in found[0]}
    expected = {name: np.sort(values) for name, values in labels(world.disruptions, whole).items()}
    for name in expected:
        assert np.array_equal(merged[name], expected[name]), name
    assert all(stock_flow_holds(r) for r in parts)
    assert sum(int(r.adjusted.sum()) for r in parts) == int(whole.adjusted.sum())
