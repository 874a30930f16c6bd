"""The walk as one Spark stage; every simulated table is formatted from its persisted output.

1. Walk. `spark.range(tasks).mapInArrow(..)`: each task walks its share of
   the product blocks in lock-step (walk.walk_blocks) and yields, per block,
   its BlockResult and its cart lines, pickled and LZ4-compressed, and its
   end state as STATE_SCHEMA rows (LZ4 Arrow IPC, for `_retail_synth_state`).
   Nothing is simulated again after this stage. The walk runs in the fewest
   tasks that hold at most `spark.walk_blocks_per_task` blocks each
   (walk_tasks): an exchange walks each day several times over, so more
   tasks cost more than they share out. Tasks that share carts agree on
   their flags by `spark.cart_exchange`:
   - barrier (the default): the tasks run at once in a barrier stage. They
     walk 24 weeks at a time and agree on the flags of the carts they share
     (walk.agree_with_tasks); each round is one `BarrierTaskContext.allGather`
     of the shared carts found low. Spark's barrier call polls once a second,
     so a round costs about 1 s.
   - stages: rounds of ordinary Spark stages (model/simulation/rounds.py). A
     round's tasks hand their blocks' states to the next round through a
     local checkpoint, and report the shared carts they found low as a few
     rows the driver pools. Once every day is agreed on, one more stage walks
     each task's blocks with every flag known. No task waits for another, so
     the tasks may outnumber the cores, and executors may come and go
     (dynamic allocation). The walk takes this exchange where barrier stages
     are refused, and where the barrier's tasks would outnumber the cores.
   - pilot: one task walks every block in lock-step recording nothing, a few
     months of demand at a time, and reports the flags of the carts two blocks
     share (model/simulation/pilot.py); the driver collects them, and one
     stage walks each task's blocks with them, as the staged exchange's last
     stage does. Each day is walked twice in all; no task waits for another.
   - in_task: one task walks every block, whatever the cap; the daily pool of
     low carts is a union inside that task. Where one task holds every block,
     the walk runs so whatever the exchange.
   No task holds the daily series of more blocks than the cap at once: a task
   with more (in_task) first walks them all recording nothing, to find the
   flags of the carts its blocks share, then walks them the cap at a time
   (walk.walk_apart).
2. Keep. The walk's rows are hash-partitioned by block (a shuffle, which also
   ends the barrier stage) and kept as a local checkpoint on the executors'
   disks, so the driver never holds a fact row and the walk runs once per
   run (on_disk: a checkpoint streams its rows, where a cache would build an
   xl partition's 45 blocks, 400 MB, into one batch in the JVM heap).
3. Format. Each block table is `mapInArrow` over the persisted blocks with
   its producer from retail_synth.tables, bound to the table's view of the
   world (registry.formatter: its tasks are sent the view, not the World);
   the cart decision table folds the cart lines of every block per cart
   (repartitioned by cart, so no task holds every cart) and feeds the cart
   abandonment and customer event tables.
Every step uses DataFrame operations only, so Spark Connect runs it as it is.
"""

from __future__ import annotations

import base64
import datetime as dt
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from retail_synth.model.simulation.block_state import STATE_SCHEMA, from_arrow
from retail_synth.model.simulation.carts import (
    CART_DECISION_SCHEMA,
    CART_LINE_SCHEMA,
    PENDING_DECISION_SCHEMA,
    decision_table,
    pending_decisions,
)
from retail_synth.model.simulation.pilot import pilot_flags
from retail_synth.model.simulation.rounds import RoundPlan, Rounds, agree_in_rounds, task_blocks, walk_agreed, walk_round
from retail_synth.model.simulation.walk import BlockResult, product_blocks, walk_blocks
from retail_synth.model.simulation.world import World, build_world
from retail_synth.spark.delta_tables import spark_schema
from retail_synth.spark.session import default_parallelism
from retail_synth.spark.state_table import (
    PENDING_SPARK_SCHEMA,
    STATE_SPARK_SCHEMA,
    state_batches,
    state_payload,
)
from retail_synth.spec.contracts import load_contract
from retail_synth.spec.run_config import RunConfig
from retail_synth.tables.registry import CART_TABLES, WALK_TABLES, formatter

