"""The size a customer ordered of an apparel line, how it fit, and why it came back.

Apparel is every product with a size chart (World.product_size_chart: tops,
dresses and outerwear use letter sizes and the customer's size_profile_tops,
bottoms waist sizes and size_profile_bottoms). Every draw is hashed from
(seed, stream, line id), so a line's outcome does not depend on the block or
batch it is decided in.
  * recommended: the customer's profile size in the product's chart.
  * ordered: recommended moved by -1 / 0 / +1 step as
    distributions.ordered_size declares (smaller / same / larger), clipped
    to the chart.
  * returned = the sale line's is_return, exactly (drawn by returns.py).
    Returned lines draw a return reason from distributions.return_reason
    given how the ordered size compares with the recommended one; a size
    reason sets the fit ('too_small' / 'too_large'); any other reason, and
    every kept line, draws the fit from distributions.kept_fit given the same
    comparison.
  * kept: ordered when not returned; after an exchange one size up for
    'too_small', one down for 'too_large' (clipped), the same otherwise.
  * score: 0.70 + 0.30 u for 'perfect', 0.10 + 0.40 u otherwise (u hashed),
    rounded to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation.demand import line_ids, order_ids
from retail_synth.model.simulation.world import BOTTOMS_CHART
from retail_synth.spec import hashing
from retail_synth.spec.distributions import Categorical, conditional_draw
from retail_synth.spec.run_config import SizeComparison
from retail_synth.spec.vocabulary import (
    APPAREL_SIZES,
    FITS,
    RETURN_REASONS,
    SIZE_COMPARISONS,
    WAIST_SIZES,
)

CHART_SIZES = (APPAREL_SIZES, WAIST_SIZES)       # by chart: TOPS_CHART, BOTTOMS_CHART
CHART_LENGTH = np.array([len(c) for c in CHART_SIZES], dtype=np.int64)
TOO_SMALL, TOO_LARGE = RETURN_REASONS.index("too_small"), RETURN_REASONS.index("too_large")
FIT_TOO_SMALL, FIT_PERFECT, FIT_TOO_LARGE = FITS.index("too_small"), FITS.index("perfect"), FITS.index("too_large")


@dataclass(frozen=True)
class SizeFitInputs:
    """The run's size charts, size profiles and size and fit declarations."""

    seed: int
    ordered_size: Categorical          # distributions.ordered_size over SIZE_COMPARISONS
    return_reason: SizeComparison      # distributions.return_reason given the comparison
    kept_fit: SizeComparison           # distributions.kept_fit given the comparison
    product_size_chart: np.ndarray     # int8 per product: NOT_APPAREL, TOPS_CHART or BOTTOMS_CHART
    customer_size_tops: np.ndarray     # int8 per customer: index into APPAREL_SIZES
    customer_size_bottoms: np.ndarray  # int8 per customer: index into WAIST_SIZES
    epoch_day: np.ndarray              # per simulation day: the day part of a line id


@dataclass(frozen=True)
class SizeFit:
    """One entry per apparel sale line decided; sizes are indices into the line's chart (CHART_SIZES)."""

    chart: np.ndarray                  # int64 TOPS_CHART or BOTTOMS_CHART
    recommended: np.ndarray
    ordered: np.ndarray
    kept: np.ndarray                   # meaningful where kept_size is: not returned, or exchanged
    fit: np.ndarray                    # index into FITS
    return_reason: np.ndarray          # index into RETURN_REASONS, meaningful where returned
    score: np.ndarray                  # float64, 2 decimals
    returned: np.ndarray               # bool: the sale line's is_return
    exchanged: np.ndarray              # bool: returned and exchanged


def apparel_lines(inputs: SizeFitInputs, sales: Mapping[str, np.ndarray]) -> np.ndarray:
    """Indices of the sale lines (walk.BlockResult.sales) whose product has a size chart, in sale-line order."""
    return np.flatnonzero(inputs.product_size_chart[sales["product"]] >= 0)


def profile_sizes(inputs: SizeFitInputs, customer: np.ndarray, chart: np.ndarray) -> np.ndarray:
    """Index of each customer's profile size in the chart of the product bought."""
    top, bottom = inputs.customer_size_tops[customer], inputs.customer_size_bottoms[customer]
    return np.where(chart == BOTTOMS_CHART, bottom, top).astype(np.int64)


def size_fit(inputs: SizeFitInputs, sales: Mapping[str, np.ndarray], lines: np.ndarray) -> SizeFit:
    """The sizes and fit of the apparel sale lines `lines` (indices into `sales`)."""
    seed = inputs.seed
    chart = inputs.product_size_chart[sales["product"][lines]].astype(np.int64)
    lid = line_ids(order_ids(inputs.epoch_day[sales["day"][lines]], sales["order"][lines]), sales["line"][lines])
    top = CHART_LENGTH[chart] - 1
    recommended = profile_sizes(inputs, sales["customer"][lines], chart)
    offset = inputs.ordered_size.draw_from(SIZE_COMPARISONS, seed, "size_fit.ordered_offset", lid) - 1
    ordered = np.clip(recommended + offset, 0, top)
    comparison = np.sign(ordered - recommended) + 1

    returned = np.asarray(sales["is_return"][lines], dtype=bool)
    exchanged = returned & np.asarray(sales["is_exchange"][lines], dtype=bool)
    reason = conditional_draw(inputs.return_reason.rows(), RETURN_REASONS, seed, "size_fit.return_reason", comparison, lid)
    fit = conditional_draw(inputs.kept_fit.rows(), FITS, seed, "size_fit.fit", comparison, lid)
    fit = np.where(returned & (reason == TOO_SMALL), FIT_TOO_SMALL,
                   np.where(returned & (reason == TOO_LARGE), FIT_TOO_LARGE, fit))
    kept = np.clip(ordered + np.where(exchanged, FIT_PERFECT - fit, 0), 0, top)     # too_small: one size up
    u = hashing.uniform(seed, "size_fit.score", lid)
    score = np.round(np.where(fit == FIT_PERFECT, 0.70 + 0.30 * u, 0.10 + 0.40 * u), 2)
    return SizeFit(chart=chart, recommended=recommended, ordered=ordered, kept=kept, fit=fit, return_reason=reason,
                   score=score, returned=returned, exchanged=exchanged)
