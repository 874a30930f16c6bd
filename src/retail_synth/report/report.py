"""`retail-synth report`: one self-contained HTML page showing what a run looks like.

Spark aggregates (per day, per position, per class); only those small frames
reach the driver, where src/retail_synth/report/charts.py draws them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.checks.validate import format_value, realism_checks, run_sql_check
from retail_synth.report import charts as charts
from retail_synth.report.html import Section, render_page
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.run_journal import RunJournal, run_settings, run_tables

STOCKOUT_CHECK = "stockout_rate_all_days"
SHOWCASE_POSITIONS = 4
CART_TABLE = "gold_cart_abandonment_fact"
FORECAST_TABLE = "gold_demand_forecast_fact"
POSITION = ["product_key", "location_key"]
REQUIRED_TABLES = ("gold_date_dim", "gold_product_dim", "gold_location_dim", "gold_inventory_fact",
                   "gold_inventory_movement_fact", "gold_sales_fact")


def default_report_path(target: Target) -> Path:
    return Path(target.output_dir) / "report.html" if target.output_dir is not None else Path("report.html")


def _by_day(frame: DataFrame, dates: DataFrame) -> pd.DataFrame:
    """A per-date_key aggregate with its calendar dates, on the driver, in date order."""
    daily = frame.join(dates, "date_key").orderBy("calendar_date").toPandas()
    daily["calendar_date"] = pd.to_datetime(daily["calendar_date"])
    return daily


def stockouts_by_day(inventory: DataFrame, dates: DataFrame) -> pd.DataFrame:
    return _by_day(
        inventory.groupBy("date_key").agg(
            F.avg(F.col("is_stockout").cast("double")).alias("stockout_rate"),
            F.sum(F.col("is_stockout").cast("int")).alias("stockout_positions"),
            F.count("*").alias("positions"),
        ),
        dates,
    )


def stockout_band(settings: dict[str, object]) -> tuple[float, float]:
    """The band `validate` checks the stockout rate against, from its quickstart bound and the run's settings."""
    query = next(q for q in load_quickstart() if q.check == STOCKOUT_CHECK)
    return query.bound(settings).interval


def stockout_section(daily: pd.DataFrame, band: tuple[float, float]) -> Section:
    overall = daily["stockout_positions"].sum() / daily["positions"].sum()
    return Section(
        "Stockout rate per day",
        f"Share of product x location positions that ended the day with nothing available. Over the whole "
        f"horizon: {overall:.2%} (target band {charts.percent(band[0])} to {charts.percent(band[1])}).",
        image=charts.stockout_rate_chart(daily, band),
    )


def showcase_positions(inventory: DataFrame, movements: DataFrame, locations: DataFrame, count: int) -> pd.DataFrame:
    """A few positions with supplier receipts, return restocks and stockout days, on different products and location types.

    Spark ranks each location's positions (most units received first, products
    discontinued during the horizon left out); the locations then take turns
    by type (first store, warehouse and DC, then the second ...) and each takes
    its busiest product not shown yet. Ties break on keys, so a run always
    shows the same positions.
    """
    inflows = (
        movements.where(F.col("movement_type").isin("receipt", "return"))
        .groupBy("product_key", F.col("to_location_key").alias("location_key"))
        .agg(F.sum(F.when(F.col("movement_type") == "receipt", F.col("quantity"))).alias("units_received"),
             F.count_if(F.col("movement_type") == "return").alias("returns"))
        .where("units_received > 0 AND returns > 0")
    )
    history = inventory.groupBy(*POSITION).agg(F.count_if("is_stockout").alias("stockout_days"),
                                                F.count_if("is_discontinued").alias("discontinued_days"))
    busiest = Window.partitionBy("location_key").orderBy(F.desc("units_received"), "product_key")
    turn = Window.partitionBy("location_type").orderBy("location_key")
    candidates = (
        inflows.join(history.where("stockout_days > 0 AND discontinued_days = 0"), POSITION)
        .withColumn("rank_in_location", F.row_number().over(busiest))
        .where(F.col("rank_in_location") <= count)
        .join(locations.select("location_key", "location_type").withColumn("turn", F.row_number().over(turn)),
              "location_key")
        .orderBy("turn", "location_type", "rank_in_location")
        .toPandas()
    )
    chosen: list[tuple[int, int]] = []
    for _, offers in candidates.groupby(["turn", "location_type"], sort=True):
        fresh = offers[~offers["product_key"].isin([p for p, _ in chosen])]
        if len(fresh) and len(chosen) < count:
            chosen.append((int(fresh["product_key"].iloc[0]), int(fresh["location_key"].iloc[0])))
    return pd.DataFrame(chosen, columns=POSITION)


