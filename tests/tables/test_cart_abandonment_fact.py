"""gold_cart_abandonment_fact from the tiny run's cart decisions (no Spark)."""

from __future__ import annotations

import pyarrow as pa

from retail_synth.spec.vocabulary import ABANDONMENT_STAGES
from retail_synth.tables import cart_abandonment_fact
from retail_synth.tables.views import AbandonmentView
from tests.support.simulated_worlds import tiny_decisions
from tests.tables.tiny_tables import ETL, formatted, tiny_table


def abandoned():
    return tiny_table(cart_abandonment_fact.TABLE).to_pandas()


def test_one_row_per_abandoned_cart_of_the_horizon():
    world, decisions = tiny_decisions()
    d = decisions.to_pandas()
    horizon = d[d.abandoned & (d.day >= world.warmup_days)]
    rows = abandoned()
    assert len(rows) == len(horizon) > 0
    assert rows.cart_id.is_unique and rows.abandonment_id.is_unique
    assert (rows.cart_id.str[4:] == rows.abandonment_id.str[3:]).all()
    assert rows.cart_id.str.match(r"^CART-\d{8}-\d{7}$").all()
    assert (rows.items_count.to_numpy() == horizon["items"].to_numpy()).all()
    assert (rows.source_system == "ECOM").all()


def test_low_inventory_and_recovery_columns():
    rows = abandoned()
    assert (rows.low_inventory_trigger == (rows.inventory_constrained_items > 0)).all()
    assert rows.low_inventory_trigger.any() and not rows.low_inventory_trigger.all()
    assert (rows.suspected_reason[~rows.low_inventory_trigger] != "low_inventory").all()
    assert rows.abandonment_stage.isin(ABANDONMENT_STAGES).all()
    funnel = rows[["recovery_email_sent", "recovery_email_opened", "recovery_email_clicked"]].to_numpy()
    assert (funnel[:, 1] <= funnel[:, 0]).all() and (funnel[:, 2] <= funnel[:, 1]).all()
    recovered = rows.is_recovered
    assert recovered.any()
    assert (rows.recovery_date_key.notna() == recovered).all() and (rows.recovery_revenue.notna() == recovered).all()
    assert (rows.recovery_date_key[recovered] > rows.date_key[recovered]).all()


def test_rows_do_not_depend_on_how_the_decisions_are_batched():
    world, decisions = tiny_decisions()
    batches = [decisions.slice(lo, 37).combine_chunks().to_batches()[0] for lo in range(0, decisions.num_rows, 37)]
    pieces = formatted(cart_abandonment_fact.TABLE, world, batches, batch_rows=11)
    assert all(b.num_rows <= 11 for b in pieces.to_batches())
    assert pieces.sort_by("abandonment_id").equals(tiny_table(cart_abandonment_fact.TABLE).sort_by("abandonment_id"))


def test_an_empty_decision_batch_gives_no_rows():
    world, decisions = tiny_decisions()
    empty = pa.RecordBatch.from_pylist([], schema=decisions.schema)
    assert sum(b.num_rows for b in cart_abandonment_fact.batches(AbandonmentView.of(world), empty, ETL, 10)) == 0


def test_stage_and_reason_follow_their_declarations():
    rows = tiny_table(cart_abandonment_fact.TABLE, "distributions.abandonment_stage.weights={review: 1.0}",
                      "distributions.abandonment_reason.weights={coupon_hunting: 1.0}",
                      "carts.low_inventory_reason_share=0.0").to_pandas()
    assert len(rows) > 0 and (rows.abandonment_stage == "review").all()
    assert (rows.suspected_reason == "coupon_hunting").all()
