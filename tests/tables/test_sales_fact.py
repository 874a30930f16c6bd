"""gold_sales_fact from the tiny run's walk (no Spark)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from retail_synth.spec.configuration import resolve
from retail_synth.tables import sales_fact
from tests.support.simulated_worlds import tiny_block, tiny_decisions
from tests.tables.tiny_tables import tiny_table


def dates_of(date_keys) -> pd.Series:
    return pd.to_datetime(date_keys.astype(int).astype(str), format="%Y%m%d")


def sales() -> pd.DataFrame:
    return tiny_table(sales_fact.TABLE).to_pandas()


def test_one_row_per_sale_line_of_the_horizon_with_consistent_amounts():
    _, block = tiny_block()
    config = resolve(preset="tiny")
    s = sales()
    assert len(s) == len(block.sales["day"]) > 0
    assert s.line_item_id.is_unique
    assert s.date_key.min() >= int(config.start_date.strftime("%Y%m%d"))
    gross = s.quantity_sold * s.unit_price
    assert np.allclose(s.net_sales_amount, gross - s.discount_amount, atol=0.011)
    assert (s.is_inventory_constrained == (s.quantity_sold < s.quantity_requested)).all()
    assert (s.quantity_sold <= s.inventory_at_purchase).all()


def test_store_and_digital_lines():
    s = sales()
    store = s.source_system == "POS"
    assert store.any() and (~store).any() and set(s.source_system) == {"POS", "ECOM"}
    assert s.pos_terminal_id[store].notna().all() and s.pos_terminal_id[~store].isna().all()
    assert s.sales_associate_id[store].notna().all() and s.sales_associate_id[~store].isna().all()
    assert (s.fulfillment_type[store] == "in_store").all()
    assert set(s.fulfillment_type[~store]) <= {"ship_from_warehouse", "ship_from_dc"}


def test_ids_share_the_order():
    s = sales()
    assert s.line_item_id.str.match(r"^TXN-\d{8}-\d{7}-\d{2}$").all()
    assert (s.line_item_id.str[:20] == s.transaction_id).all()
    assert (s.order_number.str[4:] == s.transaction_id.str[4:]).all()
    assert (s.transaction_id.str[4:12].astype(int) == s.date_key).all()


def test_restock_date_keys_are_real_dates_after_the_sale():
    s = sales()
    returned = s[s.is_return]
    assert len(returned) > 0
    assert ((dates_of(returned.return_restocked_date_key) - dates_of(returned.date_key)).dt.days.between(1, 3)).all()
    assert s.return_restocked_date_key[~s.is_return].isna().all()


def test_cart_trigger_is_the_cart_flag_of_checked_out_original_lines_only():
    _, block = tiny_block()
    lines = block.sales
    trigger = tiny_table(sales_fact.TABLE).column("cart_low_inventory_trigger")
    checked_out = (lines["cart"] >= 0) & ~lines["is_recovery"]
    assert checked_out.any() and (lines["is_recovery"]).any() and (lines["cart"] < 0).any()
    assert np.array_equal(pc.is_valid(trigger).to_numpy(zero_copy_only=False), checked_out)
    flags = trigger.to_numpy(zero_copy_only=False)[checked_out].astype(bool)
    assert np.array_equal(flags, lines["cart_low"][checked_out])
    assert flags.any() and not flags.all()


def test_cart_trigger_agrees_with_the_decided_carts():
    _, decisions = tiny_decisions()
    d = decisions.to_pandas().set_index("cart")
    _, block = tiny_block()
    checked_out = (block.sales["cart"] >= 0) & ~block.sales["is_recovery"]
    low = d.loc[block.sales["cart"][checked_out], "low_items"].to_numpy() > 0
    trigger = tiny_table(sales_fact.TABLE).column("cart_low_inventory_trigger").to_numpy(zero_copy_only=False)
    assert np.array_equal(trigger[checked_out].astype(bool), low)


def test_trigger_rule_on_hand_made_lines():
    cart = np.array([-1, 5, 5, 6])
    is_recovery = np.array([False, False, True, False])
    got = sales_fact.cart_low_inventory_trigger(cart, is_recovery, np.array([False, True, True, False]))
    assert got.to_pylist() == [None, True, None, False]
