"""The realism files: each pairs with a configured range, and each query gives a known answer on hand-made tables."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest

from retail_synth.checks import realism
from retail_synth.checks.realism import (
    RealismError,
    load_realism,
    parse_realism,
    realism_figures,
)
from retail_synth.checks.validate import INFO, TOO_SMALL, WARN, judged, realism_checks
from retail_synth.spark.delta_tables import spark_schema
from retail_synth.spark.run_journal import RunRecord, run_settings
from retail_synth.spec.configuration import ConfigError, defaults, resolve
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.run_config import settings

FILLER = {"int": 0, "bigint": 0, "string": "x", "double": 0.0, "boolean": False,
          "date": dt.date(2025, 1, 1), "timestamp": dt.datetime(2025, 1, 1)}


def test_every_realism_file_has_one_configured_range():
    assert set(defaults()["realism"]) == {q.check for q in load_realism()}
    assert [f.name for f in realism_figures(run_settings(None))] == [f"realism.{q.check}" for q in load_realism()]


def test_a_file_without_a_range_is_one_clear_error(tmp_path, monkeypatch):
    for query in load_realism():
        shutil.copy(realism.REALISM_DIR / f"{query.check}.sql", tmp_path)
    (tmp_path / "basket_value.sql").write_text("-- check: basket_value\n-- description: d\nSELECT 1 AS value;\n")
    (tmp_path / "stockout_rate.sql").unlink()
    monkeypatch.setattr(realism, "REALISM_DIR", tmp_path)
    with pytest.raises(RealismError) as error:
        realism_figures(run_settings(None))
    assert str(error.value) == ("contracts/realism/basket_value.sql has no 'realism.basket_value' range in "
                                "conf/defaults.yaml; 'realism.stockout_rate' in conf/defaults.yaml has no "
                                "contracts/realism/stockout_rate.sql")


def test_a_realism_header_names_its_file(tmp_path):
    query = tmp_path / "some_figure.sql"
    query.write_text("-- check: some_figure\nSELECT 1 AS value;\n")
    with pytest.raises(RealismError, match="-- description:"):
        parse_realism(query)


def test_ranges_follow_the_run_and_default_for_older_runs():
    configured = settings(resolve(preset="tiny", assignments=["realism.peak_day_rank.value_max=10"]))
    older = RunRecord("r1", "tiny", 7, "normal-ops", "2025-01-01T00:00:00", {},
                      settings={k: v for k, v in configured.items() if not k.startswith("realism.")})
    bounds = {f.query.check: str(f.bound) for f in realism_figures({**run_settings(None), **configured})}
    assert bounds["peak_day_rank"] == "1 <= value <= 10"
    assert bounds["inventory_turnover"] == "3 <= value <= 6"
    assert {f.query.check: str(f.bound) for f in realism_figures(run_settings(older))}["peak_day_rank"] == \
        "1 <= value <= 5"


def test_a_figure_without_a_published_range_is_information_never_judged():
    checks = {c.name: c for c in realism_checks(run_settings(None))}
    information, ranged = checks["realism.store_sale_day_share"], checks["realism.stockout_rate"]
    assert str(information.bound) == "information"
    for value in (0.0, 0.02, 1.0):
        result = judged(information, {"value": value, "sample": 10_000})
        assert (result.status, result.passed, result.value) == (INFO, True, value)
    assert judged(information, {"value": 0.02, "sample": 10}).status == TOO_SMALL
    assert judged(ranged, {"value": 0.5, "sample": 10_000}).status == WARN      # a ranged figure is still judged
    with pytest.raises(ConfigError, match=r"unknown configuration key 'realism\.store_sale_day_share\.value_min'"):
        resolve(preset="tiny", assignments=["realism.store_sale_day_share.value_min=0.1"])


# ---------------------------------------------------------------- each query on hand-made tables

@pytest.fixture
def gold(spark):
    """Registers rows as a temp view named like the table, with its contract schema; unspecified columns get fillers."""
    registered = []

    def register(table: str, rows: list[dict]) -> None:
        schema = spark_schema(load_contract(table))
        data = [tuple(row.get(f.name, None if f.nullable else FILLER[f.dataType.simpleString()]) for f in schema)
                for row in rows]
        spark.createDataFrame(data, schema).createOrReplaceTempView(table)
        registered.append(table)

    yield register
    for table in registered:
        spark.catalog.dropTempView(table)


def measure(spark, check: str) -> tuple:
    query = next(q for q in load_realism() if q.check == check)
    row = spark.sql(query.statement).collect()[0]
    return row["value"], row["sample"]


def line(transaction: str, **columns) -> dict:
    return {"transaction_id": transaction, "quantity_sold": 1, **columns}


CHANNELS = [{"channel_key": 1, "is_digital": True}, {"channel_key": 2, "is_digital": False}]


def test_inventory_turnover(spark, gold):
    """Two days of stock worth 100 and 300 at cost; customers kept 5 x 10 + 1 x 23 = 73 at cost (a return is not kept)."""
    gold("gold_inventory_fact", [{"date_key": 20250101, "product_key": 1, "inventory_value_cost": 60.0},
                                 {"date_key": 20250101, "product_key": 2, "inventory_value_cost": 40.0},
                                 {"date_key": 20250102, "product_key": 1, "inventory_value_cost": 300.0}])
    gold("gold_product_dim", [{"product_key": 1, "unit_cost": 10.0}, {"product_key": 2, "unit_cost": 23.0}])
    gold("gold_sales_fact", [line("T1", product_key=1, quantity_sold=5), line("T2", product_key=1, quantity_sold=2,
                                                                                is_return=True),
                             line("T3", product_key=2)])
    assert measure(spark, "inventory_turnover") == (73 * 365 / 2 / 200, 2)


def test_low_inventory_cart_share(spark, gold):
    """Three abandoned carts (one low) and two checked-out orders (one with a low line); a store order is no cart."""
    gold("gold_cart_abandonment_fact", [{"low_inventory_trigger": low} for low in (True, False, False)])
    gold("gold_sales_fact", [line("T1", cart_low_inventory_trigger=True), line("T1", cart_low_inventory_trigger=False),
                             line("T2", cart_low_inventory_trigger=False), line("T3")])
    assert measure(spark, "low_inventory_cart_share") == (Decimal("0.4"), 5)


def test_stockout_rate(spark, gold):
    gold("gold_inventory_fact", [{"date_key": 20250101, "product_key": p, "is_stockout": p == 1} for p in range(1, 5)])
    assert measure(spark, "stockout_rate") == (Decimal("0.25"), 4)


def test_digital_return_rate(spark, gold):
    """One of four digital lines returned; the store lines do not count."""
    gold("gold_channel_dim", CHANNELS)
    gold("gold_sales_fact", [line(f"D{i}", channel_key=1, is_return=i == 0) for i in range(4)]
         + [line("S1", channel_key=2, is_return=True)])
    assert measure(spark, "digital_return_rate") == (Decimal("0.25"), 4)


def test_store_return_rate(spark, gold):
    """One of five store lines returned; the digital lines do not count."""
    gold("gold_channel_dim", CHANNELS)
    gold("gold_sales_fact", [line(f"S{i}", channel_key=2, is_return=i == 0) for i in range(5)]
         + [line("D1", channel_key=1, is_return=True)])
    assert measure(spark, "store_return_rate") == (Decimal("0.2"), 5)


def test_discounted_line_share(spark, gold):
    """Promotional, clearance, both, and two full-price lines: three of five discounted."""
    flags = [(True, False), (False, True), (True, True), (False, False), (False, False)]
    gold("gold_sales_fact", [line(f"T{i}", is_promotional=p, is_clearance=c) for i, (p, c) in enumerate(flags)])
    assert measure(spark, "discounted_line_share") == (Decimal("0.6"), 5)


def test_peak_day_rank(spark, gold):
    """Orders: Saturday 5, Black Friday 3 (in four lines), Cyber Monday 2, Sunday 1; the worse of the two is third."""
    days = {20251128: "Black Friday", 20251129: None, 20251130: None, 20251201: "Cyber Monday"}
    gold("gold_date_dim", [{"date_key": key, "holiday_name": name} for key, name in days.items()])
    orders = {20251128: 3, 20251129: 5, 20251130: 1, 20251201: 2}
    gold("gold_sales_fact", [line(f"{day}-{i}", date_key=day) for day, n in orders.items() for i in range(n)]
         + [line("20251128-0", date_key=20251128)])
    assert measure(spark, "peak_day_rank") == (3, 2)


def test_units_per_transaction(spark, gold):
    """Seven units in three orders, one of them of two lines."""
    gold("gold_sales_fact", [line("T1", quantity_sold=2), line("T1"), line("T2"), line("T3", quantity_sold=3)])
    assert measure(spark, "units_per_transaction") == (7 / 3, 3)


HORIZON = [{"date_key": 20250101, "calendar_date": dt.date(2025, 1, 1)},
           {"date_key": 20251231, "calendar_date": dt.date(2025, 12, 31)}]
SALES_OVER_A_YEAR = [line("T1", date_key=20250101), line("T2", date_key=20251231)]


def version(customer: str, key: int, effective: dt.date, acquired: dt.date, store: str = "S1") -> dict:
    return {"customer_id": customer, "customer_key": key, "effective_date": effective, "acquisition_date": acquired,
            "nearest_store_id": store}


def test_customer_movers_share(spark, gold):
    """Four customers over a year; one moved once (a version at another store), one changed without moving."""
    gold("gold_date_dim", HORIZON)
    gold("gold_sales_fact", SALES_OVER_A_YEAR)
    old = dt.date(2020, 1, 1)
    gold("gold_customer_dim", [version("A", 1, old, old), version("A", 10000001, dt.date(2025, 3, 1), old, "S2"),
                               version("B", 2, old, old), version("B", 10000002, dt.date(2025, 4, 1), old),
                               version("C", 3, old, old), version("D", 4, old, old)])
    assert measure(spark, "customer_movers_share") == (Decimal("0.25"), 4)


def test_customer_changed_share(spark, gold):
    """Of four customers over a year, one got a version inside it; one acquired inside it has only its first."""
    gold("gold_date_dim", HORIZON)
    gold("gold_sales_fact", SALES_OVER_A_YEAR)
    old, joined = dt.date(2020, 1, 1), dt.date(2025, 2, 1)
    gold("gold_customer_dim", [version("A", 1, old, old), version("A", 10000001, dt.date(2025, 3, 1), old),
                               version("B", 2, old, old), version("C", 3, joined, joined), version("D", 4, old, old)])
    value, sample = measure(spark, "customer_changed_share")
    assert (round(float(value), 9), sample) == (0.25, 4)


STORES = [{"location_key": 1, "location_type": "store", "store_format": "standard", "selling_sqft": 4000.0},
          {"location_key": 2, "location_type": "store", "store_format": "standard", "selling_sqft": 6000.0},
          {"location_key": 3, "location_type": "store", "store_format": "outlet", "selling_sqft": 5000.0},
          {"location_key": 4, "location_type": "warehouse", "store_format": None, "selling_sqft": 0.0}]


def test_sales_per_sqft(spark, gold):
    """A year of two standard stores (10,000 sq ft): 3,000 kept, a refunded return not, an exchange kept; other
    formats and a warehouse do not count."""
    gold("gold_date_dim", HORIZON)
    gold("gold_location_dim", STORES)
    sale = {"date_key": 20250101, "net_sales_amount": 1000.0}
    gold("gold_sales_fact", [line("T1", location_key=1, **sale), line("T2", location_key=2, **sale),
                             line("T3", location_key=2, is_return=True, **sale),
                             line("T4", location_key=1, is_return=True, is_exchange=True, **sale),
                             line("T5", location_key=3, **sale), line("T6", location_key=4, **sale),
                             line("T7", location_key=1, date_key=20251231, net_sales_amount=0.0)])
    value, sample = measure(spark, "sales_per_sqft_standard")
    assert (round(float(value), 9), sample) == (round(3000 * 365 / 365 / 10000, 9), 5)
    value, sample = measure(spark, "sales_per_sqft_outlet")
    assert (round(float(value), 9), sample) == (round(1000 / 5000, 9), 1)


def test_store_sale_day_share(spark, gold):
    """Two stores x two products x two days (a warehouse's rows do not count); three store product-days sell, one twice."""
    gold("gold_location_dim", STORES)
    gold("gold_inventory_fact", [{"date_key": d, "product_key": p, "location_key": s}
                                 for d in (20250101, 20250102) for p in (1, 2) for s in (1, 2, 4)])
    gold("gold_sales_fact", [line("T1", date_key=20250101, product_key=1, location_key=1),
                             line("T2", date_key=20250101, product_key=1, location_key=1),
                             line("T3", date_key=20250102, product_key=1, location_key=1),
                             line("T4", date_key=20250101, product_key=2, location_key=2),
                             line("T5", date_key=20250101, product_key=2, location_key=4)])
    assert measure(spark, "store_sale_day_share") == (Decimal("0.375"), 8)


def test_store_days_between_sales(spark, gold):
    """Positions selling on days 1, 3, 7 (3 days apart on average), on days 1 and 11 (10), and once (none)."""
    days = {n: 20250100 + n for n in (1, 3, 7, 11)}
    gold("gold_date_dim", [{"date_key": key, "calendar_date": dt.date(2025, 1, n)} for n, key in days.items()])
    gold("gold_location_dim", STORES)
    gold("gold_sales_fact", [line("T1", date_key=days[1], product_key=1, location_key=1),
                             line("T2", date_key=days[3], product_key=1, location_key=1),
                             line("T3", date_key=days[7], product_key=1, location_key=1),
                             line("T4", date_key=days[7], product_key=1, location_key=1),
                             line("T5", date_key=days[1], product_key=2, location_key=1),
                             line("T6", date_key=days[11], product_key=2, location_key=1),
                             line("T7", date_key=days[1], product_key=1, location_key=2),
                             line("T8", date_key=days[1], product_key=3, location_key=4),
                             line("T9", date_key=days[3], product_key=3, location_key=4)])
    value, sample = measure(spark, "store_days_between_sales")
    assert (float(value), sample) == (6.5, 2)
