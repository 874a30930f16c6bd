"""Fact tables simulated inside Spark tasks.

1. The cart decision pass (walk.decide_carts) runs as ONE Spark task over all
   products: a cart's abandonment depends on stock of products in other
   blocks. Its table (one row per digital cart) stays on the executors; the
   driver fetches only the compact replay view (cart id and three flags).
2. The World, with those decisions, is broadcast once. Each fact table is a
   DataFrame whose tasks re-simulate their product blocks and stream that
   table's Arrow batches to the Delta writer. A block's rows depend only on
   (seed, block products, cart decisions), never on which partition runs
   it, so every partition count gives the same tables; re-running the cheap
   simulation once per table costs far less than persisting all facts.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql.pandas.types import from_arrow_schema

from components.contracts import load_contract
from components.simulation.behaviour_batches import demand_forecast_batches, size_fit_batches
from components.simulation.cart_batches import CART_TABLE, cart_abandonment_batch
from components.simulation.carts import CART_DECISION_SCHEMA, decisions_from_table
from components.simulation.event_batches import EVENT_TABLE, customer_event_batches
from components.simulation.fact_batches import (
    inventory_batches,
    movement_batches,
    sales_batches,
    stockout_event_batches,
)
from components.simulation.walk import decide_carts
from components.simulation.world import build_world
from pipelines.delta_tables import spark_schema

FACT_BATCHES = {
    "gold_sales_fact": sales_batches,
    "gold_inventory_fact": inventory_batches,
    "gold_inventory_movement_fact": movement_batches,
    "gold_stockout_events": stockout_event_batches,
    "gold_demand_forecast_fact": demand_forecast_batches,
    "gold_size_fit_bridge": size_fit_batches,
}
FACT_TABLES = (*FACT_BATCHES, CART_TABLE, EVENT_TABLE)
REPLAY_COLUMNS = ("cart", "abandoned", "recovery_ordered", "low_items")


def product_blocks(config: dict) -> list[tuple[int, int]]:
    count = config["products"]["product_count"]
    size = config["output"]["products_per_block"]
    return [(lo, min(lo + size, count)) for lo in range(0, count, size)]


class FactSimulation:
    """The simulated facts of one run, as lazily evaluated DataFrames."""

    def __init__(self, spark, config: dict, dimensions: dict, etl_timestamp: dt.datetime):
        self.spark = spark
        self.config = config
        self.etl_timestamp = etl_timestamp
        self.batch_rows = config["output"]["batch_rows"]
        world = build_world(config, dimensions, config["seed"])
        self.cart_decisions = self._decide_carts(world).persist()
        world.carts = decisions_from_table(self.cart_decisions.select(*REPLAY_COLUMNS).toArrow())
        self.world = spark.sparkContext.broadcast(world)

    def _decide_carts(self, world):
        batch_rows = self.batch_rows

        def decide(_ids):
            yield from decide_carts(world).to_batches(max_chunksize=batch_rows)

        return self.spark.range(0, 1, 1, numPartitions=1).mapInArrow(decide, from_arrow_schema(CART_DECISION_SCHEMA))

    def frame(self, table: str):
        """A DataFrame whose tasks produce `table`'s rows."""
        schema = spark_schema(load_contract(table))
        shared_world, etl_timestamp, batch_rows = self.world, self.etl_timestamp, self.batch_rows
        if table == CART_TABLE:
            def abandoned_carts(decision_batches):
                for batch in decision_batches:
                    yield cart_abandonment_batch(shared_world.value, batch, etl_timestamp)

            return self.cart_decisions.mapInArrow(abandoned_carts, schema)
        if table == EVENT_TABLE:
            def customer_events(decision_batches):
                for batch in decision_batches:
                    yield from customer_event_batches(shared_world.value, batch, batch_rows)

            # a cart's events depend on its decision row only: spreading the rows over tasks changes no event
            return self.cart_decisions.repartition(self._partitions()).mapInArrow(customer_events, schema)

        blocks = product_blocks(self.config)
        partitions = self._partitions()
        emit = FACT_BATCHES[table]

        def simulate_blocks(block_ids):
            for id_batch in block_ids:
                for block_id in id_batch.column("id").to_pylist():
                    lo, hi = blocks[block_id]
                    yield from emit(shared_world.value, lo, hi, etl_timestamp, batch_rows)

        ids = self.spark.range(0, len(blocks), 1, numPartitions=max(1, min(partitions, len(blocks))))
        return ids.mapInArrow(simulate_blocks, schema)

    def _partitions(self) -> int:
        return self.config["spark"]["partitions"] or 2 * self.spark.sparkContext.defaultParallelism

    def close(self) -> None:
        self.cart_decisions.unpersist()
        self.world.unpersist()
