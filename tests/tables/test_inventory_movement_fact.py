"""gold_inventory_movement_fact from the tiny run's walk (no Spark)."""

from __future__ import annotations

import numpy as np

from retail_synth.tables import inventory_fact, inventory_movement_fact, sales_fact
from tests.tables.tiny_tables import tiny_table


def test_movements_reproduce_the_inventory_flow():
    inv = tiny_table(inventory_fact.TABLE).to_pandas()
    mov = tiny_table(inventory_movement_fact.TABLE).to_pandas()
    assert (mov.quantity > 0).all() and mov.movement_id.is_unique
    assert set(mov.movement_type) == set(inventory_movement_fact.MOVEMENT_TYPES)
    opening = mov[mov.movement_type == "adjustment"]
    assert (opening.date_key == inv.date_key.min()).all()
    assert not opening.duplicated(["product_key", "to_location_key"]).any()
    location = mov.to_location_key.fillna(mov.from_location_key).astype(int)
    signed = np.where(mov.movement_type == "sale", -mov.quantity, mov.quantity)
    net = (
        mov.assign(location_key=location, signed=signed)
        .groupby(["product_key", "location_key", "date_key"]).signed.sum()
    )
    inv = inv.sort_values(["product_key", "location_key", "date_key"]).set_index(["product_key", "location_key", "date_key"])
    inv["net"] = net.reindex(inv.index, fill_value=0)
    assert (inv.groupby(level=[0, 1]).net.cumsum() == inv.quantity_on_hand).all()


def test_sale_and_return_movements_refer_to_their_sales_lines():
    mov = tiny_table(inventory_movement_fact.TABLE).to_pandas()
    sales = tiny_table(sales_fact.TABLE).to_pandas()
    sold = mov[mov.movement_type == "sale"]
    assert set(sold.reference_id) == set(sales.line_item_id)
    assert (sold.movement_id == "MV-SAL-" + sold.reference_id).all()
    returned = mov[mov.movement_type == "return"]
    assert len(returned) > 0 and set(returned.reference_id) <= set(sales.line_item_id[sales.is_return])
    receipts = mov[mov.movement_type == "receipt"]
    assert receipts.reference_id.str.match(r"^PO-\d+-\d+-\d{8}$").all()
    assert (mov.from_location_key.isna() == (mov.movement_type != "sale")).all()
    assert (mov.to_location_key.isna() == (mov.movement_type == "sale")).all()
