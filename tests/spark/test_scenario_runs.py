"""Every scenario file of conf/scenarios run as written, and its promise checked on the Delta tables it writes.

Each run is `resolve(preset="tiny", scenario=<name>)` with no `--set` of a scenario key, written
once per module. Where tiny cannot measure a promise, the test says why: peak-season runs tiny's
30 days a month earlier (tiny lies wholly inside peak season); growth-phase's factor, the 3% of
the catalogue that promotion-shock cuts and anomaly-heavy's rarer anomaly types need the small
preset, run as written (`long`: in `make test-processes`, out of `make test`).
Where validate has a check for a promise, the test runs that check as validate does.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pytest

from retail_synth.checks.validate import PASS, TOO_SMALL, CheckResult, run_sql_check, sql_checks
from retail_synth.spark.delta_tables import SCENARIO_PROPERTY, Target
from retail_synth.spark.generate import run_generation
from retail_synth.spark.run_journal import RunJournal, held_run, run_settings
from retail_synth.spec import hashing
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import all_tables
from retail_synth.spec.run_config import RunConfig

LABEL_CHECKS = ("anomaly_shrinkage_matches_adjustments", "anomaly_late_deliveries_arrive_late",
                "anomaly_price_errors_priced", "anomaly_node_outage_idle", "customers_order_after_acquisition",
                "inventory_flow_identity", "lost_sales_reconciled", "recovery_revenue_matches_orders",
                "stockout_episodes_match_snapshots", "sales_exceeding_stock")
ANOMALY_TYPES = {"shrinkage", "late_delivery", "demand_spike", "price_error", "node_outage"}
# the checks of the labels against the facts; a demand spike's lift is judged on at least 200 expected lines
LABEL_FACT_CHECKS = ("anomaly_shrinkage_matches_adjustments", "anomaly_late_deliveries_arrive_late",
                     "anomaly_price_errors_priced", "anomaly_node_outage_idle")
SPIKE_CHECK = "anomaly_demand_spikes_lift_demand"
# tiny's 30 days (2024-11-15..12-14) are all peak season: the same 30 days a month earlier hold 16 days before it
PEAK_SEASON_DATES = ("start_date=2024-10-16", "end_date=2024-11-14")


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario written to Delta, and the configuration it was written with."""

    target: Target
    config: RunConfig

    def date_key(self, day: int) -> int:
        """yyyymmdd of horizon day `day` (1 = start_date)."""
        return int((self.config.start_date + dt.timedelta(days=day - 1)).strftime("%Y%m%d"))

    def window(self, first_day: int, days: int) -> tuple[int, int]:
        """(first, last) date keys of a scenario window: from horizon day first_day, or centred when it is 0."""
        first = first_day or (self.config.horizon_days - days) // 2 + 1
        return self.date_key(first), self.date_key(min(first + days - 1, self.config.horizon_days))

    def views(self, spark) -> None:
        """Every gold table of the run as a temp view of its name, as validate reads them."""
        for table in all_tables():
            self.target.read(spark, table).createOrReplaceTempView(table)

    def quickstart(self, spark, *names: str) -> dict[str, CheckResult]:
        """validate's quickstart checks `names`, with the bounds of the run's own settings."""
        settings = run_settings(held_run(RunJournal(spark, self.target).runs()))
        self.views(spark)
        checks = [c for c in sql_checks(settings) if c.name.removeprefix("quickstart.") in names]
        assert len(checks) == len(names)
        return {c.name.removeprefix("quickstart."): run_sql_check(spark, c)[0] for c in checks}


def written(spark, tmp_path_factory, scenario: str, *assignments: str, preset: str = "tiny") -> ScenarioRun:
    """`preset` with the scenario file as written (`assignments` only move tiny's dates), written in the shared
    session (small takes minutes: its tests are `long`)."""
    config = resolve(preset=preset, scenario=scenario, assignments=list(assignments))
    target = Target(output_dir=str(tmp_path_factory.mktemp(f"{preset}-{scenario}") / "warehouse"))
    run_generation(config, target, spark)
    assert RunJournal(spark, target).last_complete().scenario == scenario
    return ScenarioRun(target, config)


def rows(spark, sql: str) -> list[dict]:
    return [r.asDict() for r in spark.sql(sql).collect()]


