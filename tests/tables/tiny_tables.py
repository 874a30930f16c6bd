"""The simulated tables of the tiny preset, formatted by their registry producers (no Spark)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pyarrow as pa

from retail_synth.spec.contracts import arrow_schema
from retail_synth.tables.registry import CART_TABLES, formatter
from tests.support.simulated_worlds import tiny_block, tiny_decisions

ETL = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def formatted(table: str, world, inputs, batch_rows: int = 500) -> pa.Table:
    """`table` as one Arrow table, from block results (walk tables) or decision batches (cart tables)."""
    produce = formatter(table, world)
    return pa.Table.from_batches([b for part in inputs for b in produce(part, ETL, batch_rows)],
                                 schema=arrow_schema(table))


def decision_batches(decisions: pa.Table) -> list[pa.RecordBatch]:
    """The decision table as the record batches a Spark task hands the cart tables."""
    return decisions.combine_chunks().to_batches(max_chunksize=max(decisions.num_rows, 1))


@lru_cache(maxsize=16)
def tiny_table(table: str, *assignments: str) -> pa.Table:
    """`table` of the tiny preset: walk tables from the whole catalogue as one block, cart tables from its decisions."""
    if table in CART_TABLES:
        world, decisions = tiny_decisions(*assignments)
        return formatted(table, world, decision_batches(decisions), batch_rows=1 << 30)
    world, block = tiny_block(*assignments)
    return formatted(table, world, [block])
