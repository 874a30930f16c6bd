"""The shared batch builder: contract order and types, etl_timestamp only where the contract has it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from retail_synth.spec.contracts import arrow_schema
from retail_synth.spec.ids import joined, padded, text
from retail_synth.tables.arrow_batches import null_unless, record_batch, row_chunks

ETL = dt.datetime(2025, 1, 1, 6, 30, tzinfo=dt.timezone.utc)

STOCKOUT_ROW = {          # gold_stockout_events has etl_timestamp
    "stockout_id": pa.array(["SO-1-2-20250101", "SO-1-3-20250102"]),
    "product_key": np.array([1, 1], dtype=np.int64),            # int64 in, int32 by contract
    "location_key": [2, 3],
    "stockout_start_date_key": np.array([20250101, 20250102]),
    "stockout_end_date_key": pa.array([20250103, None], type=pa.int64()),
    "stockout_duration_days": np.array([3, 1]),
    "lost_sales_attempts": np.array([0, 2]),
    "lost_sales_quantity": np.array([0, 3]),
    "lost_sales_revenue": np.array([0.0, 12.5]),
    "peak_season_flag": np.array([False, True]),
    "source_system": "WMS",
}
SIZE_FIT_ROW = {          # gold_size_fit_bridge has none
    "line_item_id": ["TXN-20250101-0000001-01"],
    "customer_key": [1], "product_key": [2], "ordered_size": ["M"], "kept_size": None, "recommended_size": ["M"],
    "fit_description": ["perfect"], "fit_score": [0.9], "is_returned": [True], "return_reason": ["changed_mind"],
}


def test_batch_follows_the_contract_and_adds_the_etl_timestamp():
    batch = record_batch("gold_stockout_events", dict(reversed(STOCKOUT_ROW.items())), 2, ETL)
    assert batch.schema.equals(arrow_schema("gold_stockout_events"))
    assert batch.column("etl_timestamp").to_pylist() == [ETL, ETL]
    assert batch.column("source_system").to_pylist() == ["WMS", "WMS"]
    assert batch.column("stockout_end_date_key").to_pylist() == [20250103, None]


def test_no_etl_timestamp_where_the_contract_has_none():
    batch = record_batch("gold_size_fit_bridge", SIZE_FIT_ROW, 1, ETL)
    assert batch.schema.equals(arrow_schema("gold_size_fit_bridge"))
    assert "etl_timestamp" not in batch.schema.names
    assert batch.column("kept_size").null_count == 1


def test_a_contract_with_etl_timestamp_needs_one():
    with pytest.raises(ValueError, match="etl_timestamp"):
        record_batch("gold_stockout_events", STOCKOUT_ROW, 2)


@pytest.mark.parametrize("change", ["missing", "extra"])
def test_missing_or_unexpected_columns_fail(change):
    columns = dict(SIZE_FIT_ROW)
    if change == "missing":
        del columns["fit_score"]
    else:
        columns["shoe_size"] = [42]
    with pytest.raises(ValueError, match="fit_score" if change == "missing" else "shoe_size"):
        record_batch("gold_size_fit_bridge", columns, 1)


def test_nan_is_null_and_chunked_arrays_are_accepted():
    columns = dict(SIZE_FIT_ROW, fit_score=np.array([np.nan]), ordered_size=pa.chunked_array([["L"]]))
    batch = record_batch("gold_size_fit_bridge", columns, 1)
    assert batch.column("fit_score").to_pylist() == [None]
    assert batch.column("ordered_size").to_pylist() == ["L"]


def test_row_chunks_cover_every_row_once():
    assert list(row_chunks(7, 3)) == [(0, 3), (3, 6), (6, 7)]
    assert list(row_chunks(0, 3)) == []
    assert list(row_chunks(2, 0)) == [(0, 1), (1, 2)]


def test_text_helpers():
    assert text(np.array([3, 12])).to_pylist() == ["3", "12"]
    assert padded(np.array([7, 1234]), 3).to_pylist() == ["007", "1234"]
    assert joined("SO", np.array([1, 2]), pa.array(["a", "b"])).to_pylist() == ["SO-1-a", "SO-2-b"]
    assert joined("B", [4], sep="").to_pylist() == ["B4"]
    assert null_unless(np.array([True, False]), pa.array(["x", "y"])).to_pylist() == ["x", None]