def trajectories(chosen: DataFrame, inventory, movements, products, locations, dates):
    """(on hand by day, receipts and restocks by day) of the `chosen` positions, named for the chart."""
    label = F.format_string("%s (product %d) at %s", "product_name", "product_key", "location_name")
    named = F.broadcast(
        chosen.join(products.select("product_key", "product_name"), "product_key")
        .join(locations.select("location_key", "location_name"), "location_key")
        .select(*POSITION, label.alias("position"))
    )
    on_hand = _by_day(inventory.join(named, POSITION).select("position", "date_key", "quantity_on_hand"), dates)
    inflows = _by_day(
        movements.where(F.col("movement_type").isin("receipt", "return"))
        .withColumnRenamed("to_location_key", "location_key")
        .join(named, POSITION)
        .groupBy("position", "date_key", "movement_type").agg(F.sum("quantity").alias("quantity")),
        dates,
    )
    return named, on_hand, inflows


def trajectory_section(spark, inventory, movements, products, locations, dates) -> Section:
    chosen = spark.createDataFrame(showcase_positions(inventory, movements, locations, SHOWCASE_POSITIONS),
                                   "product_key INT, location_key INT")
    _, on_hand, inflows = trajectories(chosen, inventory, movements, products, locations, dates)
    return Section(
        "Inventory trajectories",
        "End-of-day units on hand of a few positions that received supplier deliveries and customer returns "
        "(chosen deterministically, from different location types). Receipts and return "
        "restocks are marked on the day they arrived; on-hand drops are sales.",
        image=charts.trajectory_chart(on_hand, inflows),
    )


def demand_section(tables: set[str], read, stockouts: pd.DataFrame, dates: DataFrame) -> Section:
    if FORECAST_TABLE in tables:
        daily = _by_day(
            read(FORECAST_TABLE).groupBy("date_key").agg(
                F.sum("actual_demand_quantity").alias("demand_units"), F.sum("actual_quantity").alias("sold_units")),
            dates,
        )
        first, last = daily["calendar_date"].min(), daily["calendar_date"].max()
        return Section(
            "Demand and sales per day",
            "Units requested (unconstrained demand, lost attempts included) against units sold, summed over all "
            f"positions, on the {len(daily)} days gold_demand_forecast_fact covers ({first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d}); the gap is demand that stockouts left unserved.",
            image=charts.demand_vs_sales_chart(daily),
        )
    sold = _by_day(read("gold_sales_fact").groupBy("date_key").agg(F.sum("quantity_sold").alias("units_sold")), dates)
    daily = sold.merge(stockouts[["calendar_date", "stockout_positions"]], on="calendar_date", how="outer").fillna(0)
    return Section(
        "Demand and sales per day",
        "Units sold per day, with the number of positions out of stock at the end of the day.",
        image=charts.sales_and_stockouts_chart(daily),
        note=f"{FORECAST_TABLE} is not in this run, so unconstrained demand (sold plus lost units per day) "
             "cannot be shown: stockout events carry their lost units per episode, not per day.",
    )


def abandonment_section(tables: set[str], read) -> Section:
    title = "Cart abandonment by low-inventory class"
    if CART_TABLE not in tables:
        return Section(title, note=f"{CART_TABLE} is not in this run.")
    abandoned = read(CART_TABLE).groupBy(F.col("low_inventory_trigger").alias("low_inventory")) \
                                .agg(F.count("*").alias("abandoned"))
    orders = read("gold_sales_fact").where(F.col("cart_low_inventory_trigger").isNotNull()) \
        .groupBy(F.col("cart_low_inventory_trigger").alias("low_inventory")) \
        .agg(F.countDistinct("transaction_id").alias("orders"))
    by_class = abandoned.join(orders, "low_inventory", "full").fillna(0).orderBy("low_inventory").toPandas()
    by_class["rate"] = by_class["abandoned"] / (by_class["abandoned"] + by_class["orders"])
    rows = [("yes" if r.low_inventory else "no", int(r.abandoned), int(r.orders), float(r.rate)) for r in by_class.itertuples()]
    return Section(
        title,
        "Abandonment rate = abandoned carts / (abandoned carts + digital orders checked out from a cart), split by "
        "whether the cart held an item at or below the low-inventory threshold.",
        image=charts.abandonment_chart(by_class),
        table=(("low-inventory item", "abandoned carts", "orders", "abandonment rate"), rows),
    )


