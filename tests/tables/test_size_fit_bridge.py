"""gold_size_fit_bridge from the tiny run's walk (no Spark)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from retail_synth.spec import vocabulary
from retail_synth.tables import sales_fact, size_fit_bridge
from tests.support.simulated_worlds import tiny_dimensions
from tests.tables.tiny_tables import tiny_table


def test_one_row_per_apparel_sale_line_keyed_by_its_line_item_id_with_its_return_flag():
    _, dims = tiny_dimensions()
    fit = tiny_table(size_fit_bridge.TABLE).to_pandas()
    sales = tiny_table(sales_fact.TABLE).to_pandas()
    products = dims["gold_product_dim"]
    apparel = set(pc.filter(products["product_key"], pc.equal(products["category_level_1"], "apparel")).to_pylist())
    lines = sales[sales.product_key.isin(apparel)].reset_index(drop=True)
    assert len(fit) == len(lines) > 0
    assert fit.line_item_id.is_unique and (fit.line_item_id.to_numpy() == lines.line_item_id.to_numpy()).all()
    assert (fit.customer_key.to_numpy() == lines.customer_key.to_numpy()).all()
    assert (fit.product_key.to_numpy() == lines.product_key.to_numpy()).all()
    assert (fit.is_returned.to_numpy() == lines.is_return.to_numpy()).all()
    exchanged = lines.is_exchange.to_numpy()
    assert (fit.kept_size.isna().to_numpy() == (fit.is_returned.to_numpy() & ~exchanged)).all()


def test_sizes_come_from_the_customer_profile_and_fit_is_consistent():
    _, dims = tiny_dimensions()
    fit = tiny_table(size_fit_bridge.TABLE).to_pandas()
    customers = dims["gold_customer_dim"].to_pandas().set_index("customer_key")
    products = dims["gold_product_dim"].to_pandas().set_index("product_key")
    bottoms = (products.category_level_2.loc[fit.product_key] == "bottoms").to_numpy()
    profile = np.where(bottoms, customers.size_profile_bottoms.loc[fit.customer_key],
                       customers.size_profile_tops.loc[fit.customer_key])
    assert (fit.recommended_size.to_numpy() == profile).all()
    assert 0.6 < (fit.ordered_size == fit.recommended_size).mean() < 0.95
    assert fit.fit_description.isin(vocabulary.FITS).all() and fit.fit_score.between(0, 1).all()
    assert (fit.return_reason.notna() == fit.is_returned).all()
    assert (fit.is_returned | (fit.kept_size == fit.ordered_size)).all()
    sized = fit.return_reason.isin(["too_small", "too_large"])
    assert (fit.return_reason[sized] == fit.fit_description[sized]).all()
    assert fit[fit.fit_description == "perfect"].fit_score.min() > fit[fit.fit_description != "perfect"].fit_score.max()



def test_sizes_and_fit_follow_their_declarations():
    fit = tiny_table(size_fit_bridge.TABLE, "distributions.ordered_size.weights={same: 1.0}",
                     "distributions.kept_fit.same.weights={perfect: 1.0}").to_pandas()
    assert len(fit) > 0 and (fit.ordered_size == fit.recommended_size).all()
    assert (fit.fit_description[~fit.is_returned] == "perfect").all()
