"""Contract-shaped Arrow record batches, and the text columns the tables build ids from.

Every table module hands `record_batch` a dict of columns; the contract
decides order, types and whether there is an etl_timestamp column, so no
module can drift from its contract or forget the run's timestamp. Columns are
built whole (numpy + pyarrow.compute), never row by row in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.spec.contracts import arrow_schema

ETL_TIMESTAMP = "etl_timestamp"


def record_batch(table: str, columns: dict, n: int, etl_timestamp: dt.datetime | None = None) -> pa.RecordBatch:
    """`n` rows of `table` in contract order and types; fails on a missing or unexpected column.

    A column may be an Arrow array, anything pyarrow.array takes (NaN in a
    float column becomes NULL: a formula with no value is NULL, never NaN), a
    str repeated on every row, or None for all NULL. etl_timestamp is added
    when, and only when, the contract has that column.
    """
    schema = arrow_schema(table)
    columns = dict(columns)
    if ETL_TIMESTAMP in schema.names:
        if etl_timestamp is None:
            raise ValueError(f"{table}: the contract has {ETL_TIMESTAMP}, none was given")
        columns[ETL_TIMESTAMP] = pa.scalar(etl_timestamp, type=schema.field(ETL_TIMESTAMP).type)
    missing = [f.name for f in schema if f.name not in columns]
    extra = [c for c in columns if c not in schema.names]
    if missing or extra:
        raise ValueError(f"{table}: missing columns {missing}, unexpected columns {extra}")
    return pa.RecordBatch.from_arrays([_column(columns[f.name], f.type, n) for f in schema], schema=schema)


def _column(value: Any, type_: pa.DataType, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, type_)
    if isinstance(value, str):
        value = pa.scalar(value, pa.string())
    if isinstance(value, pa.Scalar):
        return pa.repeat(value.cast(type_), n)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if not isinstance(value, pa.Array):
        value = pa.array(value, type=type_, from_pandas=True)
    return value if value.type == type_ else value.cast(type_)


def row_chunks(n: int, batch_rows: int) -> Iterator[tuple[int, int]]:
    """[lo, hi) ranges of at most batch_rows rows covering n rows."""
    batch_rows = max(1, int(batch_rows))
    for lo in range(0, n, batch_rows):
        yield lo, min(n, lo + batch_rows)








def null_unless(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """values where mask holds, NULL elsewhere."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), values, pa.scalar(None, values.type))
