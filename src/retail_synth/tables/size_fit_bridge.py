"""gold_size_fit_bridge: one row per apparel sale line of the block, in sale-line order.

Apparel is category_level_1 'apparel': tops, dresses and outerwear use the
customer's size_profile_tops, bottoms size_profile_bottoms
(World.product_size_chart, World.customer_size_tops / _bottoms, read from
the dimensions). Every draw is hashed from (seed, stream, line id), so a
line's row does not depend on the block or batch it is in.
  * recommended_size: the customer's profile size for the product's chart.
  * ordered_size: recommended moved by -1 / 0 / +1 step as
    distributions.ordered_size declares (smaller / same / larger), clipped
    to the chart (XS..XXL or 26..40).
  * is_returned = the sale line's is_return, exactly (drawn by returns.py).
    Returned lines draw return_reason from distributions.return_reason given
    how the ordered size compares with the recommended one; a size reason
    sets fit_description ('too_small' / 'too_large'); any other reason, and
    every kept line, draws fit_description from distributions.kept_fit given
    the same comparison. return_reason is NULL when not returned.
  * kept_size: ordered_size when not returned; after an exchange one size up
    for 'too_small', one down for 'too_large' (clipped), the same otherwise;
    NULL when returned for a refund.
  * fit_score: 0.70 + 0.30 u for 'perfect', 0.10 + 0.40 u otherwise (u hashed),
    rounded to 2 decimals.
The contract has no etl_timestamp column (the argument is accepted for symmetry).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.demand import line_ids, order_ids
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.model.simulation.world import BOTTOMS_CHART, World
from retail_synth.spec import hashing
from retail_synth.spec.distributions import conditional_draw
from retail_synth.spec.vocabulary import (
    APPAREL_SIZES,
    FITS,
    RETURN_REASONS,
    SIZE_COMPARISONS,
    WAIST_SIZES,
)
from retail_synth.tables.arrow_batches import null_unless, record_batch, row_chunks

TABLE = "gold_size_fit_bridge"

# ---- size charts (see World.product_size_chart), padded to one width
CHART_SIZES = (APPAREL_SIZES, WAIST_SIZES)
CHART_NAMES = np.array([list(c) + [""] * (max(map(len, CHART_SIZES)) - len(c)) for c in CHART_SIZES], dtype=object)
CHART_LENGTH = np.array([len(c) for c in CHART_SIZES], dtype=np.int64)



def batches(world: World, result: BlockResult, etl_timestamp: dt.datetime, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's apparel sale lines, at most batch_rows rows a batch."""
    s = result.sales
    chart_of_line = world.product_size_chart[s["product"]]
    rows = np.flatnonzero(chart_of_line >= 0)
    seed, declared = world.seed, world.config.distributions
    for lo, hi in row_chunks(len(rows), batch_rows):
        idx = rows[lo:hi]
        chart = chart_of_line[idx].astype(np.int64)
        customer, product = s["customer"][idx], s["product"][idx]
        lid = line_ids(order_ids(world.epoch_day[s["day"][idx]], s["order"][idx]), s["line"][idx])
        top = CHART_LENGTH[chart] - 1
        recommended = customer_size_profile(world, customer, chart)
        offset = declared.ordered_size.draw_from(SIZE_COMPARISONS, seed, "size_fit.ordered_offset", lid) - 1
        ordered = np.clip(recommended + offset, 0, top)
        group = np.sign(ordered - recommended) + 1

        returned = np.asarray(s["is_return"][idx], dtype=bool)
        exchange = returned & np.asarray(s["is_exchange"][idx], dtype=bool)
        reason = conditional_draw(declared.return_reason.rows(), RETURN_REASONS, seed, "size_fit.return_reason", group, lid)
        fit = conditional_draw(declared.kept_fit.rows(), FITS, seed, "size_fit.fit", group, lid)
        fit = np.where(returned & (reason == 0), 0, np.where(returned & (reason == 1), 2, fit))
        kept = np.clip(ordered + np.where(exchange, 1 - fit, 0), 0, top)     # too_small: one size up
        u = hashing.uniform(seed, "size_fit.score", lid)
        score = np.round(np.where(fit == 1, 0.70 + 0.30 * u, 0.10 + 0.40 * u), 2)

        columns = {
            "customer_key": world.customer_key[customer],
            "product_key": world.product_key[product],
            "ordered_size": CHART_NAMES[chart, ordered],
            "kept_size": null_unless(~returned | exchange, pa.array(CHART_NAMES[chart, kept], type=pa.string())),
            "recommended_size": CHART_NAMES[chart, recommended],
            "fit_description": np.asarray(FITS, dtype=object)[fit],
            "fit_score": score,
            "is_returned": returned,
            "return_reason": null_unless(returned, pa.array(np.asarray(RETURN_REASONS, dtype=object)[reason],
                                                            type=pa.string())),
        }
        yield record_batch(TABLE, columns, hi - lo, etl_timestamp)


def customer_size_profile(world: World, customer: np.ndarray, chart: np.ndarray) -> np.ndarray:
    """Index of each customer's profile size in the chart of the product bought."""
    top, bottom = world.customer_size_tops[customer], world.customer_size_bottoms[customer]
    return np.where(chart == BOTTOMS_CHART, bottom, top).astype(np.int64)
