"""The retail calendar: holidays, peak season and sale events, defined once.

`calendar_features` is the only place these are computed; gold_date_dim and
the demand simulation (which also needs dates before the dimension's range)
both call it, so "peak season" and "holiday" mean one thing everywhere.

Holidays are computed for each year from their rules (Thanksgiving is the
fourth Thursday of November, Easter follows the Gregorian computus), never
fixed dates.

Peak season is the holiday shopping season as the National Retail Federation
measures it: November 1 through December 31.

The fiscal year follows the NRF 4-5-4 convention of starting in February and
is named after the calendar year it starts in.
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa

from retail_synth.spec.contracts import to_arrow_table
from retail_synth.spec.demand_volume import BLACK_FRIDAY, CYBER_MONDAY
from retail_synth.spec.ids import date_keys

MONTH_NAMES = np.array(
    ["January", "February", "March", "April", "May", "June", "July",
     "August", "September", "October", "November", "December"]
)
DAY_NAMES = np.array(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
SEASON_BY_MONTH = np.array(
    ["winter", "winter", "spring", "spring", "spring", "summer",
     "summer", "summer", "fall", "fall", "fall", "winter"]
)
PEAK_SEASON_MONTHS = (11, 12)
FISCAL_YEAR_START_MONTH = 2

_ONE_DAY = np.timedelta64(1, "D")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> np.datetime64:
    """The n-th given weekday (Monday=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = datetime.date(year, month, 1)
        day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    else:
        next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
        last = next_month - datetime.timedelta(days=1)
        day = last - datetime.timedelta(days=(last.weekday() - weekday) % 7)
    return np.datetime64(day, "D")


def easter_sunday(year: int) -> datetime.date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7     # the algorithm's L
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def holidays(year: int) -> dict[str, np.datetime64]:
    """US retail holidays of one year, by name."""
    def fixed(month: int, day: int) -> np.datetime64:
        return np.datetime64(datetime.date(year, month, day), "D")

    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        "New Year's Day": fixed(1, 1),
        "Martin Luther King Jr. Day": _nth_weekday(year, 1, 0, 3),
        "Valentine's Day": fixed(2, 14),
        "Presidents' Day": _nth_weekday(year, 2, 0, 3),
        "Easter Sunday": np.datetime64(easter_sunday(year), "D"),
        "Mother's Day": _nth_weekday(year, 5, 6, 2),
        "Memorial Day": _nth_weekday(year, 5, 0, -1),
        "Father's Day": _nth_weekday(year, 6, 6, 3),
        "Independence Day": fixed(7, 4),
        "Labor Day": _nth_weekday(year, 9, 0, 1),
        "Halloween": fixed(10, 31),
        "Veterans Day": fixed(11, 11),
        "Thanksgiving": thanksgiving,
        BLACK_FRIDAY: thanksgiving + _ONE_DAY,
        CYBER_MONDAY: thanksgiving + 4 * _ONE_DAY,
        "Christmas Eve": fixed(12, 24),
        "Christmas Day": fixed(12, 25),
        "New Year's Eve": fixed(12, 31),
    }


def sale_events(year: int) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """Promotional periods of one year as (name, first day, last day); they never overlap.

    Holiday weekends run Saturday through the Monday holiday; the clearance
    weeks make room for the next season's stock.
    """
    days = holidays(year)

    def fixed(month: int, day: int) -> np.datetime64:
        return np.datetime64(datetime.date(year, month, day), "D")

    def holiday_weekend(name: str) -> tuple[np.datetime64, np.datetime64]:
        return days[name] - 2 * _ONE_DAY, days[name]

    return [
        ("Winter Clearance", fixed(1, 18), fixed(1, 31)),
        ("Presidents' Day Weekend", *holiday_weekend("Presidents' Day")),
        ("Memorial Day Weekend", *holiday_weekend("Memorial Day")),
        ("July 4th Sale", fixed(7, 1), fixed(7, 5)),
        ("Summer Clearance", fixed(7, 18), fixed(7, 31)),
        ("Labor Day Weekend", *holiday_weekend("Labor Day")),
        ("Black Friday to Cyber Monday", days[BLACK_FRIDAY], days[CYBER_MONDAY]),
        ("After-Christmas Sale", fixed(12, 26), fixed(12, 31)),
    ]


def calendar_features(days: np.ndarray) -> dict[str, np.ndarray]:
    """Calendar attributes of any dates, vectorised; names follow gold_date_dim.

    Attributes are computed once per day of the span covered, so per-event
    date arrays of a fact batch cost little more than the days they span.
    """
    days = np.asarray(days, dtype="datetime64[D]")
    if days.size == 0:
        return {name: values.reshape(days.shape) for name, values in _features(days.ravel()).items()}
    first = days.min()
    span = np.arange(first, days.max() + _ONE_DAY)
    offset = (days - first).astype(np.int64)
    return {name: values[offset] for name, values in _features(span).items()}


def _features(days: np.ndarray) -> dict[str, np.ndarray]:
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    day_of_week = (days.astype(np.int64) + 3) % 7 + 1          # 1970-01-01 was a Thursday
    iso_thursday = days + (4 - day_of_week).astype("timedelta64[D]")
    iso_year_start = iso_thursday.astype("datetime64[Y]").astype("datetime64[D]")
    week_of_year = (iso_thursday - iso_year_start).astype(np.int64) // 7 + 1
    fiscal_month = (month - FISCAL_YEAR_START_MONTH) % 12 + 1

    holiday_name = np.full(days.shape, None, dtype=object)
    sale_event_name = np.full(days.shape, None, dtype=object)
    for y in np.unique(year).tolist():
        for name, day in holidays(y).items():
            holiday_name[days == day] = name
        for name, first, last in sale_events(y):
            sale_event_name[(days >= first) & (days <= last)] = name

    return {
        "date_key": date_keys(days),
        "calendar_date": days,
        "year": year.astype(np.int32),
        "quarter": ((month + 2) // 3).astype(np.int32),
        "month": month.astype(np.int32),
        "month_name": MONTH_NAMES[month - 1],
        "week_of_year": week_of_year.astype(np.int32),
        "day_of_month": day_of_month.astype(np.int32),
        "day_of_week": day_of_week.astype(np.int32),
        "day_name": DAY_NAMES[day_of_week - 1],
        "is_weekend": day_of_week >= 6,
        "is_holiday": holiday_name.astype(bool),
        "holiday_name": holiday_name,
        "fiscal_year": np.where(month >= FISCAL_YEAR_START_MONTH, year, year - 1).astype(np.int32),
        "fiscal_quarter": ((fiscal_month + 2) // 3).astype(np.int32),
        "fiscal_month": fiscal_month.astype(np.int32),
        "season": SEASON_BY_MONTH[month - 1],
        "is_peak_season": np.isin(month, PEAK_SEASON_MONTHS),
        "is_sale_period": sale_event_name.astype(bool),
        "sale_event_name": sale_event_name,
    }


def build_date_dim(
    first_day: datetime.date, last_day: datetime.date, etl_timestamp: datetime.datetime
) -> pa.Table:
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    days = np.arange(np.datetime64(first_day, "D"), np.datetime64(last_day, "D") + _ONE_DAY)
    return to_arrow_table("gold_date_dim", {**calendar_features(days), "etl_timestamp": [etl_timestamp] * len(days)})
