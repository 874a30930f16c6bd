"""The walk stage: the same seed gives the same tables whatever the partitions, the blocks or the cart exchange."""

import datetime as dt

import pytest
from chispa import assert_df_equality

from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spark.state_table import STATE_TABLES
from retail_synth.spark.walk_stage import WalkStage, walk_tasks
from retail_synth.spec.configuration import resolve
from retail_synth.tables.registry import FACT_TABLES, WRITTEN_TABLES
from tests.conftest import generate_tiny

ETL_TIMESTAMP = dt.datetime(2024, 12, 15, tzinfo=dt.timezone.utc)


def assert_same_tables(spark, first, second, tables=WRITTEN_TABLES):
    for table in tables:
        a, b = first.read(spark, table), second.read(spark, table)
        columns = [c for c in a.columns if c != "etl_timestamp"]
        assert_df_equality(a.select(columns), b.select(columns), ignore_row_order=True, ignore_nullable=False)


@pytest.mark.spark
@pytest.mark.long      # make test keeps the identity across walk tasks (below); these two run in make test-processes
@pytest.mark.parametrize("variant", ["spark.partitions=1", "output.products_per_block=7"])
def test_tables_do_not_depend_on_partitions_or_blocks(spark, tiny_run, tmp_path, variant):
    again = generate_tiny(spark, tmp_path / "warehouse", variant)
    assert_same_tables(spark, tiny_run, again, (*WRITTEN_TABLES, *STATE_TABLES))     # the state is keyed by position


def walked(spark, *assignments: str) -> WalkStage:
    """The walk stage of tiny, walked and with its carts decided (nothing written)."""
    config = resolve(preset="tiny", assignments=list(assignments), seed=7)
    stage = WalkStage(spark, config, build_dimensions(config, ETL_TIMESTAMP), ETL_TIMESTAMP, progress=lambda _: None)
    stage.walk()
    stage.decide_carts()
    return stage


@pytest.mark.parametrize(("exchange", "blocks", "cores", "cap", "chosen"), [
    ("barrier", 20, 2, 10, ("barrier", 2)),
    ("barrier", 20, 8, 10, ("barrier", 2)),       # no more tasks than the cap needs
    ("barrier", 21, 2, 10, ("stages", 3)),        # 3 tasks needed, 2 cores: barrier cannot run them at once
    ("barrier", 8, 2, 10, ("in_task", 1)),        # the catalogue fits one task: no exchange
    ("barrier", 40, 1, 10, ("stages", 4)),        # one core: the 4 tasks run one after another
    ("stages", 4, 2, 1, ("stages", 4)),
    ("stages", 4, 2, 10, ("in_task", 1)),
    ("pilot", 40, 2, 10, ("pilot", 4)),           # the pilot's tasks need not run at once
    ("in_task", 40, 2, 10, ("in_task", 1)),       # as configured: one task holds every block
])
def test_the_walk_takes_as_many_tasks_as_the_cap_on_blocks_needs(exchange, blocks, cores, cap, chosen):
    assert walk_tasks(exchange, blocks, cores, cap) == chosen


@pytest.fixture(scope="module")
def one_task(spark):
    stage = walked(spark, "spark.cart_exchange=in_task")
    assert (stage.exchange, stage.tasks) == ("in_task", 1)
    yield stage
    stage.close()


@pytest.mark.spark
@pytest.mark.parametrize(("assignments", "exchange", "tasks"), [
    # barrier in make test: the extend split (tests/spark/test_extend.py) walks in two barrier tasks
    pytest.param(("spark.cart_exchange=barrier", "output.products_per_block=7", "spark.walk_blocks_per_task=5"),
                 "barrier", 2, marks=pytest.mark.long),
    (("spark.walk_blocks_per_task=1",), "stages", 4),       # 4 tasks on 2 cores: rounds of stages, in waves
    # the pilot in Spark (here and in test_extend's anomaly-heavy split) runs with the long tests; without Spark,
    # tests/model/simulation/test_pilot.py
    pytest.param(("spark.cart_exchange=pilot", "spark.walk_blocks_per_task=1"), "pilot", 4, marks=pytest.mark.long),
    # 9 blocks in one task, their series 2 blocks at a time after a walk that finds the shared carts' flags
    pytest.param(("spark.cart_exchange=in_task", "output.products_per_block=7", "spark.walk_blocks_per_task=2"),
                 "in_task", 1, marks=pytest.mark.long),
])
def test_tasks_that_exchange_make_the_tables_of_one_task(spark, one_task, assignments, exchange, tasks):
    exchanged = walked(spark, *assignments)
    try:
        assert (exchanged.exchange, exchanged.tasks) == (exchange, tasks)
        assert exchanged.rounds > 1 or exchange != "stages"
        for table in FACT_TABLES:
            assert_df_equality(one_task.frame(table), exchanged.frame(table), ignore_row_order=True)
        assert_df_equality(one_task.state_frame(), exchanged.state_frame(), ignore_row_order=True)
    finally:
        exchanged.close()
