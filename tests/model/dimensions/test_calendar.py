"""The retail calendar: holidays by rule, fiscal year, peak season and sales defined once."""

import datetime
import itertools

import numpy as np
import pytest

from retail_synth.model.dimensions.calendar import (
    build_date_dim,
    calendar_features,
    easter_sunday,
    holidays,
    sale_events,
)
from retail_synth.spec.contracts import arrow_schema

ETL = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def features_of(day: str) -> dict:
    return {name: values[0] for name, values in calendar_features(np.array([day], dtype="datetime64[D]")).items()}


@pytest.mark.parametrize("year, thanksgiving", [(2024, "2024-11-28"), (2025, "2025-11-27"), (2022, "2022-11-24")])
def test_thanksgiving_is_fourth_thursday_and_black_friday_follows(year, thanksgiving):
    days = holidays(year)
    assert days["Thanksgiving"] == np.datetime64(thanksgiving)
    assert days["Black Friday"] == np.datetime64(thanksgiving) + 1
    assert days["Cyber Monday"] == np.datetime64(thanksgiving) + 4
    assert features_of(thanksgiving)["holiday_name"] == "Thanksgiving"
    assert features_of(str(np.datetime64(thanksgiving) + 1))["holiday_name"] == "Black Friday"


def test_thanksgiving_moves_between_years():
    for year in range(2000, 2041):
        day = holidays(year)["Thanksgiving"].astype(datetime.date)
        assert day.isoweekday() == 4 and 22 <= day.day <= 28


@pytest.mark.parametrize(
    "year, easter",
    [(2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2008, "2008-03-23"), (2038, "2038-04-25")],
)
def test_easter_follows_gregorian_computus(year, easter):
    assert easter_sunday(year) == datetime.date.fromisoformat(easter)
    assert features_of(easter)["holiday_name"] == "Easter Sunday"


def test_weekday_rule_holidays_2025():
    days = holidays(2025)
    expected = {
        "Martin Luther King Jr. Day": "2025-01-20",
        "Presidents' Day": "2025-02-17",
        "Mother's Day": "2025-05-11",
        "Memorial Day": "2025-05-26",
        "Father's Day": "2025-06-15",
        "Labor Day": "2025-09-01",
    }
    for name, day in expected.items():
        assert days[name] == np.datetime64(day), name
    assert len(days) == 18 and len(set(days.values())) == 18


@pytest.mark.parametrize(
    "day, fiscal_year, fiscal_month, fiscal_quarter",
    [
        ("2025-01-31", 2024, 12, 4),
        ("2025-02-01", 2025, 1, 1),
        ("2025-04-30", 2025, 3, 1),
        ("2025-05-01", 2025, 4, 2),
        ("2025-12-31", 2025, 11, 4),
        ("2026-01-01", 2025, 12, 4),
    ],
)
def test_fiscal_year_starts_in_february(day, fiscal_year, fiscal_month, fiscal_quarter):
    f = features_of(day)
    assert (f["fiscal_year"], f["fiscal_month"], f["fiscal_quarter"]) == (fiscal_year, fiscal_month, fiscal_quarter)


def test_calendar_parts_match_python_for_any_dates():
    days = np.arange(np.datetime64("2015-12-20"), np.datetime64("2027-01-10"))
    f = calendar_features(days)
    for i, day in enumerate(days.astype(datetime.date)):
        iso = day.isocalendar()
        assert f["date_key"][i] == int(day.strftime("%Y%m%d"))
        assert f["day_of_week"][i] == iso.weekday
        assert f["week_of_year"][i] == iso.week
        assert f["day_name"][i] == day.strftime("%A")
        assert f["month_name"][i] == day.strftime("%B")
        assert f["is_weekend"][i] == (iso.weekday >= 6)


def test_peak_season_is_november_and_december_only():
    days = np.arange(np.datetime64("2018-01-01"), np.datetime64("2026-01-01"))
    f = calendar_features(days)
    assert np.array_equal(f["is_peak_season"], np.isin(f["month"], (11, 12)))


def test_sale_events_do_not_overlap_and_name_every_sale_day():
    for year in (2024, 2025, 2026):
        events = sorted(sale_events(year), key=lambda e: e[1])
        for (_, _, end), (_, start, _) in itertools.pairwise(events):
            assert end < start
    f = calendar_features(np.arange(np.datetime64("2024-01-01"), np.datetime64("2026-01-01")))
    assert np.array_equal(f["is_sale_period"], f["sale_event_name"] != None)  # noqa: E711
    assert np.array_equal(f["is_holiday"], f["holiday_name"] != None)  # noqa: E711
    assert features_of("2025-11-30")["sale_event_name"] == "Black Friday to Cyber Monday"
    assert features_of("2025-12-27")["sale_event_name"] == "After-Christmas Sale"


def test_date_dim_uses_the_calendar_features():
    first, last = datetime.date(2024, 11, 1), datetime.date(2025, 3, 31)
    table = build_date_dim(first, last, ETL)
    assert table.schema == arrow_schema("gold_date_dim")
    assert table.num_rows == (last - first).days + 1
    assert len(set(table["date_key"].to_pylist())) == table.num_rows
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    f = calendar_features(days)
    for name in ("is_peak_season", "is_sale_period", "is_holiday", "fiscal_year"):
        assert table[name].to_pylist() == f[name].tolist()
    assert set(table["etl_timestamp"].to_pylist()) == {ETL}


def test_date_dim_rejects_reversed_range():
    with pytest.raises(ValueError):
        build_date_dim(datetime.date(2025, 2, 1), datetime.date(2025, 1, 1), ETL)
