"""The walk stage: the same seed gives the same tables whatever the partitions, the blocks or the cart exchange."""

import datetime as dt

import pytest
from chispa import assert_df_equality

from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spark.state_table import STATE_TABLES
from retail_synth.spark.walk_stage import WalkStage
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
@pytest.mark.parametrize("variant", ["spark.partitions=1",
                                     pytest.param("output.products_per_block=7", marks=pytest.mark.long)])
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


@pytest.mark.spark
def test_barrier_tasks_make_the_tables_of_one_task(spark):
    one_task = walked(spark, "spark.cart_exchange=in_task")
    barrier = walked(spark, "output.products_per_block=7")      # the default exchange
    try:
        assert (one_task.exchange, one_task.tasks) == ("in_task", 1)
        assert barrier.exchange == "barrier" and barrier.tasks > 1
        for table in FACT_TABLES:
            assert_df_equality(one_task.frame(table), barrier.frame(table), ignore_row_order=True)
        assert_df_equality(one_task.state_frame(), barrier.state_frame(), ignore_row_order=True)
    finally:
        one_task.close()
        barrier.close()
