"""DayRecord: a compressed [day, position] series gives back exactly the rows appended."""

import numpy as np
import pytest

from retail_synth.model.simulation.day_record import DAYS_PER_CHUNK, DayRecord


def test_rows_come_back_exactly_across_sealed_chunks():
    rng = np.random.default_rng(3)
    rows = rng.integers(-5, 500, size=(2 * DAYS_PER_CHUNK + 7, 11)).astype(np.int32)
    record = DayRecord(11)
    record.append_zeros(2)
    for row in rows:
        record.append(row)
    assert record.days == len(rows) + 2
    assert len(record.chunks) == 2
    expected = np.vstack([np.zeros((2, 11), np.int32), rows])
    assert np.array_equal(record.array(), expected)


def test_appending_copies_the_row():
    record = DayRecord(3)
    row = np.array([1, 2, 3], np.int32)
    record.append(row)
    row[:] = 0
    assert record.array().tolist() == [[1, 2, 3]]


@pytest.mark.parametrize("kept", [0, DAYS_PER_CHUNK - 3, DAYS_PER_CHUNK, 2 * DAYS_PER_CHUNK + 5])
def test_rewinding_forgets_the_rows_appended_since_the_checkpoint(kept):
    rows = np.arange((3 * DAYS_PER_CHUNK + 10) * 4, dtype=np.int32).reshape(-1, 4)
    record = DayRecord(4)
    for row in rows[:kept]:
        record.append(row)
    checkpoint = record.checkpoint()
    for row in rows[kept:] * -1:      # seals chunks past the checkpoint
        record.append(row)
    record.rewind(checkpoint)
    for row in rows[kept:]:
        record.append(row)
    assert np.array_equal(record.array(), rows)
