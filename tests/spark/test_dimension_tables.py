"""Another seed, other data (same seed, same tables: tests/spark/test_walk_stage.py)."""

import datetime as dt

from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spec.configuration import resolve

ETL_TS = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def test_another_seed_gives_other_dimensions():
    one = build_dimensions(resolve(preset="tiny", seed=1), ETL_TS)
    two = build_dimensions(resolve(preset="tiny", seed=2), ETL_TS)
    assert one["gold_customer_dim"].column("first_name") != two["gold_customer_dim"].column("first_name")
    assert one["gold_product_dim"].column("product_name") != two["gold_product_dim"].column("product_name")
    assert one["gold_date_dim"].equals(two["gold_date_dim"])
