"""`_retail_synth_state`: the simulation state at the end of a run's last day, which `extend` resumes from.

Beside it, `_retail_synth_pending_carts` holds the decision rows of the carts
abandoned by that day whose recovery order comes later (carts.pending_decisions):
the extend's cart fold finishes them. `_retail_synth_affinity_pairs` holds the
affinity aggregate's sums per (customer, product) (spark/affinity_table.py), to
which an extend adds the sums of the rows it added. All three are written the same way.

The walk tasks send each block's end BlockState as rows of
block_state.STATE_SCHEMA (Arrow IPC, never collected on the driver); they are
written here in ONE commit that replaces the table, with an explicit schema
(never inferred) and the run id, so the journal and rollback treat it like a
gold table and the guard counts it as this project's. It is no gold table:
validate, report, export and load read the gold tables of the run's summary.
Rows are keyed by product and location index, so any block size reads it.
"""

from __future__ import annotations

import pyarrow as pa
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from retail_synth.model.simulation.block_state import STATE_SCHEMA, BlockState, from_arrow, to_arrow
from retail_synth.model.simulation.carts import PENDING_DECISION_SCHEMA
from retail_synth.spark.delta_tables import RUN_ID_PROPERTY, Target, last_commit_rows, not_null_constraint

STATE_TABLE = "_retail_synth_state"
PENDING_TABLE = "_retail_synth_pending_carts"          # the decision rows of carts whose recovery is still to come
AFFINITY_PAIRS_TABLE = "_retail_synth_affinity_pairs"  # the affinity aggregate's sums per pair, through the last day
STATE_TABLES = (STATE_TABLE, PENDING_TABLE, AFFINITY_PAIRS_TABLE)   # what a run leaves for the next: journalled like gold tables
LAST_DAY_PROPERTY = "retail_synth.state_last_day"      # the last simulated day index the state ends with
STATE_SPARK_SCHEMA: T.StructType = from_arrow_schema(STATE_SCHEMA)
PENDING_SPARK_SCHEMA: T.StructType = from_arrow_schema(PENDING_DECISION_SCHEMA)


def state_payload(state: BlockState) -> bytes:
    """The block's state as STATE_SCHEMA rows in one LZ4-compressed Arrow IPC stream (a walk task's third part)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, STATE_SCHEMA, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(to_arrow(state))
    return sink.getvalue().to_pybytes()


def state_batches(payloads, batch_rows: int):
    """The STATE_SCHEMA record batches of the payload rows in `payloads` (batches of a `payload` column)."""
    for batch in payloads:
        for payload in batch.column("payload").to_pylist():
            yield from pa.ipc.open_stream(payload).read_all().to_batches(max_chunksize=batch_rows)


def write_state(spark, frame, target: Target, run_id: str, last_day: int) -> int:
    """Replace the state table with `frame`'s STATE_SCHEMA rows in ONE commit; returns the rows written."""
    return replace_state_table(spark, frame, target, STATE_TABLE, STATE_SPARK_SCHEMA, run_id, last_day,
                               "retail-synth's simulation state at the end of the last simulated day (what extend "
                               "resumes from); not a gold table.")


def write_pending_carts(spark, frame, target: Target, run_id: str, last_day: int) -> int:
    """Replace the pending carts table with `frame`'s PENDING_DECISION_SCHEMA rows in ONE commit."""
    return replace_state_table(spark, frame, target, PENDING_TABLE, PENDING_SPARK_SCHEMA, run_id, last_day,
                               "retail-synth's carts abandoned by the last simulated day whose recovery order comes "
                               "later (what extend finishes); not a gold table.")


def replace_state_table(spark, frame, target: Target, table: str, schema: T.StructType, run_id: str, last_day: int,
                        comment: str) -> int:
    """Replace `table` with `frame`'s rows cast to `schema`, in ONE commit tagged with the run and the last day."""
    columns = [F.col(f.name).cast(f.dataType).alias(f.name) for f in schema]
    writer = (frame.select(*columns).writeTo(target.identifier(table)).using("delta")
              .tableProperty("comment", comment)
              .tableProperty(RUN_ID_PROPERTY, run_id)
              .tableProperty(LAST_DAY_PROPERTY, str(last_day)))
    # Delta makes a table created from a query nullable: the NOT NULL columns are CHECK constraints, as in gold
    for f in schema:
        if not f.nullable:
            writer = writer.tableProperty(f"delta.constraints.{not_null_constraint(f.name)}", f"{f.name} IS NOT NULL")
    writer.createOrReplace()
    return last_commit_rows(spark, table, target)


def state_last_day(spark, target: Target, table: str = STATE_TABLE) -> int | None:
    """The last simulated day the target's state (pending carts, pair sums) ends with, or None when it holds none."""
    if not target.exists(spark, table):
        return None
    properties = spark.sql(f"SHOW TBLPROPERTIES {target.identifier(table)}").collect()
    return next((int(p["value"]) for p in properties if p["key"] == LAST_DAY_PROPERTY), None)


def read_state(spark, target: Target) -> pa.Table:
    """Every row of the target's state table, as STATE_SCHEMA (collected on the driver: for tests and extend)."""
    return target.read(spark, STATE_TABLE).select(*STATE_SPARK_SCHEMA.names).toArrow().cast(STATE_SCHEMA)


def read_block_states(spark, target: Target, blocks: list[tuple[int, int]], n_locations: int) -> list[BlockState]:
    """The state of each block [lo, hi) of `blocks`, whatever block size the run that wrote it walked."""
    rows = read_state(spark, target)
    return [from_arrow(rows, lo, hi, n_locations) for lo, hi in blocks]
