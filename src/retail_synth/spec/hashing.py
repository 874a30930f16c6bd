"""Deterministic random draws keyed by (seed, stream, entity ids).

Every random value in the data is a pure function of the run seed, a named
stream and the ids of the entity it belongs to (customer, product, location,
day, order, ...). Nothing depends on partitioning or execution order, so the
same seed yields the same tables on one core or on a cluster.
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import ArrayLike

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / float(1 << 53)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective avalanche of 64-bit words."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def stream_id(name: str) -> int:
    """A stable 32-bit id for a stream name (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


def hash64(seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
    """64-bit hash of (seed, stream, ids...); ids broadcast against each other."""
    with np.errstate(over="ignore"):
        h = _mix64(np.uint64((seed & 0xFFFFFFFFFFFFFFFF) ^ (stream_id(stream) << 32)) + _GOLDEN)
        for part in ids:
            arr = np.asarray(part).astype(np.int64).view(np.uint64)
            h = _mix64(h ^ (arr * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))
    return np.asarray(h)


def uniform(seed: int, stream: str, *ids: ArrayLike) -> np.ndarray:
    """Uniform floats in [0, 1) keyed by (seed, stream, ids...)."""
    return (hash64(seed, stream, *ids) >> np.uint64(11)).astype(np.float64) * _INV_2_53


def integers(seed: int, stream: str, low: int, high: int, *ids: ArrayLike) -> np.ndarray:
    """Integers in [low, high] inclusive keyed by (seed, stream, ids...)."""
    u = uniform(seed, stream, *ids)
    return (low + np.floor(u * (high - low + 1))).astype(np.int64)


def choice(seed: int, stream: str, weights: ArrayLike, *ids: ArrayLike) -> np.ndarray:
    """Index into `weights` drawn proportionally to them, keyed by ids."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, uniform(seed, stream, *ids), side="right")
    return np.minimum(idx, len(cdf) - 1)


def generator(seed: int, stream: str, *ids: int) -> np.random.Generator:
    """A numpy Generator for draws that belong to one entity as a whole (a day, a block of positions)."""
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, stream_id(stream), *[int(i) for i in ids]])


def conditional_choice(seed: int, stream: str, weights: ArrayLike, group: np.ndarray, *ids: ArrayLike) -> np.ndarray:
    """Index drawn from the row weights[group] of each entry, keyed by (seed, stream, ids).

    `choice` with one weight vector per entry: a size given the recommended
    one, a traffic source given the channel.
    """
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64), axis=1)
    cdf /= cdf[:, -1:]
    u = uniform(seed, stream, *ids)
    return np.minimum((u[:, None] >= cdf[group]).sum(axis=1), cdf.shape[1] - 1)


def poisson(seed: int, stream: str, mean: float, *ids: ArrayLike) -> np.ndarray:
    """Poisson(mean) counts keyed by ids: the CDF inverted at hashed uniforms (truncated at mean * 4 + 12)."""
    top = int(mean * 4 + 12)
    k = np.arange(top + 1)
    pmf = np.exp(-mean + k * np.log(max(mean, 1e-300)) - np.cumsum(np.log(np.maximum(k, 1))))
    cdf = np.cumsum(pmf)
    return np.minimum(np.searchsorted(cdf, uniform(seed, stream, *ids), side="right"), top)