def realism_section(spark, tables: list[str], read, settings: dict[str, object]) -> Section:
    """The realism figures of `validate`, by the same queries and the run's ranges, as a table."""
    figures = realism_checks(settings)
    measured = [c for c in figures if c.query.tables <= set(tables)]
    for table in sorted({t for c in measured for t in c.query.tables}):
        read(table).createOrReplaceTempView(table)
    results = [r for c in measured for r in run_sql_check(spark, c)]
    absent = [c.name for c in figures if not c.query.tables <= set(tables)]
    return Section(
        "Realism",
        "Each figure of contracts/realism/ against the range published retail statistics give (realism.* in "
        "conf/defaults.yaml, as this run configured it). WARN: outside the range, so the data looks less like "
        "retail there; it never fails validate. INFO: no publication gives a range, so the figure is shown, "
        "not judged. TOO_SMALL: too few observations to judge.",
        table=(("figure", "value", "range", "status", "source"),
               [(r.check, format_value(r.value), r.bound, r.status, r.source) for r in results]),
        note=f"Not in this run: {', '.join(absent)}." if absent else "",
    )


def rows_section(tables: list[str], read) -> Section:
    return Section("Rows per table", table=(("table", "rows"), [(t, read(t).count()) for t in tables]))


class NothingToReport(Exception):
    """A table every report section needs is not there."""


def anomaly_section(tables: set[str], read, inventory, movements, dates) -> Section:
    """The run's labels by type, and the trajectories of a few labelled positions with each anomaly shaded."""
    if "gold_anomaly_label" not in tables:
        return Section("Anomalies", note="This run has no gold_anomaly_label table (written before scenarios existed).")
    labels = read("gold_anomaly_label")
    counts = (labels.groupBy("anomaly_type")
              .agg(F.count("*").alias("labels"), F.round(F.avg("magnitude"), 2).alias("mean_magnitude"))
              .orderBy("anomaly_type").toPandas())
    if counts.empty:
        return Section("Anomalies", text="No anomaly was injected in this run (see `retail-synth scenarios`).")
    positioned = labels.where("product_key IS NOT NULL AND location_key IS NOT NULL")
    chosen = positioned.select(*POSITION).distinct().orderBy(*POSITION).limit(SHOWCASE_POSITIONS)
    named, on_hand, inflows = trajectories(chosen, inventory, movements, read("gold_product_dim"),
                                           read("gold_location_dim"), dates)
    dated = dates.withColumnRenamed("date_key", "start_date_key").withColumnRenamed("calendar_date", "start")
    marks = (positioned.join(named, POSITION).join(dated, "start_date_key")
             .join(dates.withColumnRenamed("date_key", "end_date_key").withColumnRenamed("calendar_date", "end"),
                   "end_date_key")
             .select("position", "anomaly_type", "start", "end").toPandas())
    return Section(
        "Anomalies",
        "Labels of gold_anomaly_label by type; below, the trajectories of a few labelled positions with each "
        "anomaly shaded from its start to its end day (a late delivery: from due to arrival).",
        table=(("anomaly type", "labels", "mean magnitude"),
               [(r.anomaly_type, int(r.labels), float(r.mean_magnitude)) for r in counts.itertuples()]),
        image=charts.trajectory_chart(on_hand, inflows, marks) if not marks.empty else None,
    )


def write_report(spark, target: Target, out: Path) -> Path:
    """Write the report of the run in `target` to `out`; returns the path written."""
    held = RunJournal(spark, target).last_complete()
    tables = [t for t in run_tables(spark, target, held) if target.exists(spark, t)]
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise NothingToReport(f"{target.describe()} lacks {', '.join(missing)}: run 'retail-synth generate' first")

    def read(table: str) -> DataFrame:
        return target.read(spark, table)

    dates = read("gold_date_dim").select("date_key", "calendar_date")
    inventory = read("gold_inventory_fact")
    movements = read("gold_inventory_movement_fact")
    stockouts = stockouts_by_day(inventory, dates)
    settings = run_settings(held)
    sections = [
        stockout_section(stockouts, stockout_band(settings)),
        trajectory_section(spark, inventory, movements, read("gold_product_dim"), read("gold_location_dim"), dates),
        anomaly_section(set(tables), read, inventory, movements, dates),
        demand_section(set(tables), read, stockouts, dates),
        abandonment_section(set(tables), read),
        realism_section(spark, tables, read, settings),
        rows_section(tables, read),
    ]
    run = f"run {held.run_id} · scenario {held.scenario}" if held else "no completed run recorded"
    first, last = stockouts["calendar_date"].min(), stockouts["calendar_date"].max()
    meta = f"{target.describe()} · {run} · {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_page("retail-synth report", meta, sections))
    return out