# ---------------------------------------------------------------- the runs

# a test of a scenario run of its own (~11 s each): in make test-processes; make test keeps normal-ops,
# supply-disruption and anomaly-heavy
OWN_SCENARIO_RUN = pytest.mark.long

@pytest.fixture(scope="module")
def growth_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "growth-phase")


@pytest.fixture(scope="module")
def peak_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "peak-season", *PEAK_SEASON_DATES)


@pytest.fixture(scope="module")
def shock_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "promotion-shock")


@pytest.fixture(scope="module")
def disruption_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "supply-disruption")


@pytest.fixture(scope="module")
def anomaly_heavy_file_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "anomaly-heavy")


@pytest.fixture(scope="module")
def small_growth_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "growth-phase", preset="small")


@pytest.fixture(scope="module")
def small_shock_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "promotion-shock", preset="small")


@pytest.fixture(scope="module")
def small_anomaly_heavy_run(spark, tmp_path_factory) -> ScenarioRun:
    return written(spark, tmp_path_factory, "anomaly-heavy", preset="small")


# ---------------------------------------------------------------- normal-ops

def test_the_suites_tiny_run_is_normal_ops_as_written():
    """tiny_run (resolve(preset="tiny", seed=7)) is the normal-ops file run: its tests reuse that run."""
    assert resolve(preset="tiny", seed=7) == resolve(preset="tiny", scenario="normal-ops", seed=7)


def test_normal_ops_labels_nothing_and_keeps_every_invariant(spark, tiny_run, tiny_validation):
    assert held_run(RunJournal(spark, tiny_run).runs()).scenario == "normal-ops"
    assert tiny_run.read(spark, "gold_anomaly_label").count() == 0
    status = {r.check.removeprefix("quickstart."): r.status for r in tiny_validation.results}
    assert [(r.check, r.status) for r in tiny_validation.results if not r.passed] == []
    assert {c: status[c] for c in LABEL_CHECKS} == dict.fromkeys(LABEL_CHECKS, PASS)


# ---------------------------------------------------------------- growth-phase

def growth_orders(spark, run: ScenarioRun) -> dict[bool, tuple[int, int]]:
    """Orders of the first and the last 30 horizon days (scenario_growth_factor's windows), by acquired inside the horizon."""
    start, horizon = run.config.start_date, run.config.horizon_days
    found = rows(spark, f"""
        SELECT c.acquisition_date >= DATE'{start.isoformat()}' AS acquired_inside,
               count(DISTINCT CASE WHEN s.date_key <= {run.date_key(30)} THEN s.transaction_id END) AS first,
               count(DISTINCT CASE WHEN s.date_key >= {run.date_key(horizon - 29)} THEN s.transaction_id END) AS last
        FROM gold_sales_fact AS s JOIN gold_customer_dim AS c ON c.customer_key = s.customer_key
        GROUP BY 1""")
    return {r["acquired_inside"]: (r["first"], r["last"]) for r in found}


@OWN_SCENARIO_RUN
def test_growth_phase_acquires_customers_inside_the_horizon_who_order_only_from_then(spark, growth_run):
    """On tiny's 30 days the base grows by 12% (of a month): 1 - 1/1.12 of the customers join inside the horizon.

    tiny's horizon cannot hold the growth factor's two 30-day windows (TOO_SMALL): the small test measures it.
    """
    results = growth_run.quickstart(spark, "customers_order_after_acquisition", "scenario_growth_factor")
    assert results["customers_order_after_acquisition"].status == PASS
    assert results["scenario_growth_factor"].status == TOO_SMALL
    config = growth_run.config
    joined = rows(spark, f"""
        SELECT count(*) AS customers, count_if(acquisition_date >= DATE'{config.start_date.isoformat()}') AS inside,
               count_if(acquisition_date > DATE'{config.end_date.isoformat()}') AS after
        FROM gold_customer_dim""")[0]
    share = 1 - (1 + config.scenario.growth_monthly_rate) ** (-config.horizon_days / 30)
    expected, sd = joined["customers"] * share, math.sqrt(joined["customers"] * share * (1 - share))
    assert abs(joined["inside"] - expected) <= 4 * sd and joined["after"] == 0
    assert growth_orders(spark, growth_run)[True][1] > 0          # the joiners order (after joining: the check above)


