"""gold_size_fit_bridge: one row per apparel sale line of the block, in sale-line order, keyed by its line_item_id.

src/retail_synth/model/simulation/size_fit.py decides each line's
recommended, ordered and kept size, fit, fit score and return reason; this
module spells them: sizes by their chart's names (XS..XXL or 26..40),
kept_size NULL when returned for a refund, return_reason NULL when not
returned, is_returned = the sale line's is_return.
The contract has no etl_timestamp column (the argument is accepted for symmetry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.size_fit import CHART_SIZES, apparel_lines, size_fit
from retail_synth.model.simulation.walk import BlockResult
from retail_synth.spec.vocabulary import FITS, RETURN_REASONS
from retail_synth.tables.arrow_batches import null_unless, record_batch, row_chunks
from retail_synth.tables.keys import line_item_ids
from retail_synth.tables.views import SizeFitView

TABLE = "gold_size_fit_bridge"
VIEW = SizeFitView

# the size charts (size_fit.CHART_SIZES), padded to one width
CHART_NAMES = np.array([list(c) + [""] * (max(map(len, CHART_SIZES)) - len(c)) for c in CHART_SIZES], dtype=object)


def batches(view: SizeFitView, result: BlockResult, etl_timestamp: dt.datetime,
            batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The block's apparel sale lines, at most batch_rows rows a batch."""
    s = result.sales
    rows = apparel_lines(view.size_fit, s)
    for lo, hi in row_chunks(len(rows), batch_rows):
        idx = rows[lo:hi]
        fit = size_fit(view.size_fit, s, idx)
        _, _, line_item = line_item_ids(view.date_key, s["day"][idx], s["order"][idx], s["line"][idx])
        columns = {
            "line_item_id": line_item,
            "customer_key": view.customer_versions.key_on(s["customer"][idx], s["day"][idx]),
            "product_key": view.product_key[s["product"][idx]],
            "ordered_size": CHART_NAMES[fit.chart, fit.ordered],
            "kept_size": null_unless(~fit.returned | fit.exchanged,
                                     pa.array(CHART_NAMES[fit.chart, fit.kept], type=pa.string())),
            "recommended_size": CHART_NAMES[fit.chart, fit.recommended],
            "fit_description": np.asarray(FITS, dtype=object)[fit.fit],
            "fit_score": fit.score,
            "is_returned": fit.returned,
            "return_reason": null_unless(fit.returned, pa.array(np.asarray(RETURN_REASONS, dtype=object)[fit.return_reason],
                                                                type=pa.string())),
        }
        yield record_batch(TABLE, columns, hi - lo, etl_timestamp)