BLOCK_ROWS = T.StructType([
    T.StructField("block", T.IntegerType(), False),
    T.StructField("part", T.StringType(), False),        # RESULT, CART_LINES or STATE
    T.StructField("payload", T.BinaryType(), False),
])
BLOCK_ROWS_ARROW = to_arrow_schema(BLOCK_ROWS)
RESULT, CART_LINES, STATE = "result", "cart_lines", "state"
ROUND_ROWS = T.StructType([       # what a round of the staged exchange reads and writes, per task
    T.StructField("task", T.IntegerType(), False),
    T.StructField("kind", T.StringType(), False),        # TASK (a task's marker), STATE (a block's) or FOUND
    T.StructField("block", T.IntegerType(), False),      # STATE: the block (-1 otherwise)
    T.StructField("payload", T.BinaryType(), False),     # STATE: its BlockState packed; FOUND: the cart ids packed
])
ROUND_ROWS_ARROW = to_arrow_schema(ROUND_ROWS)
TASK, FOUND = "task", "found"
FOLD_ORDERS = 250_000     # orders whose cart lines one task of the cart decisions folds at once (bounds its memory)
TASK_COLUMN, SLOT_COLUMN = "_walk_task", "_walk_slot"     # an extend's state rows: the walk task that resumes them
CARRIED_COLUMN = "_carried"     # an extend's cart fold: a pending cart's row carried from the run before, not a line


@dataclass(frozen=True)
class Resume:
    """Where an extend's walk starts: the first new simulation day and the state rows it resumes from."""

    first_day: int
    state: DataFrame            # the target's state table (block_state.STATE_SCHEMA), read by the walk tasks
    pending: DataFrame          # the target's pending carts (carts.PENDING_DECISION_SCHEMA), folded with the new lines


def pack(value) -> bytes:
    """`value` pickled with its arrays out of band, each LZ4-compressed: no uncompressed copy of it is made."""
    arrays: list[pickle.PickleBuffer] = []
    head = pickle.dumps(value, protocol=5, buffer_callback=arrays.append)
    return pickle.dumps((head, [(a.raw().nbytes, pa.compress(a.raw(), codec="lz4", asbytes=True)) for a in arrays]),
                        protocol=5)


def unpack(payload: bytes):
    """The value `pack` made `payload` of."""
    head, arrays = pickle.loads(payload)
    return pickle.loads(head, buffers=[pa.decompress(packed, decompressed_size=size, codec="lz4")
                                       for size, packed in arrays])     # mutable buffers: writeable arrays


def unpacked(batches):
    """The values packed in the payload rows of `batches`, one at a time (one payload copied out at a time)."""
    for batch in batches:
        for payload in batch.column("payload"):
            yield unpack(payload.as_py())


def on_disk(frame: DataFrame) -> DataFrame:
    """`frame` computed now and kept on the executors' disks as a local checkpoint.

    A checkpoint streams its rows; a DataFrame cache would first build each
    partition's payloads into one columnar batch in the JVM heap.
    """
    return frame.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)


def _round_rows(task: int, kind: str, blocks: list[int], payloads: list[bytes]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"task": [task] * len(payloads), "kind": [kind] * len(payloads),
                                       "block": blocks, "payload": payloads}, schema=ROUND_ROWS_ARROW)


def _task_and_states(batches) -> tuple[int, list | None]:
    """(the task a round's partition belongs to, its blocks' states in block order; None: none yet)."""
    rows = pa.Table.from_batches(list(batches), schema=ROUND_ROWS_ARROW)
    found = pc.unique(rows["task"]).to_pylist()
    if len(found) != 1:
        raise RuntimeError(f"a walk task received the rows of tasks {found}; each task takes its own")
    states = rows.filter(pc.equal(rows["kind"], STATE)).sort_by("block")
    return found[0], (list(unpacked(states.to_batches())) or None)


def _round_function(world: World, dealt: list[list[tuple[int, int]]], plan: RoundPlan):
    """The function each task of a round runs: its finds and its blocks' states at plan.resume, as ROUND_ROWS."""
    tasks = len(dealt)

    def run(batches):
        task, states = _task_and_states(batches)
        found, handed = walk_round(world, dealt[task], states, plan, task)
        yield _round_rows(task, FOUND, [-1], [pack(found)])
        if handed is not None:
            for index, state in enumerate(handed):
                yield _round_rows(task, STATE, [task + index * tasks], [pack(state)])

    return run


