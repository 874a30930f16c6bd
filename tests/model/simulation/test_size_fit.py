"""The size-fit draws of apparel sale lines: each a function of (seed, line id) and the line's own facts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from retail_synth.model.simulation.size_fit import (
    CHART_LENGTH,
    FIT_PERFECT,
    FIT_TOO_LARGE,
    FIT_TOO_SMALL,
    TOO_LARGE,
    TOO_SMALL,
    SizeFitInputs,
    apparel_lines,
    size_fit,
)
from retail_synth.model.simulation.world import BOTTOMS_CHART, NOT_APPAREL, TOPS_CHART
from retail_synth.spec.configuration import resolve

DECLARED = resolve(preset="tiny").distributions
N = 30_000
RNG = np.random.default_rng(7)
SALES = {
    "product": RNG.integers(0, 4, N),
    "customer": RNG.integers(0, 50, N),
    "day": RNG.integers(0, 100, N),
    "order": np.arange(N) // 3,
    "line": np.arange(N) % 3,
    "is_return": RNG.random(N) < 0.3,
    "is_exchange": RNG.random(N) < 0.5,
}


def inputs(seed: int = 11) -> SizeFitInputs:
    return SizeFitInputs(
        seed=seed, ordered_size=DECLARED.ordered_size, return_reason=DECLARED.return_reason, kept_fit=DECLARED.kept_fit,
        product_size_chart=np.array([NOT_APPAREL, TOPS_CHART, BOTTOMS_CHART, TOPS_CHART], np.int8),
        customer_size_tops=RNG.integers(0, CHART_LENGTH[TOPS_CHART], 50).astype(np.int8),
        customer_size_bottoms=RNG.integers(0, CHART_LENGTH[BOTTOMS_CHART], 50).astype(np.int8),
        epoch_day=np.arange(20_000, 20_100, dtype=np.int64),
    )


INPUTS = inputs()
LINES = apparel_lines(INPUTS, SALES)
FIELDS = ("chart", "recommended", "ordered", "kept", "fit", "return_reason", "score", "returned", "exchanged")


def test_apparel_lines_are_the_lines_with_a_chart():
    assert np.array_equal(LINES, np.flatnonzero(SALES["product"] != 0))


def test_a_lines_draws_do_not_depend_on_the_other_lines_or_their_order():
    whole = size_fit(INPUTS, SALES, LINES)
    order = np.random.default_rng(1).permutation(len(LINES))
    pieces = [size_fit(INPUTS, SALES, LINES[part]) for part in np.array_split(order, 5)]
    for name in FIELDS:
        assert np.array_equal(np.concatenate([getattr(p, name) for p in pieces]), getattr(whole, name)[order]), name
    reseeded = size_fit(replace(INPUTS, seed=12), SALES, LINES)
    assert not np.array_equal(reseeded.score, whole.score)


def test_sizes_stay_in_their_chart_and_fit_follows_the_return_reason():
    fit = size_fit(INPUTS, SALES, LINES)
    top = CHART_LENGTH[fit.chart] - 1
    for sizes in (fit.recommended, fit.ordered, fit.kept):
        assert ((sizes >= 0) & (sizes <= top)).all()
    assert (np.abs(fit.ordered - fit.recommended) <= 1).all()
    assert 0.6 < (fit.ordered == fit.recommended).mean() < 0.95
    assert np.array_equal(fit.returned, SALES["is_return"][LINES])
    assert np.array_equal(fit.exchanged, fit.returned & SALES["is_exchange"][LINES])
    assert (fit.fit[fit.returned & (fit.return_reason == TOO_SMALL)] == FIT_TOO_SMALL).all()
    assert (fit.fit[fit.returned & (fit.return_reason == TOO_LARGE)] == FIT_TOO_LARGE).all()
    kept = ~fit.returned
    assert np.array_equal(fit.kept[kept], fit.ordered[kept])
    up = fit.exchanged & (fit.fit == FIT_TOO_SMALL)
    assert np.array_equal(fit.kept[up], np.minimum(fit.ordered[up] + 1, top[up]))
    perfect = fit.fit == FIT_PERFECT
    assert fit.score[perfect].min() >= 0.70 > fit.score[~perfect].max()


def test_the_recommended_size_is_the_customers_profile_in_the_products_chart():
    fit = size_fit(INPUTS, SALES, LINES)
    customer = SALES["customer"][LINES]
    profile = np.where(fit.chart == BOTTOMS_CHART, INPUTS.customer_size_bottoms[customer],
                       INPUTS.customer_size_tops[customer])
    assert np.array_equal(fit.recommended, profile)
