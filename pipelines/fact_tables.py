"""Fact tables simulated inside Spark tasks, one task per block of products.

The driver holds only the small `World` (dimensions as arrays), broadcast to
the executors. Each task re-simulates its product blocks and streams the
Arrow batches of one table to the Delta writer. A block's rows depend only
on (seed, block products), never on which partition runs it, so every
partition count gives the same tables; re-running the cheap simulation once
per table costs far less than persisting all facts between writes.
"""

from __future__ import annotations

import datetime as dt

from components.contracts import load_contract
from components.simulation.fact_batches import (
    inventory_batches,
    movement_batches,
    sales_batches,
    stockout_event_batches,
)
from components.simulation.world import World, build_world
from pipelines.delta_tables import spark_schema

FACT_BATCHES = {
    "gold_sales_fact": sales_batches,
    "gold_inventory_fact": inventory_batches,
    "gold_inventory_movement_fact": movement_batches,
    "gold_stockout_events": stockout_event_batches,
}
FACT_TABLES = tuple(FACT_BATCHES)


def simulation_world(config: dict, dimensions: dict) -> World:
    return build_world(config, dimensions, config["seed"])


def product_blocks(config: dict) -> list[tuple[int, int]]:
    count = config["products"]["product_count"]
    size = config["output"]["products_per_block"]
    return [(lo, min(lo + size, count)) for lo in range(0, count, size)]


def fact_frame(spark, table: str, world: World, config: dict, etl_timestamp: dt.datetime):
    """A DataFrame whose partitions simulate product blocks and emit `table`'s rows."""
    blocks = product_blocks(config)
    partitions = config["spark"]["partitions"] or 2 * spark.sparkContext.defaultParallelism
    batch_rows = config["output"]["batch_rows"]
    emit = FACT_BATCHES[table]
    shared_world = spark.sparkContext.broadcast(world)

    def simulate_blocks(block_ids):
        for id_batch in block_ids:
            for block_id in id_batch.column("id").to_pylist():
                lo, hi = blocks[block_id]
                yield from emit(shared_world.value, lo, hi, etl_timestamp, batch_rows)

    ids = spark.range(0, len(blocks), 1, numPartitions=max(1, min(partitions, len(blocks))))
    return ids.mapInArrow(simulate_blocks, spark_schema(load_contract(table)))