@pytest.mark.long
def test_growth_phase_keeps_its_growth_factor_on_small(spark, small_growth_run):
    """scenario_growth_factor needs 60 horizon days: small (90 days) is the smallest preset that has them.

    small ends in peak season, which lifts the last 30 days by itself: the orders of the customers
    acquired before the horizon give that lift, and growth alone must keep the promise on top of it.
    """
    run, promised = small_growth_run, small_growth_run.config.scenario.promised_growth_factor
    result = run.quickstart(spark, "scenario_growth_factor", "customers_order_after_acquisition")
    assert result["scenario_growth_factor"].status == PASS and result["customers_order_after_acquisition"].status == PASS
    orders = growth_orders(spark, run)
    factor = sum(o[1] for o in orders.values()) / sum(o[0] for o in orders.values())
    assert factor == pytest.approx(result["scenario_growth_factor"].value)
    existing = orders[False][1] / orders[False][0]
    assert factor / existing >= promised


# ---------------------------------------------------------------- peak-season

def fresh_order_lead_days(where: str = "TRUE") -> str:
    """SQL of the orders placed with nothing on order: position, order day and days until its receipt.

    An order raises quantity_in_transit at the end of the day it is placed, and next_replenishment_date
    is then its arrival; with nothing else on order, the gap is that order's lead time.
    """
    return f"""
        WITH days AS (
          SELECT product_key, location_key, date_key, quantity_in_transit, next_replenishment_date,
                 lag(quantity_in_transit) OVER (PARTITION BY product_key, location_key ORDER BY date_key) AS before
          FROM gold_inventory_fact
        )
        SELECT d.product_key, d.location_key, d.date_key, d.quantity_in_transit AS quantity, l.location_type, l.region,
               datediff(d.next_replenishment_date, to_date(cast(d.date_key AS string), 'yyyyMMdd')) AS lead_days
        FROM days AS d JOIN gold_location_dim AS l ON l.location_key = d.location_key
        WHERE d.before = 0 AND d.quantity_in_transit > 0 AND {where}"""


@OWN_SCENARIO_RUN
def test_peak_season_keeps_its_peak_factor(spark, peak_run):
    """Run 30 days earlier than tiny (PEAK_SEASON_DATES): scenario_peak_factor needs a week outside peak season."""
    result = peak_run.quickstart(spark, "scenario_peak_factor")["scenario_peak_factor"]
    assert result.status == PASS and result.value >= peak_run.config.scenario.promised_peak_factor


@OWN_SCENARIO_RUN
def test_peak_season_cuts_promotions_deeper_and_suppliers_take_longer(spark, peak_run):
    inventory = peak_run.config.inventory
    peak_run.views(spark)
    rates = rows(spark, """
        SELECT DISTINCT round(discount_amount / (quantity_sold * unit_price), 2) AS rate
        FROM gold_sales_fact WHERE is_promotional AND NOT is_clearance""")
    assert [r["rate"] for r in rates] == [peak_run.config.pricing.promotion_discount_rate]
    leads = rows(spark, f"""
        SELECT location_type = 'store' AS store, min(lead_days) AS low, max(lead_days) AS high
        FROM ({fresh_order_lead_days()}) GROUP BY 1""")
    ranges = {r["store"]: (r["low"], r["high"]) for r in leads}
    store, node = ranges[True], ranges[False]
    assert inventory.store_lead_time_days_min <= store[0] and store[1] <= inventory.store_lead_time_days_max
    assert inventory.warehouse_lead_time_days_min <= node[0] and node[1] <= inventory.warehouse_lead_time_days_max
    normal = resolve(preset="tiny").inventory
    assert store[1] > normal.store_lead_time_days_max and node[1] > normal.warehouse_lead_time_days_max


# ---------------------------------------------------------------- promotion-shock

