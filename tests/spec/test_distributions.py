"""Declared distributions: hashed draws that are functions of (seed, stream, ids), and one-line declaration errors."""

import numpy as np
import pytest

from retail_synth.spec import hashing
from retail_synth.spec.distributions import (
    Categorical,
    DeclarationError,
    LogNormal,
    Normal,
    Poisson,
    Uniform,
    Use,
    Zipf,
    conditional_draw,
    declare,
)

IDS = np.arange(200_000, dtype=np.int64) * 7919


@pytest.mark.parametrize(
    "distribution",
    [Normal(mean=2.0, sd=0.5), LogNormal(mu=0.0, sigma=0.4), Poisson(mean=1.5), Uniform(low=-0.15, high=0.15)],
)
def test_draws_are_functions_of_seed_stream_and_ids(distribution):
    draws = distribution.draw(7, "test.draw", IDS)
    assert np.array_equal(draws, distribution.draw(7, "test.draw", IDS[::-1])[::-1])     # an entity's own draw
    assert not np.array_equal(draws, distribution.draw(8, "test.draw", IDS))
    assert not np.array_equal(draws, distribution.draw(7, "test.other", IDS))


def test_normal_and_lognormal_have_their_declared_moments():
    normal = Normal(mean=2.0, sd=0.5).draw(1, "test.normal", IDS)
    assert abs(normal.mean() - 2.0) < 0.01 and abs(normal.std() - 0.5) < 0.01
    lognormal = LogNormal(mu=0.5, sigma=0.4).draw(1, "test.lognormal", IDS)
    assert abs(np.median(lognormal) - np.exp(0.5)) < 0.02 and lognormal.min() > 0


def test_poisson_and_zipf_follow_their_parameters():
    assert abs(Poisson(mean=1.5).draw(1, "test.poisson", IDS).mean() - 1.5) < 0.02
    weights = Zipf(exponent=1.05).weights(np.arange(4))
    assert np.allclose(weights, np.arange(1, 5) ** -1.05)


def test_uniform_reproduces_the_symmetric_jitter_and_whole_numbers_bit_for_bit():
    u = hashing.uniform(3, "test.jitter", IDS)
    assert np.array_equal(Uniform(low=-0.15, high=0.15).draw(3, "test.jitter", IDS), 0.15 * (2 * u - 1))
    assert np.array_equal(Uniform(low=2, high=6).integers(3, "test.jitter", IDS), 2 + np.floor(u * 5).astype(np.int64))


def test_a_categorical_without_its_zero_weights_draws_what_the_full_vector_drew():
    full = (0.45, 0.25, 0.15, 0.05, 0.0, 0.10)
    vocabulary = ("a", "b", "c", "d", "e", "f")
    declared = Categorical(labels=("a", "b", "c", "d", "f"), weights=(0.45, 0.25, 0.15, 0.05, 0.10))
    assert np.array_equal(declared.draw_from(vocabulary, 5, "test.pick", IDS), hashing.choice(5, "test.pick", full, IDS))


def test_the_declared_order_is_part_of_the_draw():
    forward = Categorical(labels=("a", "b"), weights=(0.5, 0.5)).draw_labels(5, "test.order", IDS)
    backward = Categorical(labels=("b", "a"), weights=(0.5, 0.5)).draw_labels(5, "test.order", IDS)
    assert not np.array_equal(forward, backward)
    assert abs((forward == "a").mean() - (backward == "a").mean()) < 0.01


def test_a_conditional_draw_matches_the_padded_weight_matrix():
    vocabulary = ("w", "x", "y", "z")
    rows = (Categorical(labels=("w", "x"), weights=(0.3, 0.7)), Categorical(labels=("y", "z"), weights=(0.5, 0.5)))
    matrix = np.array([[0.3, 0.7, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    group = (IDS // 7919) % 2
    assert np.array_equal(conditional_draw(rows, vocabulary, 9, "test.group", group, IDS),
                          hashing.conditional_choice(9, "test.group", matrix, group, IDS))


def test_count_categoricals_know_their_mean_and_largest_value():
    quantity = Categorical(labels=("1", "2", "3", "9"), weights=(0.5, 0.3, 0.2, 0.0))
    assert quantity.mean == pytest.approx(1.7) and quantity.largest == 3
    assert Uniform(low=1, high=3).mean == 2 and Uniform(low=1, high=3).largest == 3


@pytest.mark.parametrize(
    "tree, use, message",
    [
        (0.5, Use(("zipf",)), "'k' must be a declaration {distribution: <kind>, ...} with kind zipf"),
        ({"distribution": "gamma"}, Use(("zipf",)), "'k.distribution' is 'gamma', an unknown distribution"),
        ({"distribution": "normal", "mean": 0, "sd": 1}, Use(("zipf",)), "which this draw cannot use; allowed: zipf"),
        ({"distribution": "zipf"}, Use(("zipf",)), "'k' (zipf) is missing its parameter 'exponent'"),
        ({"distribution": "zipf", "exponent": 1, "s": 2}, Use(("zipf",)), "'k' (zipf) has an unknown parameter 's'"),
        ({"distribution": "zipf", "exponent": -1}, Use(("zipf",)), "'k.exponent' must not be negative, got -1"),
        ({"distribution": "normal", "mean": True, "sd": 1}, Use(("normal",)), "'k.mean' must be a finite number"),
        ({"distribution": "uniform", "low": 3, "high": 1}, Use(("uniform",)), "'k.low' (3) must not exceed 'k.high' (1)"),
        ({"distribution": "uniform", "low": 1.5, "high": 2}, Use(("uniform",), counts=9),
         "'k.low' must be one of the whole numbers from 1 to 9, got 1.5"),
        ({"distribution": "categorical", "weights": {}}, Use(("categorical",), ("a",)), "'k.weights' must map labels"),
        ({"distribution": "categorical", "weights": {"a": 0.5, "b": 0.6}}, Use(("categorical",), ("a", "b")),
         "'k.weights' must add up to 1 (within 1e-06), got 0.5 + 0.6 = 1.1"),
        ({"distribution": "categorical", "weights": {"a": 1.2, "b": -0.2}}, Use(("categorical",), ("a", "b")),
         "'k.weights.b' must not be negative, got -0.2"),
        ({"distribution": "categorical", "weights": {"c": 1.0}}, Use(("categorical",), ("a", "b")),
         "'k.weights' has an unknown label 'c'; allowed: a, b"),
        ({"distribution": "categorical", "weights": {"0": 1.0}}, Use(("categorical",), counts=3),
         "'k.weights' has an unknown label '0'; allowed: whole numbers from 1 to 3"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_its_key(tree, use, message):
    with pytest.raises(DeclarationError) as error:
        declare("k", tree, use)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_weights_within_the_tolerance_are_accepted_in_declared_order():
    declared = declare("k", {"distribution": "categorical", "weights": {"b": 0.7, "a": 0.3000001}}, Use(("categorical",)))
    assert declared == Categorical(labels=("b", "a"), weights=(0.7, 0.3000001))
