"""Distributions declared in configuration: their kinds, parameters, validation and hashed draws.

conf/defaults.yaml declares each behavioural draw once, under `distributions:`,
as `{distribution: <kind>, <parameter>: <value>, ...}`. `declare` checks one
declaration against the kinds and labels its use allows and returns a frozen
object, so a bad declaration is one line naming its key before Spark starts.
Every draw goes through retail_synth.spec.hashing: a function of (seed, stream, ids),
never of a global generator or the clock, so tables stay independent of how
the work is split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from retail_synth.spec import hashing

WEIGHT_TOLERANCE = 1e-6


class DeclarationError(ValueError):
    """A bad declaration, as one line naming its key, what is wrong and what is allowed."""


@dataclass(frozen=True)
class Zipf:
    """Weight (rank + 1) ** -exponent of the item of 0-based rank: a few items take most of the draws."""

    exponent: float

    def weights(self, rank: np.ndarray) -> np.ndarray:
        return (np.asarray(rank) + 1.0) ** -self.exponent


@dataclass(frozen=True)
class Normal:
    """mean + sd * z, z a standard normal (Box-Muller on two hashed uniforms)."""

    mean: float
    sd: float

    def draw(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        return self.mean + self.sd * standard_normal(seed, stream, *ids)


@dataclass(frozen=True)
class LogNormal:
    """exp(mu + sigma * z): positive and right-skewed, its median exp(mu)."""

    mu: float
    sigma: float

    def draw(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        return np.exp(self.mu + self.sigma * standard_normal(seed, stream, *ids))


@dataclass(frozen=True)
class Poisson:
    """Counts with the given mean (hashing.poisson: the CDF inverted at a hashed uniform)."""

    mean: float

    def draw(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        return hashing.poisson(seed, stream, self.mean, *ids)


@dataclass(frozen=True)
class Uniform:
    """Every value from low to high equally likely: whole numbers where the use counts, else real numbers."""

    low: float
    high: float

    def draw(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        """Real numbers: the midpoint plus the half-width times a hashed value in [-1, 1)."""
        mid, half = (self.low + self.high) / 2, (self.high - self.low) / 2
        return mid + half * (2 * hashing.uniform(seed, stream, *ids) - 1)

    def integers(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        return hashing.integers(seed, stream, int(self.low), int(self.high), *ids)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def largest(self) -> int:
        return int(self.high)


@dataclass(frozen=True)
class Categorical:
    """Named outcomes with weights, in declared order: the order is part of the draw."""

    labels: tuple[str, ...]
    weights: tuple[float, ...]

    def draw(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        """Index into labels of each entry."""
        return hashing.choice(seed, stream, self.weights, *ids)

    def positions(self, vocabulary: Sequence) -> np.ndarray:
        """Index in `vocabulary` (the use's own list of outcomes) of each label."""
        names = [str(v) for v in vocabulary]
        return np.array([names.index(label) for label in self.labels], dtype=np.int64)

    def draw_from(self, vocabulary: Sequence, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        """Index into `vocabulary` of each entry."""
        return self.positions(vocabulary)[self.draw(seed, stream, *ids)]

    def draw_labels(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        """The drawn labels themselves, for a use whose outcomes are free text."""
        return np.asarray(self.labels, dtype=object)[self.draw(seed, stream, *ids)]

    def integers(self, seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
        """The drawn labels as whole numbers (a quantity, a basket size)."""
        return self.values()[self.draw(seed, stream, *ids)]

    def values(self) -> np.ndarray:
        return np.array([int(label) for label in self.labels], dtype=np.int64)

    @property
    def mean(self) -> float:
        return float(np.dot(self.values(), self.weights) / sum(self.weights))

    @property
    def largest(self) -> int:
        return int(max(v for v, w in zip(self.values(), self.weights, strict=True) if w > 0))


KINDS = {"zipf": Zipf, "normal": Normal, "lognormal": LogNormal, "poisson": Poisson, "uniform": Uniform,
         "categorical": Categorical}
PARAMETERS = {"zipf": ("exponent",), "normal": ("mean", "sd"), "lognormal": ("mu", "sigma"), "poisson": ("mean",),
              "uniform": ("low", "high"), "categorical": ("weights",)}
# What `declare` returns: one frozen declaration of any kind.
Distribution = Zipf | Normal | LogNormal | Poisson | Uniform | Categorical
NON_NEGATIVE = {"zipf": ("exponent",), "normal": ("sd",), "lognormal": ("sigma",), "poisson": ("mean",)}


def standard_normal(seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
    """Standard normal values keyed by ids: Box-Muller on the stream's uniform and a second, angle uniform."""
    radius = np.sqrt(-2.0 * np.log1p(-hashing.uniform(seed, stream, *ids)))
    return radius * np.cos(2.0 * np.pi * hashing.uniform(seed, f"{stream}.angle", *ids))


def conditional_draw(declarations: Sequence[Categorical], vocabulary: Sequence, seed: int, stream: str,
                     group: np.ndarray, *ids: ArrayLike) -> np.ndarray:
    """Index into `vocabulary` drawn from declarations[group] of each entry (a traffic source given the channel)."""
    width = max(len(d.labels) for d in declarations)
    weights = np.zeros((len(declarations), width))
    outcome = np.zeros((len(declarations), width), dtype=np.int64)
    for row, declaration in enumerate(declarations):
        weights[row, : len(declaration.labels)] = declaration.weights
        outcome[row, : len(declaration.labels)] = declaration.positions(vocabulary)
    return outcome[group, hashing.conditional_choice(seed, stream, weights, group, *ids)]


@dataclass(frozen=True)
class Use:
    """What one declaration may be: its kinds, and the labels a categorical may name."""

    kinds: tuple[str, ...]
    labels: tuple[str, ...] | None = None      # None: any text, unless counts
    counts: int = 0                            # > 0: draws are whole numbers 1..counts (labels and uniform bounds)

    def allowed_labels(self) -> str:
        if self.counts:
            return f"whole numbers from 1 to {self.counts}"
        return ", ".join(self.labels) if self.labels is not None else "any non-empty text"

    def allows(self, label: str) -> bool:
        if self.counts:
            return label.isdigit() and 1 <= int(label) <= self.counts
        return label in self.labels if self.labels is not None else label != ""


def declare(key: str, tree: object, use: Use) -> Distribution:
    """The frozen distribution `tree` declares at `key`, or a DeclarationError for the first problem."""
    kinds = ", ".join(use.kinds)
    if not isinstance(tree, Mapping) or "distribution" not in tree:
        raise DeclarationError(f"'{key}' must be a declaration {{distribution: <kind>, ...}} with kind {kinds}, got {tree!r}")
    kind = tree["distribution"]
    if kind not in KINDS:
        raise DeclarationError(f"'{key}.distribution' is {kind!r}, an unknown distribution; known: {', '.join(KINDS)}")
    if kind not in use.kinds:
        raise DeclarationError(f"'{key}.distribution' is {kind!r}, which this draw cannot use; allowed: {kinds}")
    wanted = PARAMETERS[kind]
    given = [name for name in tree if name != "distribution"]
    for name in given:
        if name not in wanted:
            raise DeclarationError(f"'{key}' ({kind}) has an unknown parameter '{name}'; {kind} takes {', '.join(wanted)}")
    for name in wanted:
        if name not in tree:
            raise DeclarationError(f"'{key}' ({kind}) is missing its parameter '{name}'; {kind} takes {', '.join(wanted)}")
    if kind == "categorical":
        return _categorical(f"{key}.weights", tree["weights"], use)
    values = {name: _number(f"{key}.{name}", tree[name]) for name in wanted}
    for name in NON_NEGATIVE.get(kind, ()):
        if values[name] < 0:
            raise DeclarationError(f"'{key}.{name}' must not be negative, got {values[name]:g}")
    if kind == "uniform":
        if values["low"] > values["high"]:
            raise DeclarationError(f"'{key}.low' ({values['low']:g}) must not exceed '{key}.high' ({values['high']:g})")
        for name, value in values.items():
            if use.counts and not (value.is_integer() and 1 <= value <= use.counts):
                raise DeclarationError(f"'{key}.{name}' must be one of the {use.allowed_labels()}, got {value:g}")
    return KINDS[kind](**values)


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DeclarationError(f"'{key}' must be a finite number, got {value!r}")
    return float(value)


def _categorical(key: str, weights: object, use: Use) -> Categorical:
    if not isinstance(weights, Mapping) or not weights:
        raise DeclarationError(f"'{key}' must map labels to weights, e.g. {{label: 0.5, other: 0.5}}; "
                               f"labels: {use.allowed_labels()}")
    labels = tuple(str(label) for label in weights)
    for label in labels:
        if not use.allows(label):
            raise DeclarationError(f"'{key}' has an unknown label '{label}'; allowed: {use.allowed_labels()}")
    values = tuple(_number(f"{key}.{label}", w) for label, w in zip(labels, weights.values(), strict=True))
    for label, value in zip(labels, values, strict=True):
        if value < 0:
            raise DeclarationError(f"'{key}.{label}' must not be negative, got {value:g}")
    total = math.fsum(values)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        each = " + ".join(f"{v:g}" for v in values)
        raise DeclarationError(f"'{key}' must add up to 1 (within {WEIGHT_TOLERANCE:g}), got {each} = {total:.6g}")
    return Categorical(labels=labels, weights=values)
