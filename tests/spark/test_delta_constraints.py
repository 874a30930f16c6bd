"""Delta itself rejects writes that break the contract: enforced checks and NOT NULL columns."""

from __future__ import annotations

import shutil

import pytest
from pyspark.sql import functions as F


@pytest.fixture
def inventory_copy(tiny_run, tmp_path):
    """A private copy of the tiny run's inventory table, so the shared run stays intact."""
    path = tmp_path / "gold_inventory_fact"
    shutil.copytree(tiny_run.table_path("gold_inventory_fact"), path)
    return str(path)


def _rejected_append(spark, path, column, value):
    row = spark.read.format("delta").load(path).limit(1).withColumn(column, value)
    with pytest.raises(Exception) as rejected:
        row.write.format("delta").mode("append").save(path)
    return str(rejected.value)


def test_check_constraint_rejects_negative_available(spark, inventory_copy):
    before = spark.read.format("delta").load(inventory_copy).count()
    message = _rejected_append(spark, inventory_copy, "quantity_available", F.lit(-1))
    assert "available_non_negative" in message
    assert spark.read.format("delta").load(inventory_copy).count() == before


def test_not_null_rejects_a_null(spark, inventory_copy):
    message = _rejected_append(spark, inventory_copy, "source_system", F.lit(None).cast("string"))
    assert "source_system" in message and "NOT NULL" in message.upper()
