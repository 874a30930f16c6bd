"""Same seed, same tables, whatever the partition count; another seed, other data."""

import datetime as dt

import pytest

from components.configuration import resolve
from pipelines.dimension_tables import build_dimensions
from pipelines.generate import WRITTEN_TABLES
from tests.conftest import generate_tiny

ETL_TS = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def rerun_one_partition(spark, tmp_path_factory):
    """The tiny run again, same seed, simulated in a single Spark partition."""
    return generate_tiny(spark, tmp_path_factory.mktemp("rerun") / "warehouse", "spark.partitions=1")


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_same_seed_gives_identical_tables_whatever_the_partitions(spark, tiny_run, rerun_one_partition, table):
    first = tiny_run.read(spark, table)
    second = rerun_one_partition.read(spark, table)
    columns = [c for c in first.columns if c != "etl_timestamp"]
    first, second = first.select(columns), second.select(columns)
    assert first.count() == second.count()
    assert first.exceptAll(second).count() == 0
    assert second.exceptAll(first).count() == 0


def test_another_seed_gives_other_dimensions():
    one = build_dimensions(resolve(preset="tiny", seed=1), ETL_TS)
    two = build_dimensions(resolve(preset="tiny", seed=2), ETL_TS)
    assert one["gold_customer_dim"].column("first_name") != two["gold_customer_dim"].column("first_name")
    assert one["gold_product_dim"].column("product_name") != two["gold_product_dim"].column("product_name")
    assert one["gold_date_dim"].equals(two["gold_date_dim"])
