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
