"""gold_anomaly_label formatted from the tiny anomaly-heavy walk: unique ids, real keys, labels that match their rows."""

from __future__ import annotations

import pyarrow.compute as pc

from tests.support.simulated_worlds import ANOMALY_HEAVY, tiny_dimensions
from tests.tables.tiny_tables import tiny_table


def test_ids_are_unique_and_keys_exist():
    labels = tiny_table("gold_anomaly_label", *ANOMALY_HEAVY)
    _, dims = tiny_dimensions(*ANOMALY_HEAVY)
    assert labels.num_rows > 0
    assert pc.count_distinct(labels["anomaly_id"]).as_py() == labels.num_rows
    products = set(dims["gold_product_dim"]["product_key"].to_pylist())
    locations = set(dims["gold_location_dim"]["location_key"].to_pylist())
    assert set(labels["product_key"].drop_null().to_pylist()) <= products
    assert set(labels["location_key"].drop_null().to_pylist()) <= locations
    assert set(labels["scenario"].to_pylist()) == {"normal-ops"}      # the settings, not the scenario name, were set
    assert all(text for text in labels["description"].to_pylist())


def test_each_shrinkage_label_is_one_write_off_movement():
    labels = tiny_table("gold_anomaly_label", *ANOMALY_HEAVY).to_pandas()
    movements = tiny_table("gold_inventory_movement_fact", *ANOMALY_HEAVY).to_pandas()
    write_offs = movements[(movements["movement_type"] == "adjustment") & movements["from_location_key"].notna()]
    shrinkage = labels[labels["anomaly_type"] == "shrinkage"]
    assert len(shrinkage) == len(write_offs) > 0
    joined = shrinkage.merge(write_offs, left_on=["product_key", "location_key", "start_date_key"],
                             right_on=["product_key", "from_location_key", "date_key"])
    assert len(joined) == len(shrinkage) and (joined["magnitude"] == joined["quantity"]).all()
    assert set(write_offs["reference_id"].str.slice(0, 6)) == {"COUNT-"}


def test_a_shorter_run_writes_the_labels_that_end_by_its_last_day():
    """A label is written by the run that simulates its end day: a run cut at 20 of the plan's 30 days writes
    exactly the full run's labels that end by then, so every end_date_key is one of its dates."""
    last = 20241204
    full = tiny_table("gold_anomaly_label", *ANOMALY_HEAVY).drop_columns(["etl_timestamp"]).sort_by("anomaly_id")
    short = tiny_table("gold_anomaly_label", *ANOMALY_HEAVY, "end_date=2024-12-04").drop_columns(["etl_timestamp"])
    _, dims = tiny_dimensions(*ANOMALY_HEAVY, "end_date=2024-12-04")
    ended = full.filter(pc.less_equal(full["end_date_key"], last))
    crossing = full.filter(pc.and_(pc.less_equal(full["start_date_key"], last), pc.greater(full["end_date_key"], last)))
    assert crossing.num_rows > 0 and short.num_rows == ended.num_rows > 0
    assert short.sort_by("anomaly_id").equals(ended)
    assert set(short["end_date_key"].to_pylist()) <= set(dims["gold_date_dim"]["date_key"].to_pylist())
