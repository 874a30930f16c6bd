"""Keys and ids several tables share: one spelling, the dimensions' own."""

from __future__ import annotations

import datetime as dt

import numpy as np

from retail_synth.model.dimensions.calendar import build_date_dim
from retail_synth.model.dimensions.products import build_product_dim
from retail_synth.model.dimensions.time_of_day import build_time_dim
from retail_synth.spec import ids
from retail_synth.spec.configuration import resolve
from retail_synth.tables import keys

ETL = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
DAYS = np.datetime64("2024-02-27") + np.arange(5).astype("timedelta64[D]")      # across a leap day
DATE_KEY = ids.date_keys(DAYS)
DECLARED = resolve(preset="tiny").distributions


def test_date_keys_are_the_calendar_dates():
    assert ids.date_keys(DAYS).tolist() == [20240227, 20240228, 20240229, 20240301, 20240302]
    assert ids.date_keys(np.array(["1969-12-31", "2100-12-31"], dtype="datetime64[D]")).tolist() == [19691231, 21001231]
    dim = build_date_dim(dt.date(2023, 12, 30), dt.date(2024, 3, 2), ETL)
    dates = dim.column("calendar_date").to_numpy().astype("datetime64[D]")
    assert np.array_equal(ids.date_keys(dates), dim.column("date_key").to_numpy())


def test_sim_dates_reach_before_and_past_the_calendar():
    assert keys.sim_dates(DAYS, [-1, 0, 9]).tolist() == [dt.date(2024, 2, 26), dt.date(2024, 2, 27), dt.date(2024, 3, 7)]


def test_time_keys_are_the_time_dimension():
    slots = np.arange(ids.SLOTS_PER_DAY)
    assert ids.time_keys(slots).tolist() == build_time_dim().column("time_key").to_pylist()
    assert ids.time_keys([0, 1, 4, 95]).tolist() == [0, 15, 100, 2345]
    assert ids.SLOT_SECONDS * ids.SLOTS_PER_DAY == 86_400


def test_order_ids_share_the_day_and_number_of_the_order():
    transaction, order_number, line_item = keys.line_item_ids(DATE_KEY, np.array([2, 2]), np.array([0, 1234566]),
                                                              np.array([0, 11]))
    assert transaction.to_pylist() == ["TXN-20240229-0000001", "TXN-20240229-1234567"]
    assert order_number.to_pylist() == ["ORD-20240229-0000001", "ORD-20240229-1234567"]
    assert line_item.to_pylist() == ["TXN-20240229-0000001-01", "TXN-20240229-1234567-12"]
    assert keys.transaction_ids(DATE_KEY, [2], [0]).to_pylist() == transaction.to_pylist()[:1]
    assert keys.cart_ids(DATE_KEY, [0], [41]).to_pylist() == ["CART-20240227-0000042"]
    assert keys.abandonment_ids(DATE_KEY, [0], [41]).to_pylist() == ["ABN-20240227-0000042"]
    assert keys.order_references("SES", DATE_KEY, [4], [9]).to_pylist() == ["SES-20240302-0000010"]


def test_product_ids_are_the_product_dimension():
    dim = build_product_dim(30, 7, dt.date(2024, 1, 1), 90, 0.9, ETL, DECLARED)
    assert ids.product_ids(dim.column("product_key")).to_pylist() == dim.column("product_id").to_pylist()
    assert ids.product_ids([42]).to_pylist() == ["PRD-00000042"]

