"""`retail-synth journeys`: workflow journeys drawn from a run's gold tables, as YAML files for integration tests.

Five workflows, each a file `<workflow>.yaml` with `workflow`, `journey_count`
and `journeys`; every journey has `id`, `customer_key`, `started_at`,
`ended_at` and `steps`, and every step names its gold `table` and the `key`
(column -> value) that finds its row there, so a consumer can join back to
the tables. `index.yaml` lists the workflows with their files, counts and the
tables (entities) they touch.

When a step happened: an event at its `event_timestamp`; an order line at
its order's checkout-complete event when there is one, otherwise at the
start of its 15-minute slot; an abandonment at the start of its slot, or
right after its session's last event when that falls inside the slot (the
fact records the slot only); recovery emails at their abandonment (their
times are not recorded); receipts and return restocks at the start of their
day (stock arrives before trading); inventory snapshots and stockout
episodes at the end of their day (they are end-of-day states). Steps are
sorted by that time, ties in the workflow's causal order.

Journeys are chosen by a hash of their key (xxhash64), so the same run
always gives the same files, spread over the whole horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from pyspark.sql import Row
from pyspark.sql import functions as F

INDEX = "index.yaml"
ISO = "%Y-%m-%dT%H:%M:%SZ"
SPARK_ISO = "yyyy-MM-dd'T'HH:mm:ss'Z'"
EVENTS, SALES, CARTS = "gold_customer_event_fact", "gold_sales_fact", "gold_cart_abandonment_fact"
INVENTORY, MOVEMENTS, STOCKOUTS = "gold_inventory_fact", "gold_inventory_movement_fact", "gold_stockout_events"
EMAIL_STEPS = ("recovery_email_sent", "recovery_email_opened", "recovery_email_clicked")


@dataclass
class Journey:
    id: str
    customer_key: int | None
    steps: list[dict] = field(default_factory=list)

    def add(self, step: str, table: str, key: dict, at: str) -> None:
        self.steps.append({"step": step, "table": table, "key": dict(key), "at": at})   # a copy: no YAML anchors

    def as_yaml(self) -> dict:
        steps = sorted(self.steps, key=lambda s: s["at"])      # stable: ties keep the causal order
        return {"id": self.id, "customer_key": self.customer_key, "started_at": steps[0]["at"],
                "ended_at": steps[-1]["at"], "steps": steps}


def day(date_key: int) -> date:
    return date(date_key // 10000, date_key // 100 % 100, date_key % 100)


def day_start(date_key: int) -> str:
    return datetime.combine(day(date_key), datetime.min.time()).strftime(ISO)


def day_end(date_key: int) -> str:
    return datetime.combine(day(date_key), datetime.max.time()).strftime(ISO)


def slot(date_key: int, time_key: int) -> str:
    return datetime.combine(day(date_key), datetime.min.time()).replace(hour=time_key // 100, minute=time_key % 100).strftime(ISO)


def next_day_key(date_key: int) -> int:
    return int((day(date_key) + timedelta(days=1)).strftime("%Y%m%d"))


class Journeys:
    """Reads the tables of one target and draws the journeys of each workflow."""

    def __init__(self, spark, target, per_workflow: int):
        self.spark, self.target, self.n = spark, target, per_workflow

    def table(self, name: str):
        return self.target.read(self.spark, name)

    def pick(self, frame, key: str) -> list:
        return frame.orderBy(F.xxhash64(key), key).limit(self.n).collect()

    def session_events(self, session_ids: list[str]) -> dict[str, list]:
        rows = (self.table(EVENTS).where(F.col("session_id").isin(session_ids))
                .select("session_id", "event_id", "event_type", "event_label",
                        F.date_format("event_timestamp", SPARK_ISO).alias("at"))
                .orderBy("event_timestamp", "event_id").collect())
        by_session: dict[str, list] = {}
        for row in rows:
            by_session.setdefault(row["session_id"], []).append(row)
        return by_session

    def lines_of(self, transaction_ids: list[str]) -> dict[str, list]:
        rows = (self.table(SALES).where(F.col("transaction_id").isin(transaction_ids))
                .select("transaction_id", "line_item_id", "date_key", "time_key").orderBy("line_item_id").collect())
        by_order: dict[str, list] = {}
        for row in rows:
            by_order.setdefault(row["transaction_id"], []).append(row)
        return by_order

    def add_session(self, journey: Journey, events: list) -> str | None:
        """The session's events as steps; returns the timestamp of its purchase event, if any."""
        purchase_at = None
        for e in events:
            journey.add(e["event_type"], EVENTS, {"event_id": e["event_id"]}, e["at"])
            if e["event_type"] == "purchase":
                purchase_at = e["at"]
        return purchase_at

    def add_order(self, journey: Journey, lines: list, placed_at: str) -> None:
        for line in lines:
            journey.add("order_line", SALES, {"line_item_id": line["line_item_id"]}, placed_at)

    # ------------------------------------------------------------ workflows

    def complete_purchase(self) -> list[Journey]:
        """A cart's own session from first view to checkout complete, and the order's lines."""
        purchases = self.pick(self.table(EVENTS).where((F.col("event_type") == "purchase")
                                                       & F.col("session_id").endswith("-C")), "event_id")
        sessions = self.session_events([p["session_id"] for p in purchases])
        lines = self.lines_of([p["event_label"] for p in purchases])
        journeys = []
        for p in purchases:
            journey = Journey(f"complete-purchase-{p['event_label']}", p["customer_key"])
            placed_at = self.add_session(journey, sessions[p["session_id"]])
            assert placed_at is not None, "a purchase's session holds the purchase"
            self.add_order(journey, lines.get(p["event_label"], []), placed_at)
            journeys.append(journey)
        return journeys

    def abandoned(self, recovered: bool) -> list[Journey]:
        carts = self.pick(self.table(CARTS).where(F.col("recovery_email_sent") & (F.col("is_recovered") == recovered)),
                          "abandonment_id")
        cart_sessions = {r["event_label"]: r["session_id"] for r in
                         self.table(EVENTS).where((F.col("event_type") == "add_to_cart")
                                                  & F.col("event_label").isin([c["cart_id"] for c in carts]))
                         .select("event_label", "session_id").distinct().collect()}
        recovery_sessions = {s: s.removesuffix("-C") + "-R" for s in cart_sessions.values()}
        sessions = self.session_events(list(cart_sessions.values()) + list(recovery_sessions.values()))
        orders = {r["session_id"]: r["event_label"] for e in sessions.values() for r in e if r["event_type"] == "purchase"}
        lines = self.lines_of(list(orders.values()))
        workflow = "recovered-cart" if recovered else "cart-abandonment"
        journeys = []
        for cart in carts:
            journey = Journey(f"{workflow}-{cart['abandonment_id']}", cart["customer_key"])
            cart_session = cart_sessions[cart["cart_id"]]
            events = sessions.get(cart_session, [])
            self.add_session(journey, events)
            key = {"abandonment_id": cart["abandonment_id"]}
            abandoned_at = max([slot(cart["date_key"], cart["time_key"])] + [e["at"] for e in events])
            journey.add("cart_abandoned", CARTS, key, abandoned_at)
            for step in EMAIL_STEPS:
                if cart[step]:
                    journey.add(step, CARTS, key, abandoned_at)
            recovery = recovery_sessions[cart_session]
            placed_at = self.add_session(journey, sessions.get(recovery, []))
            if recovery in orders:
                assert placed_at is not None, "orders holds sessions with a purchase"
                self.add_order(journey, lines.get(orders[recovery], []), placed_at)
            journeys.append(journey)
        return journeys

    def cart_abandonment(self) -> list[Journey]:
        """A cart left in its session, and the recovery emails that did not bring it back."""
        return self.abandoned(recovered=False)

    def recovered_cart(self) -> list[Journey]:
        """A cart left in its session, the email, and the recovery visit's order on the recovery day."""
        return self.abandoned(recovered=True)

    def lost_to_stockout(self) -> list[Journey]:
        """A request stock could fill only in part, the day's empty shelf, its stockout episode and the receipt ending it."""
        line, episode = self.table(SALES).alias("l"), self.table(STOCKOUTS).alias("e")
        joined = line.where("is_inventory_constrained").join(
            episode.where("lost_sales_attempts > 0"),
            (F.col("l.product_key") == F.col("e.product_key")) & (F.col("l.location_key") == F.col("e.location_key"))
            & (F.col("l.date_key") >= F.col("e.stockout_start_date_key"))
            & (F.col("l.date_key") <= F.coalesce(F.col("e.stockout_end_date_key"), F.lit(99991231))))
        picks = self.pick(joined.select("l.line_item_id", "l.customer_key", "l.product_key", "l.location_key",
                                        "l.date_key", "l.time_key", "e.stockout_id", "e.stockout_start_date_key",
                                        "e.stockout_end_date_key"), "line_item_id")
        wanted = [(p["product_key"], p["location_key"], next_day_key(p["stockout_end_date_key"]))
                  for p in picks if p["stockout_end_date_key"] is not None]
        receipts: dict[tuple[int, int, int], Row] = {}
        if wanted:
            condition = F.lit(False)
            for product, location, date_key in wanted:
                condition = condition | ((F.col("product_key") == product) & (F.col("to_location_key") == location)
                                         & (F.col("date_key") == date_key))
            for r in (self.table(MOVEMENTS).where((F.col("movement_type") == "receipt") & condition)
                      .select("movement_id", "product_key", "to_location_key", "date_key").orderBy("movement_id").collect()):
                receipts.setdefault((r["product_key"], r["to_location_key"], r["date_key"]), r)
        journeys = []
        for p in picks:
            journey = Journey(f"lost-to-stockout-{p['line_item_id']}", p["customer_key"])
            journey.add("stockout_started", STOCKOUTS, {"stockout_id": p["stockout_id"]},
                        day_end(p["stockout_start_date_key"]))
            journey.add("request_partly_filled", SALES, {"line_item_id": p["line_item_id"]},
                        slot(p["date_key"], p["time_key"]))
            journey.add("out_of_stock_at_day_end", INVENTORY,
                        {"product_key": p["product_key"], "location_key": p["location_key"], "date_key": p["date_key"]},
                        day_end(p["date_key"]))
            if p["stockout_end_date_key"] is not None:
                restocked = next_day_key(p["stockout_end_date_key"])
                receipt = receipts.get((p["product_key"], p["location_key"], restocked))
                if receipt is not None:
                    journey.add("receipt_ends_stockout", MOVEMENTS, {"movement_id": receipt["movement_id"]},
                                day_start(restocked))
            journeys.append(journey)
        return journeys

    def return_and_restock(self) -> list[Journey]:
        """A sale, the stock it took, its return, and the restock movement and snapshot of the restock day."""
        movements = self.table(MOVEMENTS).where(F.col("movement_type") == "return").alias("m")
        returned = (self.table(SALES).where("is_return").alias("l")
                    .join(movements, F.col("m.reference_id") == F.col("l.line_item_id")))
        picks = self.pick(returned.select("l.line_item_id", "l.customer_key", "l.date_key", "l.time_key",
                                          F.col("m.movement_id").alias("return_movement_id"), "m.product_key",
                                          "m.to_location_key", F.col("m.date_key").alias("restock_date_key")), "line_item_id")
        sales = {r["reference_id"]: r["movement_id"] for r in
                 self.table(MOVEMENTS).where((F.col("movement_type") == "sale")
                                             & F.col("reference_id").isin([p["line_item_id"] for p in picks]))
                 .select("reference_id", "movement_id").collect()}
        journeys = []
        for p in picks:
            sold_at = slot(p["date_key"], p["time_key"])
            journey = Journey(f"return-and-restock-{p['line_item_id']}", p["customer_key"])
            journey.add("sale", SALES, {"line_item_id": p["line_item_id"]}, sold_at)
            if p["line_item_id"] in sales:
                journey.add("stock_sold", MOVEMENTS, {"movement_id": sales[p["line_item_id"]]}, sold_at)
            journey.add("return_restocked", MOVEMENTS, {"movement_id": p["return_movement_id"]},
                        day_start(p["restock_date_key"]))
            journey.add("stock_after_restock", INVENTORY, {"product_key": p["product_key"], "location_key": p["to_location_key"],
                                                           "date_key": p["restock_date_key"]}, day_end(p["restock_date_key"]))
            journeys.append(journey)
        return journeys


WORKFLOWS = {
    "complete-purchase": Journeys.complete_purchase,
    "cart-abandonment": Journeys.cart_abandonment,
    "recovered-cart": Journeys.recovered_cart,
    "lost-to-stockout": Journeys.lost_to_stockout,
    "return-and-restock": Journeys.return_and_restock,
}


def write_journeys(spark, target, folder: Path, per_workflow: int) -> dict:
    """Write every workflow file and index.yaml; returns the index."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = Journeys(spark, target, per_workflow)
    index = {"source": target.describe(), "workflows": []}
    for name, draw in WORKFLOWS.items():
        journeys = [j.as_yaml() for j in draw(tables) if j.steps]
        document = {"workflow": name, "journey_count": len(journeys), "journeys": journeys}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        entities = sorted({step["table"] for j in journeys for step in j["steps"]})
        index["workflows"].append({"name": name, "file": f"{name}.yaml", "journey_count": len(journeys), "entities": entities})
    (folder / INDEX).write_text(yaml.safe_dump(index, sort_keys=False))
    return index
