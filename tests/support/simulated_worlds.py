"""Tiny simulation worlds for the Spark-free tests, built once per configuration."""

import datetime as dt
import threading
from functools import lru_cache

import pyarrow as pa

from retail_synth.model.dimensions.run_dimensions import build_dimensions
from retail_synth.model.simulation.carts import CART_LINE_SCHEMA, decision_table
from retail_synth.model.simulation.walk import (
    product_blocks,
    simulate_block,
    walk_blocks,
)
from retail_synth.model.simulation.world import build_world
from retail_synth.spec.configuration import resolve

ETL_TIMESTAMP = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)     # the dimensions' etl_timestamp: no simulation reads it
# every anomaly type at rates high enough for tiny's 60 products, on top of an outage (like anomaly-heavy)
ANOMALY_HEAVY = (
    "scenario.outage_location_id=WH-NWK-001", "anomalies.shrinkage_rate=0.02", "anomalies.late_delivery_rate=0.05",
    "anomalies.demand_spike_rate=0.08", "anomalies.price_error_rate=0.1",
)


@lru_cache(maxsize=8)
def tiny_dimensions(*assignments: str):
    """(config, dimension tables) of the tiny preset with `--set` style assignments."""
    config = resolve(preset="tiny", assignments=list(assignments))
    return config, build_dimensions(config, ETL_TIMESTAMP)


@lru_cache(maxsize=8)
def tiny_world(*assignments: str):
    """The tiny preset's World, with its customers' history."""
    config, dims = tiny_dimensions(*assignments)
    return build_world(config, dims, config.seed)


@lru_cache(maxsize=4)
def tiny_block(*assignments: str):
    """(world, the whole catalogue walked as one block): exact, since every cart's items are in it."""
    world = tiny_world(*assignments)
    return world, simulate_block(world, 0, world.n_products)


def catalogue_blocks(world, size: int) -> list[tuple[int, int]]:
    """The catalogue as blocks of `size` products, [lo, hi) each."""
    return product_blocks(world.n_products, size)


def walked_in_blocks(world, size: int):
    """The catalogue walked as blocks of `size` products in lock-step, as the Spark walk does."""
    return list(walk_blocks(world, catalogue_blocks(world, size)))


def walked_by_tasks(world, size: int, tasks: int, lookahead_days: int, states=None, **options) -> tuple[list, int]:
    """(the catalogue's block results in block order, the exchanges made) when `tasks` threads walk its blocks.

    Block b goes to task b % tasks, as in the Spark walk; the threads agree on
    the shared carts through an in-process stand-in for BarrierTaskContext.allGather.
    `states` (one per block, in block order) and `options` (stop_day, end_states) go to walk_blocks.
    """
    blocks = catalogue_blocks(world, size)
    # a thread that fails breaks the barrier (timeout) instead of leaving the others waiting for ever
    barrier, sent, exchanges, results = threading.Barrier(tasks, timeout=120), [None] * tasks, [0], {}

    def gather_for(task):
        def gather(cart_ids):
            sent[task] = cart_ids
            barrier.wait()
            received = [sent[task], *sent[:task], *sent[task + 1:]]
            if barrier.wait() == 0:
                exchanges[0] += 1
            return received
        return gather

    def walk(task):
        mine = list(range(task, len(blocks), tasks))
        resumed = [states[b] for b in mine] if states else None
        results.update(zip(mine, walk_blocks(world, [blocks[b] for b in mine], gather_for(task), lookahead_days,
                                             states=resumed, **options), strict=True))

    threads = [threading.Thread(target=walk, args=(task,)) for task in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[b] for b in range(len(blocks))], exchanges[0]


def cart_decisions(results) -> pa.Table:
    """The cart decision table folded from the cart lines of `results`."""
    return decision_table(pa.concat_tables(pa.Table.from_pydict(r.cart_lines, schema=CART_LINE_SCHEMA) for r in results))


@lru_cache(maxsize=4)
def tiny_decisions(*assignments: str):
    """(world, the tiny run's cart decision table)."""
    world, block = tiny_block(*assignments)
    return world, cart_decisions([block])
