"""Which producer fills each gold table and in which order tables are written, all read from the contracts.

A contract's `source:` names its producer (contracts.SOURCES); nothing here
lists a table by hand, so adding a contract with a source and a table module
adds the table to every list below and to the run.

  walk, carts   `retail_synth.tables.<table without gold_>.batches`, fed its view of the World:
                see `producer` and `formatter` (what each reads: tables/views.py)
  dimensions    src/retail_synth/spark/dimension_tables.py, on the driver
  facts         Spark SQL over facts already written (src/retail_synth/spark/affinity_table.py)

Writing order: source by source in contracts.SOURCES order (dimensions,
walk, carts, then the `facts` tables, which read written facts), and within a
source by the contract's `write_order`. An explicit integer rather than an
order derived from the foreign keys, because the keys cannot give it: the six
dimensions reference none of each other, so any order of them satisfies the
keys (today's date, time, channel, location, product, customer would need an
arbitrary tie-break), and the `facts` tables depend on the facts through SQL,
not through a key. The keys still bound it: importing this module fails if
the order would write a table before one its foreign keys reference, or if
two tables of a source share a write_order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from retail_synth.spec.contracts import SOURCES, all_tables, load_contract

if TYPE_CHECKING:
    import pyarrow as pa

    from retail_synth.model.simulation.world import World

PRODUCED_SOURCES = ("walk", "carts")      # the sources whose tables a retail_synth.tables module formats


def tables_of(source: str) -> tuple[str, ...]:
    """The tables a source fills, in writing order."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    tables = [t for t in all_tables() if load_contract(t).source == source]
    return tuple(sorted(tables, key=lambda t: load_contract(t).write_order))


def producer(table: str) -> Callable:
    """The `batches(view, part, etl_timestamp, batch_rows)` function of a walk or carts table."""
    return _module(table).batches


def formatter(table: str, world: World, first_day: int = 0) -> Callable[[object, object, int], Iterator[pa.RecordBatch]]:
    """`table`'s batches bound to its view of `world`: formatter(part, etl_timestamp, batch_rows).

    The view (the module's VIEW, built by tables/views.py) is built here, once
    per table, and is all a task formatting the table is sent. `first_day` is
    the run's first simulated day (0, or the day a continuation resumes at);
    the cart tables' views take it, the walk tables read it from their
    BlockResult.
    """
    module = _module(table)
    if load_contract(table).source == "carts":
        return partial(module.batches, module.VIEW.of(world, first_day))
    return partial(module.batches, module.VIEW.of(world))


def _module(table: str) -> ModuleType:
    """The module of a walk or carts table.

    Imported by name on first use, so reading the table lists does not import
    the simulation (the dimension pipeline and the validator only need names).
    """
    source = load_contract(table).source
    if source not in PRODUCED_SOURCES:
        raise ValueError(f"{table} is filled by '{source}', not by a retail_synth.tables module")
    module = import_module(f"{__package__}.{table.removeprefix('gold_')}")
    if table != module.TABLE:
        raise ValueError(f"{module.__name__} formats {module.TABLE}, not {table}")
    return module


def _checked_order(written: tuple[str, ...]) -> tuple[str, ...]:
    for source in SOURCES:
        orders = [load_contract(t).write_order for t in tables_of(source)]
        if len(set(orders)) != len(orders):
            raise ValueError(f"two '{source}' contracts share a write_order: {orders}")
    position = {table: i for i, table in enumerate(written)}
    for table in written:
        for key in load_contract(table).foreign_keys:
            if key.table != table and position.get(key.table, len(written)) > position[table]:
                raise ValueError(f"{table} would be written before {key.table}, which its {key.column} references")
    return written


DIMENSION_TABLES = tables_of("dimensions")
WALK_TABLES = tables_of("walk")
CART_TABLES = tables_of("carts")
DERIVED_TABLES = tables_of("facts")                 # computed from written facts
FACT_TABLES = WALK_TABLES + CART_TABLES             # the simulated facts
WRITTEN_TABLES = _checked_order(tuple(t for source in SOURCES for t in tables_of(source)))