def _pilot_function(world: World, blocks: list[tuple[int, int]], resumed: bool):
    """The function the pilot's one task runs: the flags of the carts two blocks share, as one FOUND row.

    Resumed, it reads the state rows of every block (STATE_SCHEMA); else its input is a single marker row.
    """

    def run(batches):
        states = None
        if resumed:
            rows = pa.Table.from_batches(list(batches)).select(STATE_SCHEMA.names).cast(STATE_SCHEMA)
            states = [from_arrow(rows, lo, hi, world.n_locations) for lo, hi in blocks]
            del rows
        else:
            for _ in batches:
                pass
        yield _round_rows(0, FOUND, [-1], [pack(pilot_flags(world, blocks, states))])

    return run


def _agreed_walk_function(world: World, dealt: list[list[tuple[int, int]]], agreed: np.ndarray, series_blocks: int):
    """The function each task of the staged exchange's last stage runs: its blocks, walked with every flag agreed."""
    tasks = len(dealt)

    def walk(batches):
        task, states = _task_and_states(batches)
        mine = list(range(task, task + len(dealt[task]) * tasks, tasks))
        yield from _block_rows(mine, walk_agreed(world, dealt[task], agreed, states, series_blocks))

    return walk


def _states_as_round_rows(world: World, blocks: list[tuple[int, int]], tasks: int):
    """An extend's state rows (STATE_SCHEMA, with TASK_COLUMN) as the ROUND_ROWS a staged walk starts from."""

    def convert(batches):
        rows = pa.Table.from_batches(list(batches))
        for task in pc.unique(rows[TASK_COLUMN]).to_pylist():
            mine = rows.filter(pc.equal(rows[TASK_COLUMN], task)).select(STATE_SCHEMA.names).cast(STATE_SCHEMA)
            for block in range(task, len(blocks), tasks):
                yield _round_rows(task, STATE, [block], [pack(from_arrow(mine, *blocks[block], world.n_locations))])

    return convert