def assert_promotion_shock_keeps_its_promise(spark, run: ScenarioRun) -> None:
    """The hashed 3% of products sell at the shock's discount exactly in its window, sell more, and stock out.

    Units sold, not demand: the stockouts the unplanned demand causes cap what sells, so the lift of
    units sold relative to the other products must reach half the demand factor, not all of it.
    """
    scenario = run.config.scenario
    first, last = run.window(scenario.shock_first_day, scenario.shock_days)
    run.views(spark)
    keys = np.array([r["product_key"] for r in rows(spark, "SELECT product_key FROM gold_product_dim")])
    # which products the shock takes: model/simulation/disruptions.py plan_disruptions
    shocked = set(keys[hashing.uniform(run.config.seed, "scenario.shock", keys) < scenario.shock_product_share].tolist())
    sd = math.sqrt(len(keys) * scenario.shock_product_share * (1 - scenario.shock_product_share))
    assert shocked and abs(len(shocked) - len(keys) * scenario.shock_product_share) <= 4 * sd
    spark.createDataFrame([(k,) for k in sorted(shocked)], "product_key int").createOrReplaceTempView("shocked")

    lines = rows(spark, f"""
        SELECT k.product_key IS NOT NULL AS shocked, s.date_key BETWEEN {first} AND {last} AS inside, s.is_clearance,
               round(s.discount_amount / (s.quantity_sold * s.unit_price), 2) AS rate, bool_and(s.is_promotional) AS promotional,
               count(*) AS lines
        FROM gold_sales_fact AS s LEFT JOIN shocked AS k ON k.product_key = s.product_key
        GROUP BY 1, 2, 3, 4""")
    cut = [r for r in lines if r["rate"] == scenario.shock_discount_rate]
    assert {(r["shocked"], r["inside"]) for r in cut} == {(True, True)} and all(r["promotional"] for r in cut)
    assert {r["rate"] for r in lines if r["shocked"] and r["inside"] and not r["is_clearance"]} == {scenario.shock_discount_rate}

    days_inside = scenario.shock_days
    units = {(r["shocked"], r["inside"]): r["units"] for r in rows(spark, f"""
        SELECT k.product_key IS NOT NULL AS shocked, s.date_key BETWEEN {first} AND {last} AS inside,
               sum(s.quantity_sold) AS units
        FROM gold_sales_fact AS s LEFT JOIN shocked AS k ON k.product_key = s.product_key GROUP BY 1, 2""")}
    outside = run.config.horizon_days - days_inside

    def lift(group: bool) -> float:
        return (units[group, True] / days_inside) / (units[group, False] / outside)

    assert lift(True) / lift(False) >= scenario.shock_demand_factor / 2

    stockouts = {(r["shocked"], r["period"]): r["rate"] for r in rows(spark, f"""
        SELECT k.product_key IS NOT NULL AS shocked,
               CASE WHEN i.date_key < {first} THEN 'before' WHEN i.date_key <= {last} THEN 'during' ELSE 'after' END AS period,
               avg(CAST(i.is_stockout AS int)) AS rate
        FROM gold_inventory_fact AS i LEFT JOIN shocked AS k ON k.product_key = i.product_key GROUP BY 1, 2""")}
    assert stockouts[True, "during"] > stockouts[True, "before"] and stockouts[True, "after"] > stockouts[True, "before"]
    assert stockouts[True, "during"] > stockouts[False, "during"]


@OWN_SCENARIO_RUN
def test_promotion_shock_cuts_sells_and_stocks_out(spark, shock_run):
    """On tiny the 3% are one product of 60: its ten days show the cut, the lift and the stockouts."""
    assert_promotion_shock_keeps_its_promise(spark, shock_run)


@pytest.mark.long
def test_promotion_shock_keeps_its_promise_on_small(spark, small_shock_run):
    """3% of small's 2,000 products: the share, the lift and the stockouts measured on about 60 products."""
    assert_promotion_shock_keeps_its_promise(spark, small_shock_run)


# ---------------------------------------------------------------- supply-disruption

