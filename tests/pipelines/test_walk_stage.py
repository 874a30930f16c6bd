"""The walk stage: the same seed gives the same tables whatever the partitions, the blocks or the cart exchange."""

import pytest
from chispa import assert_df_equality

from components.configuration import resolve
from components.tables.registry import WRITTEN_TABLES
from pipelines.walk_stage import cart_exchange
from tests.conftest import generate_tiny

SHORT = ("warmup_days=5", "end_date=2024-11-24")     # ten days: a barrier stage waits about 1 s per simulated day


def assert_same_tables(spark, first, second, tables=WRITTEN_TABLES):
    for table in tables:
        a, b = first.read(spark, table), second.read(spark, table)
        columns = [c for c in a.columns if c != "etl_timestamp"]
        assert_df_equality(a.select(columns), b.select(columns), ignore_row_order=True, ignore_nullable=False)


@pytest.mark.spark
@pytest.mark.parametrize("variant", ["spark.partitions=1", "output.products_per_block=7"])
def test_tables_do_not_depend_on_partitions_or_blocks(spark, tiny_run, tmp_path, variant):
    again = generate_tiny(spark, tmp_path / "warehouse", variant)
    assert_same_tables(spark, tiny_run, again)


@pytest.mark.spark
def test_barrier_tasks_write_the_tables_of_one_task(spark, tmp_path):
    one_task = generate_tiny(spark, tmp_path / "in_task", *SHORT, "spark.cart_exchange=in_task")
    barrier = generate_tiny(spark, tmp_path / "barrier", *SHORT, "spark.cart_exchange=barrier",
                            "output.products_per_block=7")
    assert_same_tables(spark, one_task, barrier)


def test_auto_walks_in_one_task_up_to_its_threshold():
    assert cart_exchange(resolve(preset="full")) == "in_task"
    huge = ["products.product_count=100000"]
    assert cart_exchange(resolve(preset="full", assignments=huge)) == "barrier"
    assert cart_exchange(resolve(preset="full", assignments=[*huge, "spark.cart_exchange=in_task"])) == "in_task"