def walk_tasks(exchange: str, blocks: int, cores: int, blocks_per_task: int) -> tuple[str, int]:
    """(the exchange the walk takes, its tasks): the fewest tasks that hold at most `blocks_per_task` blocks each.

    An exchange walks each day several times over (its rounds), so more tasks
    than the cap needs cost more than they share out; one task, where the
    catalogue fits it, walks with no exchange at all. barrier needs its tasks
    running at once: where they outnumber `cores`, the walk takes stages.
    """
    needed = min(blocks, -(-blocks // blocks_per_task))
    if exchange == "in_task" or needed < 2:
        return "in_task", 1
    if exchange == "barrier" and needed > cores:
        exchange = "stages"
    return exchange, needed


def _gathered_by_barrier(cart_ids: np.ndarray) -> list[np.ndarray]:
    """Every barrier task's cart ids, this task's first (walk.Gather): one allGather of this task's."""
    from pyspark import BarrierTaskContext

    context = BarrierTaskContext.get()
    sent = base64.b64encode(cart_ids.astype("<i8").tobytes()).decode("ascii")
    every = [np.frombuffer(base64.b64decode(m), dtype="<i8") for m in context.allGather(sent)]
    return [every.pop(context.partitionId()), *every]


def _walk_function(world: World, blocks: list[tuple[int, int]], tasks: int, barrier: bool, series_blocks: int):
    """The function each walk task runs: its blocks, every day in lock-step, then one row per block and part."""
    gather = _gathered_by_barrier if barrier else None

    def walk(task_ids):
        for ids in task_ids:
            for task in ids.column("id").to_pylist():
                mine = list(range(task, len(blocks), tasks))
                yield from _block_rows(mine, walk_blocks(world, [blocks[b] for b in mine], gather, end_states=True,
                                                         series_blocks=series_blocks))

    return walk


def _resumed_walk_function(world: World, blocks: list[tuple[int, int]], tasks: int, barrier: bool,
                           series_blocks: int):
    """The walk of an extend: each task receives the state rows of its blocks (and only those) and walks on from them."""
    gather = _gathered_by_barrier if barrier else None

    def walk(batches):
        rows = pa.Table.from_batches(list(batches))
        found = pc.unique(rows[TASK_COLUMN]).to_pylist()
        if len(found) != 1:
            raise RuntimeError(f"a walk task received the state rows of tasks {found}; each task takes its own")
        mine = list(range(found[0], len(blocks), tasks))
        states = [from_arrow(rows.select(STATE_SCHEMA.names).cast(STATE_SCHEMA), *blocks[b], world.n_locations)
                  for b in mine]
        del rows
        yield from _block_rows(mine, walk_blocks(world, [blocks[b] for b in mine], gather, states=states,
                                                 end_states=True, series_blocks=series_blocks))

    return walk


def _block_rows(mine: list[int], results: Iterator[BlockResult]) -> Iterator[pa.RecordBatch]:
    """One BLOCK_ROWS batch per walked block: its result, its cart lines and its end state."""
    for block in mine:
        # packed one part at a time, each freed once packed: the task peaks with its largest block
        result = next(results)
        lines, result.cart_lines = result.cart_lines, None  # type: ignore[assignment]  # sent as a part of its own
        state, result.end_state = result.end_state, None
        if state is None:
            raise RuntimeError(f"the walk of block {block} returned no end state")
        rows = [pack(result)]
        del result
        rows.append(pack(lines))
        del lines
        rows.append(state_payload(state))
        del state
        yield pa.RecordBatch.from_pydict(
            {"block": [block] * 3, "part": [RESULT, CART_LINES, STATE],
             "payload": rows},
            schema=BLOCK_ROWS_ARROW,
        )


def _with_carried_rows(lines: DataFrame, pending: DataFrame) -> DataFrame:
    """Cart lines and carried pending-cart rows in one frame (the other's columns NULL), told apart by CARRIED_COLUMN."""
    line_fields = {f.name: f.dataType for f in from_arrow_schema(CART_LINE_SCHEMA)}
    pending_fields = {f.name: f.dataType for f in PENDING_SPARK_SCHEMA}
    names = list(dict.fromkeys([*line_fields, *pending_fields]))

    def padded(frame: DataFrame, own: dict, carried: bool) -> DataFrame:
        types = {**pending_fields, **line_fields}
        return frame.select(*[F.col(n) if n in own else F.lit(None).cast(types[n]).alias(n) for n in names],
                            F.lit(carried).alias(CARRIED_COLUMN))

    return padded(lines, line_fields, False).unionByName(padded(pending, pending_fields, True))


class WalkStage:
    """The simulated tables of one run, as DataFrames over the walk's persisted output.

    `walk()` then `decide_carts()` materialise the two persisted steps (the
    generation job runs them beside the dimension writes); `frame(table)`
    is ready once the step its table reads has run.
    """

    def __init__(self, spark, config: RunConfig, dimensions: dict, etl_timestamp: dt.datetime, progress=print,
                 resume: Resume | None = None):
        self.spark = spark
        self.resume = resume
        self.progress = progress
        self.etl_timestamp = etl_timestamp
        self.batch_rows = config.output.batch_rows
        self.world = build_world(config, dimensions, config.seed)
        self.days = config.simulated_days
        self.first_day = resume.first_day if resume else 0
        self.partitions = config.spark.partitions or 2 * default_parallelism(spark)
        self.seconds: dict[str, float] = {}
        self.blocks = product_blocks(config.products.product_count, config.output.products_per_block)
        self.blocks_per_task = config.spark.walk_blocks_per_task
        cores = min(len(self.blocks), default_parallelism(spark), config.spark.partitions or len(self.blocks))
        self.exchange, self.tasks = walk_tasks(config.spark.cart_exchange, len(self.blocks), cores,
                                               self.blocks_per_task)
        self.rounds = 0                             # rounds of the staged exchange (set by walk())
        self.fallback = ""                          # why the walk left barrier for stages (set by walk())
        self._slots: dict[int, int] = {}            # task -> a partitioning value that lands in its partition
        self.walked: DataFrame | None = None        # set by walk()
        self.decisions: DataFrame | None = None     # set by decide_carts()

    def walk(self) -> None:
        """Walk every block once and keep the output on the executors."""
        self.progress(f"walking {len(self.blocks)} product blocks over {self.days} days in {self.tasks} "
                      f"task{'s' * (self.tasks > 1)} (cart exchange: {self.exchange}) ...")
        started = time.perf_counter()
        try:
            self.walked = self._persisted_walk()
        except Exception as error:       # a cluster without barrier stages (e.g. dynamic allocation)
            if self.exchange != "barrier" or "barrier" not in str(error).lower():
                raise
            self.exchange, self.tasks = walk_tasks("stages", len(self.blocks), self.tasks, self.blocks_per_task)
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            self.fallback = next((line for line in lines if "barrier" in line.lower()), type(error).__name__)[:300]
            self.progress(f"barrier stages are not available here ({self.fallback[:160]}); "
                          f"walking in {self.tasks} tasks in rounds of stages instead")
            self.walked = self._persisted_walk()
        self.seconds["walk"] = round(time.perf_counter() - started, 2)
        exchanged = {"stages": f" ({self.rounds} rounds: {self.seconds.get('rounds', 0):.1f} s)",
                     "pilot": f" (the pilot walk: {self.seconds.get('pilot', 0):.1f} s)"}.get(self.exchange, "")
        self.progress(f"walked in {self.seconds['walk']:.1f} s{exchanged}")

    def decide_carts(self) -> None:
        """Fold the walked cart lines into the cart decision table and keep it."""
        started = time.perf_counter()
        decisions = self._decisions().persist(StorageLevel.DISK_ONLY)   # the heap is the Parquet writers'
        self.decisions = decisions
        carts = decisions.count()
        self.seconds["carts"] = round(time.perf_counter() - started, 2)
        self.progress(f"{carts:,} carts decided in {self.seconds['carts']:.1f} s")

    def _persisted_walk(self):
        """The walk's rows, computed once and kept on the executors' disks."""
        barrier = self.exchange == "barrier"
        if self.exchange in ("stages", "pilot"):
            rows = self._staged_walk()
        elif self.resume is None:
            walk = _walk_function(self.world, self.blocks, self.tasks, barrier, self.blocks_per_task)
            ids = self.spark.range(0, self.tasks, 1, numPartitions=self.tasks)
            rows = ids.mapInArrow(walk, BLOCK_ROWS, barrier=barrier)
        else:
            walk = _resumed_walk_function(self.world, self.blocks, self.tasks, barrier, self.blocks_per_task)
            rows = self._state_by_task(self.resume.state).mapInArrow(walk, BLOCK_ROWS, barrier=barrier)
        return on_disk(rows.repartition(min(len(self.blocks), self.partitions), "block"))

    def _staged_walk(self) -> DataFrame:
        """The walk's BLOCK_ROWS by stages: the shared flags (rounds, or the pilot), then one walk stage."""
        tasks, world = self.tasks, self.world
        dealt = task_blocks(self.blocks, tasks)
        markers = self.spark.range(0, tasks, 1, numPartitions=tasks).select(
            F.col("id").cast("int").alias("task"), F.lit(TASK).alias("kind"), F.lit(-1).alias("block"),
            F.lit(b"").cast("binary").alias("payload"))
        initial = None
        if self.resume is not None:
            initial = on_disk(self._state_by_task(self.resume.state)
                              .mapInArrow(_states_as_round_rows(world, self.blocks, tasks), ROUND_ROWS))
        agreed = self._piloted_flags() if self.exchange == "pilot" else self._flags_in_rounds(dealt, markers, initial)
        rows = self._by_task(markers if initial is None else markers.unionByName(initial))
        return rows.mapInArrow(_agreed_walk_function(world, dealt, agreed, self.blocks_per_task), BLOCK_ROWS)

    def _piloted_flags(self) -> np.ndarray:
        """The flags of every cart two blocks share, found by the pilot walk in one task (pilot.py)."""
        started = time.perf_counter()
        if self.resume is None:
            source = self.spark.range(0, 1, 1, numPartitions=1)
        else:
            source = self.resume.state.select(*STATE_SPARK_SCHEMA.names).coalesce(1)
        function = _pilot_function(self.world, self.blocks, self.resume is not None)
        reports = source.mapInArrow(function, ROUND_ROWS).select("payload").collect()
        if len(reports) != 1:
            raise RuntimeError(f"the pilot walk reported {len(reports)} times; it reports once")
        flags = unpack(reports[0]["payload"])
        self.seconds["pilot"] = round(time.perf_counter() - started, 2)
        self.progress(f"  pilot walk: {len(flags):,} carts two blocks share found low ({self.seconds['pilot']:.1f} s)")
        return flags

    def _flags_in_rounds(self, dealt: list[list[tuple[int, int]]], markers: DataFrame,
                         initial: DataFrame | None) -> np.ndarray:
        """The flags of every cart two walk tasks share, agreed in rounds of stages (rounds.py)."""
        tasks, world = self.tasks, self.world
        states = [initial]                      # the states the next round starts from (None: the opening stock)

        def run_round(plan: RoundPlan) -> list[np.ndarray]:
            started = time.perf_counter()
            rows = self._by_task(markers if states[0] is None else markers.unionByName(states[0]))
            out = on_disk(rows.mapInArrow(_round_function(world, dealt, plan), ROUND_ROWS))
            reports = out.where(F.col("kind") == FOUND).select("task", "payload").collect()
            found = {row["task"]: unpack(row["payload"]) for row in reports}
            if sorted(found) != list(range(tasks)):
                raise RuntimeError(f"a round heard from tasks {sorted(found)} of {tasks}")
            states[0] = out.where(F.col("kind") == STATE) if plan.resume > plan.start else states[0]
            round_seconds.append(time.perf_counter() - started)
            return [found[task] for task in range(tasks)]

        def report(rounds: Rounds) -> None:
            self.progress(f"  round {rounds.rounds}: days agreed through {rounds.resume:,} of {rounds.stop_day:,} "
                          f"({round_seconds[-1]:.1f} s)")

        round_seconds: list[float] = []
        rounds = agree_in_rounds(world, tasks, run_round, self.first_day, progress=report)
        self.rounds = rounds.rounds
        self.seconds["rounds"] = round(sum(round_seconds), 2)
        return rounds.agreed

    def _by_task(self, rows: DataFrame) -> DataFrame:
        """`rows` (with a `task` column) in `tasks` partitions, partition t holding exactly task t's rows.

        Each task is given a partitioning value whose hash lands in its own
        partition, so no partition holds two tasks and none is empty: a
        barrier task must take part in every exchange, and a round's task
        must report.
        """
        tasks = self.tasks
        if len(self._slots) != tasks:          # probed once per task count
            probe = (self.spark.range(0, 64 * tasks)
                     .select("id", F.pmod(F.hash("id"), F.lit(tasks)).alias("partition"))
                     .groupBy("partition").agg(F.min("id").alias("id")).collect())
            self._slots = {row["partition"]: row["id"] for row in probe}
            if len(self._slots) < tasks:
                raise RuntimeError(f"no partitioning value found for each of {tasks} walk tasks")
        values = F.array(*[F.lit(self._slots[t]).cast("long") for t in range(tasks)])
        return (rows.withColumn(SLOT_COLUMN, F.element_at(values, F.col("task").cast("int") + 1))
                .repartition(tasks, SLOT_COLUMN).drop(SLOT_COLUMN))

    def _state_by_task(self, state: DataFrame) -> DataFrame:
        """The state rows in `tasks` partitions, partition t holding exactly the rows of walk task t's blocks.

        Rows go to the task of their product's block (block b to task b % tasks,
        as a fresh walk deals them). Each task is given a partitioning value
        whose hash lands in its own partition, so no partition holds two tasks
        and none is empty: a barrier task must take part in every exchange.
        """
        tasks, size = self.tasks, self.blocks[0][1] - self.blocks[0][0]
        task = (F.col("product") / F.lit(size)).cast("long") % F.lit(tasks)
        rows = state.select(*STATE_SPARK_SCHEMA.names).withColumn(TASK_COLUMN, task.cast("int"))
        return self._by_task(rows.withColumn("task", F.col(TASK_COLUMN))).drop("task")

    def _decisions(self):
        """One row per cart (CART_DECISION_SCHEMA), folded from the cart lines of every block."""
        batch_rows = self.batch_rows

        def cart_lines(batches):
            for lines in unpacked(batches):
                yield from pa.Table.from_pydict(lines, schema=CART_LINE_SCHEMA).to_batches(max_chunksize=batch_rows)

        def decide(batches):
            # every line of a cart is in this partition (repartitioned by cart); its batches are folded at once
            received = list(batches)
            if received:
                lines = pa.Table.from_batches(received).cast(CART_LINE_SCHEMA)
                yield from decision_table(lines).to_batches(max_chunksize=batch_rows)

        def decide_with_carried(batches):
            # a carried cart's row and its recovery copies share a partition (both repartitioned by cart)
            received = list(batches)
            if received:
                rows = pa.Table.from_batches(received)
                carried = rows[CARRIED_COLUMN].to_numpy(zero_copy_only=False)
                lines = rows.filter(pa.array(~carried)).select(CART_LINE_SCHEMA.names).cast(CART_LINE_SCHEMA)
                pending = rows.filter(pa.array(carried)).select(PENDING_DECISION_SCHEMA.names)
                yield from decision_table(lines, pending).to_batches(max_chunksize=batch_rows)

        lines = self._payloads(CART_LINES).mapInArrow(cart_lines, from_arrow_schema(CART_LINE_SCHEMA))
        decisions = from_arrow_schema(CART_DECISION_SCHEMA)
        # a partition's carts are folded at once: as many partitions as keep each to about FOLD_ORDERS orders
        orders = int(self.world.orders_per_day[self.first_day:].sum())
        partitions = max(self.partitions, -(-orders // FOLD_ORDERS))
        if self.resume is None:
            return lines.repartition(partitions, "cart").mapInArrow(decide, decisions)
        both = _with_carried_rows(lines, self.resume.pending)
        return both.repartition(partitions, "cart").mapInArrow(decide_with_carried, decisions)

    def pending_frame(self) -> DataFrame:
        """The decision rows of the carts whose recovery comes after the last day (for the next extend)."""
        if self.decisions is None:
            raise RuntimeError("decide_carts() comes before the pending carts are read")
        stop_day, seed, carts = self.days, self.world.seed, self.world.config.carts

        def pending(batches):
            for batch in batches:
                yield from pending_decisions(batch, stop_day, seed, carts).to_batches()

        return self.decisions.mapInArrow(pending, PENDING_SPARK_SCHEMA)

    def state_frame(self) -> DataFrame:
        """Every block's end state as STATE_SCHEMA rows, read from the persisted walk (never from the driver)."""
        batch_rows = self.batch_rows
        return self._payloads(STATE).mapInArrow(lambda batches: state_batches(batches, batch_rows), STATE_SPARK_SCHEMA)

    def _payloads(self, part: str) -> DataFrame:
        if self.walked is None:
            raise RuntimeError("walk() comes before the walk's payloads are read")
        return self.walked.where(F.col("part") == part).select("payload")

    def frame(self, table: str):
        """A DataFrame whose tasks format `table`'s rows from the persisted walk."""
        schema = spark_schema(load_contract(table))
        produce = formatter(table, self.world, self.first_day)
        etl_timestamp, batch_rows = self.etl_timestamp, self.batch_rows
        if table in CART_TABLES:
            def from_decisions(batches):
                for batch in batches:
                    yield from produce(batch, etl_timestamp, batch_rows)

            if self.decisions is None:
                raise RuntimeError("decide_carts() comes before a cart table is formatted")
            return self.decisions.mapInArrow(from_decisions, schema)
        if table not in WALK_TABLES:
            raise ValueError(f"{table} is not made by the walk")

        def from_blocks(batches):
            for result in unpacked(batches):
                yield from produce(result, etl_timestamp, batch_rows)

        return self._payloads(RESULT).mapInArrow(from_blocks, schema)

    def close(self) -> None:
        """Release the cart decisions; the walk's checkpoint goes with the last reference to it."""
        if self.decisions is not None:
            self.decisions.unpersist()
        self.decisions = self.walked = None
