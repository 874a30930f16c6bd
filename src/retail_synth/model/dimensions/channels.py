"""The eight sales channels, declared once for the dimension and the simulator."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from retail_synth.spec.contracts import to_arrow_table
from retail_synth.spec.vocabulary import CHANNEL_CODES, CHANNELS


def channel_keys(codes: ArrayLike) -> np.ndarray:
    """channel_key of each code; keys are positions in CHANNELS, starting at 1."""
    codes = np.asarray(codes)
    order = np.argsort(CHANNEL_CODES)
    known = np.asarray(CHANNEL_CODES)[order]
    pos = np.searchsorted(known, codes)
    pos = np.minimum(pos, len(known) - 1)
    if not np.all(known[pos] == codes):
        raise ValueError(f"unknown channel codes: {sorted(set(codes[known[pos] != codes].tolist()))}")
    return (order[pos] + 1).astype(np.int32)


def build_channel_dim(etl_timestamp: datetime.datetime) -> pa.Table:
    n = len(CHANNELS)
    columns = list(zip(*CHANNELS, strict=True))
    return to_arrow_table(
        "gold_channel_dim",
        {
            "channel_key": np.arange(1, n + 1, dtype=np.int32),
            "channel_code": columns[0],
            "channel_name": columns[1],
            "channel_type": columns[2],
            "channel_category": columns[3],
            "device_category": columns[4],
            "is_digital": columns[5],
            "is_owned": columns[6],
            "commission_rate": columns[7],
            "source_system": ["ERP"] * n,
            "etl_timestamp": [etl_timestamp] * n,
        },
    )