def test_supply_disruption_idles_the_node_for_its_window(spark, disruption_run):
    """The node receives and ships nothing in the window, and does both outside it."""
    scenario = disruption_run.config.scenario
    first, last = disruption_run.window(scenario.outage_first_day, scenario.outage_days)
    assert disruption_run.quickstart(spark, "anomaly_node_outage_idle")["anomaly_node_outage_idle"].status == PASS
    label = rows(spark, """
        SELECT l.location_id, a.start_date_key, a.end_date_key, a.magnitude, a.scenario
        FROM gold_anomaly_label AS a JOIN gold_location_dim AS l ON l.location_key = a.location_key""")
    assert label == [{"location_id": scenario.outage_location_id, "start_date_key": first, "end_date_key": last,
                      "magnitude": scenario.outage_days, "scenario": "supply-disruption"}]
    node = f"SELECT location_key FROM gold_location_dim WHERE location_id = '{scenario.outage_location_id}'"
    lines = rows(spark, f"""
        SELECT date_key BETWEEN {first} AND {last} AS inside, count(*) AS lines
        FROM gold_sales_fact WHERE location_key = ({node}) GROUP BY 1""")
    assert [(r["inside"], r["lines"] > 0) for r in lines] == [(False, True)]
    receipts_after = rows(spark, f"""
        SELECT count(*) AS n FROM gold_inventory_movement_fact
        WHERE to_location_key = ({node}) AND movement_type = 'receipt' AND date_key > {last}""")
    assert receipts_after[0]["n"] > 0


def test_supply_disruption_sends_the_nodes_digital_orders_to_the_next_nodes(spark, disruption_run):
    scenario = disruption_run.config.scenario
    first, last = disruption_run.window(scenario.outage_first_day, scenario.outage_days)
    disruption_run.views(spark)
    shipped = rows(spark, f"""
        WITH node AS (SELECT location_key FROM gold_location_dim WHERE location_id = '{scenario.outage_location_id}'),
        its_customers AS (
          SELECT DISTINCT s.customer_key FROM gold_sales_fact AS s JOIN node AS n ON n.location_key = s.location_key
        )
        SELECT s.location_key = n.location_key AS from_node, count(*) AS lines
        FROM gold_sales_fact AS s JOIN its_customers AS c ON c.customer_key = s.customer_key CROSS JOIN node AS n
        WHERE s.pos_terminal_id IS NULL AND s.date_key BETWEEN {first} AND {last}
        GROUP BY 1""")
    assert [(r["from_node"], r["lines"] > 0) for r in shipped] == [(False, True)]


def test_supply_disruption_suppliers_of_the_region_take_longer_in_the_window(spark, disruption_run):
    """An order placed in the window by the other locations of the node's region arrives outage_extra_lead_days later.

    A position's lead time is fixed: its orders placed inside the window take exactly that many days
    longer than those placed outside it, at the node's region, and as long elsewhere. Each order is
    met by its receipt movement: that quantity, at that position, on its arrival day.
    """
    scenario = disruption_run.config.scenario
    first, last = disruption_run.window(scenario.outage_first_day, scenario.outage_days)
    disruption_run.views(spark)
    orders = fresh_order_lead_days(f"l.location_id <> '{scenario.outage_location_id}'")
    end = disruption_run.config.end_date.isoformat()
    unmet = rows(spark, f"""
        SELECT count(*) AS n
        FROM (SELECT *, date_add(to_date(cast(date_key AS string), 'yyyyMMdd'), lead_days) AS arrival FROM ({orders})) AS o
        LEFT JOIN gold_inventory_movement_fact AS m
          ON m.movement_type = 'receipt' AND m.product_key = o.product_key AND m.to_location_key = o.location_key
         AND m.date_key = cast(date_format(o.arrival, 'yyyyMMdd') AS int) AND m.quantity = o.quantity
        WHERE m.movement_id IS NULL AND o.arrival <= DATE'{end}'""")
    assert unmet == [{"n": 0}]
    longer = rows(spark, f"""
        SELECT region = (SELECT region FROM gold_location_dim WHERE location_id = '{scenario.outage_location_id}') AS peer,
               max(CASE WHEN date_key BETWEEN {first} AND {last} THEN lead_days END)
               - max(CASE WHEN date_key NOT BETWEEN {first} AND {last} THEN lead_days END) AS longer,
               min(CASE WHEN date_key BETWEEN {first} AND {last} THEN lead_days END)
               - min(CASE WHEN date_key NOT BETWEEN {first} AND {last} THEN lead_days END) AS longer_low
        FROM ({orders}) GROUP BY product_key, location_key, region""")
    by_peer = {peer: {(r["longer"], r["longer_low"]) for r in longer if r["peer"] == peer and r["longer"] is not None}
               for peer in (True, False)}
    assert by_peer == {True: {(scenario.outage_extra_lead_days,) * 2}, False: {(0, 0)}}


# ---------------------------------------------------------------- anomaly-heavy

