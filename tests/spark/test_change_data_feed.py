"""Every gold table records its changes (Delta Change Data Feed): a run's rows read back from the feed as inserts."""

import pytest

from retail_synth.spark.delta_tables import CHANGE_DATA_FEED_PROPERTY
from retail_synth.tables.registry import WRITTEN_TABLES


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_the_change_feed_from_the_first_version_holds_every_row_as_an_insert(spark, tiny_run, table):
    properties = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {tiny_run.identifier(table)}").collect()}
    assert properties[CHANGE_DATA_FEED_PROPERTY] == "true"

    changes = spark.read.format("delta").option("readChangeFeed", "true").option("startingVersion", 0) \
        .load(tiny_run.table_path(table))
    kinds = {r["_change_type"]: r["count"] for r in changes.groupBy("_change_type").count().collect()}
    written = tiny_run.read(spark, table)
    rows = written.count()
    assert kinds == ({"insert": rows} if rows else {})
    assert changes.drop("_change_type", "_commit_version", "_commit_timestamp").exceptAll(written).count() == 0
