"""The 96 quarter-hour slots of a day that facts carry as time_key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.spec.contracts import to_arrow_table
from retail_synth.spec.ids import SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_HOUR, time_keys

BUSINESS_HOURS = (9, 21)                 # stores open 09:00 and close 21:00
PEAK_HOURS = ((12, 14), (17, 20))        # lunch break and after-work shopping


def _period_of_day(hour: np.ndarray) -> np.ndarray:
    """night 22-05, morning 06-11, afternoon 12-16, evening 17-21."""
    bounds = np.array([6, 12, 17, 22])
    names = np.array(["night", "morning", "afternoon", "evening", "night"])
    return names[np.searchsorted(bounds, hour, side="right")]


def build_time_dim() -> pa.Table:
    slot = np.arange(SLOTS_PER_DAY)
    hour = slot // SLOTS_PER_HOUR
    minute = (slot % SLOTS_PER_HOUR) * SLOT_MINUTES
    hour_minute = pc.binary_join_element_wise(
        pc.utf8_lpad(pa.array(hour).cast(pa.string()), width=2, padding="0"),
        pc.utf8_lpad(pa.array(minute).cast(pa.string()), width=2, padding="0"),
        ":",
    )
    hour_12 = np.where(hour % 12 == 0, 12, hour % 12)
    peak = np.zeros(SLOTS_PER_DAY, dtype=bool)
    for start, end in PEAK_HOURS:
        peak |= (hour >= start) & (hour < end)
    return to_arrow_table(
        "gold_time_dim",
        {
            "time_key": time_keys(slot),
            "hour": hour.astype(np.int32),
            "minute": minute.astype(np.int32),
            "hour_minute": hour_minute,
            "am_pm": np.where(hour < 12, "AM", "PM"),
            "hour_12": hour_12.astype(np.int32),
            "period_of_day": _period_of_day(hour),
            "is_business_hours": (hour >= BUSINESS_HOURS[0]) & (hour < BUSINESS_HOURS[1]),
            "is_peak_hours": peak,
        },
    )
