"""The dimensions of a run are built once: the world reads the tables the spark layer writes."""

import datetime as dt

import pytest

from retail_synth.model.dimensions.run_dimensions import (
    Dimensions,
    build_dimensions,
    date_dim_range,
)
from retail_synth.spec.configuration import resolve

ETL = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def test_dimensions_are_a_mapping_by_gold_table_name():
    config = resolve(preset="tiny")
    dims = build_dimensions(config, ETL)
    assert tuple(dims) == Dimensions.names() and len(dims) == 6
    assert dims["gold_customer_dim"] is dims.gold_customer_dim
    assert len(set(dims.gold_customer_dim["customer_id"].to_pylist())) == config.customers.customer_count
    assert dims.gold_product_dim.num_rows == config.products.product_count
    with pytest.raises(KeyError):
        dims["gold_sales_fact"]


def test_customers_live_near_the_stores_of_the_same_locations():
    dims = build_dimensions(resolve(preset="tiny"), ETL)
    stores = {row["location_id"] for row in dims.gold_location_dim.to_pylist() if row["location_type"] == "store"}
    assert set(dims.gold_customer_dim["nearest_store_id"].to_pylist()) <= stores


def test_the_date_dimension_spans_the_horizon_and_the_longest_restock_delay():
    config = resolve(preset="tiny")
    first, last = date_dim_range(config)
    dates = build_dimensions(config, ETL).gold_date_dim["calendar_date"].to_pylist()
    assert (dates[0], dates[-1]) == (first, last) == (
        config.start_date, config.end_date + dt.timedelta(days=config.returns.restock_delay_days_max))