@OWN_SCENARIO_RUN
def test_anomaly_heavy_as_written_labels_anomalies_that_match_the_facts(spark, anomaly_heavy_file_run):
    """At 2-5% of tiny's 60 products and 780 positions the file labels outages, shrinkage and late receipts.

    Demand spikes and price errors (3% of 60 products) may be absent or too few for the spike check
    (TOO_SMALL): the small test asks for every type.
    """
    run = anomaly_heavy_file_run
    results = run.quickstart(spark, *LABEL_FACT_CHECKS, SPIKE_CHECK)
    labels = {r["anomaly_type"]: r["n"] for r in rows(spark, """
        SELECT anomaly_type, count(*) AS n FROM gold_anomaly_label WHERE scenario = 'anomaly-heavy' GROUP BY 1""")}
    assert labels.keys() <= ANOMALY_TYPES and {"node_outage", "shrinkage", "late_delivery"} <= labels.keys()
    assert sum(labels.values()) == run.target.read(spark, "gold_anomaly_label").count()
    assert {c: results[c].status for c in LABEL_FACT_CHECKS} == dict.fromkeys(LABEL_FACT_CHECKS, PASS)
    assert results[SPIKE_CHECK].status in (PASS, TOO_SMALL)


@pytest.mark.long
def test_anomaly_heavy_labels_every_type_on_small(spark, small_anomaly_heavy_run):
    run = small_anomaly_heavy_run
    results = run.quickstart(spark, *LABEL_CHECKS, SPIKE_CHECK)
    types = {r["anomaly_type"] for r in rows(spark, "SELECT DISTINCT anomaly_type FROM gold_anomaly_label")}
    assert types == ANOMALY_TYPES
    assert {c: r.status for c, r in results.items()} == dict.fromkeys((*LABEL_CHECKS, SPIKE_CHECK), PASS)


# ---------------------------------------------------------------- anomaly-heavy with tiny's rates (conftest)

def test_every_anomaly_type_is_labelled(spark, anomaly_heavy_run):
    counts = {r["anomaly_type"]: r["n"] for r in anomaly_heavy_run.read(spark, "gold_anomaly_label")
              .groupBy("anomaly_type").count().withColumnRenamed("count", "n").collect()}
    assert set(counts) == ANOMALY_TYPES
    assert counts["node_outage"] == 1


def test_every_label_matches_its_facts(spark, anomaly_heavy_run):
    """validate's label checks, run as validate runs them (the whole of validate runs on the tiny run elsewhere)."""
    settings = run_settings(held_run(RunJournal(spark, anomaly_heavy_run).runs()))
    for table in all_tables():
        anomaly_heavy_run.read(spark, table).createOrReplaceTempView(table)
    checks = [c for c in sql_checks(settings) if c.name.removeprefix("quickstart.") in LABEL_CHECKS]
    assert len(checks) == len(LABEL_CHECKS)
    results = [r for c in checks for r in run_sql_check(spark, c)]
    assert [(r.check, r.status) for r in results if r.status != PASS] == []


def test_a_shrinkage_label_joins_to_its_write_off(spark, anomaly_heavy_run):
    """The join from a label to the movement it describes, as docs/scenarios.md shows it."""
    for table in ("gold_anomaly_label", "gold_inventory_movement_fact"):
        anomaly_heavy_run.read(spark, table).createOrReplaceTempView(table)
    joined = spark.sql("""
        SELECT l.magnitude, m.quantity, m.reference_type
        FROM gold_anomaly_label AS l
        JOIN gold_inventory_movement_fact AS m
          ON m.product_key = l.product_key AND m.from_location_key = l.location_key
         AND m.date_key = l.start_date_key AND m.movement_type = 'adjustment'
        WHERE l.anomaly_type = 'shrinkage'""").collect()
    assert joined and all(r["magnitude"] == r["quantity"] and r["reference_type"] == "stock_count" for r in joined)


def test_the_scenario_is_recorded_in_the_journal_and_the_table_properties(spark, anomaly_heavy_run):
    assert held_run(RunJournal(spark, anomaly_heavy_run).runs()).scenario == "anomaly-heavy"
    detail = spark.sql(f"DESCRIBE DETAIL {anomaly_heavy_run.identifier('gold_sales_fact')}").collect()[0]
    assert detail["properties"][SCENARIO_PROPERTY] == "anomaly-heavy"
