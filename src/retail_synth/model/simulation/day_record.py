"""Day-by-position series kept compressed while the walk runs.

One task walks many blocks in lock-step, so their daily states (on hand, in
transit, reorder levels, receipts, ...) would otherwise all sit in memory as
dense [day, position] arrays until the last day: 3 GB on the full preset.
Small integer series compress about tenfold with LZ4, so a DayRecord keeps a
few weeks of rows dense and the rest as compressed chunks, and expands them
only when a table is formatted.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import DTypeLike

DAYS_PER_CHUNK = 32


class DayRecord:
    """An append-only [day, position] array, stored LZ4-compressed DAYS_PER_CHUNK rows at a time.

    It can be rewound to a checkpoint: a task that walks a window of days again forgets that window's rows.
    """

    def __init__(self, width: int, dtype: DTypeLike = np.int32) -> None:
        self.width = width
        self.dtype = np.dtype(dtype)
        self.chunks: list[tuple[int, bytes]] = []    # (rows, compressed bytes)
        self.open: list[np.ndarray] = []

    def append(self, row: np.ndarray) -> None:
        self.open.append(np.array(row, dtype=self.dtype))     # a copy: callers reuse their rows
        if len(self.open) == DAYS_PER_CHUNK:
            self._seal()

    def append_zeros(self, days: int) -> None:
        for _ in range(days):
            self.append(np.zeros(self.width, self.dtype))

    def _seal(self) -> None:
        dense = np.ascontiguousarray(np.stack(self.open))
        self.chunks.append((len(self.open), pa.compress(dense.tobytes(), codec="lz4", asbytes=True)))
        self.open = []

    def checkpoint(self) -> int:
        """What `rewind` needs to forget every row appended after now: the rows so far (no copy held)."""
        return self.days

    def rewind(self, days: int) -> None:
        """Forget every row after the first `days`; rows sealed since are expanded back from their chunk."""
        sealed, rows = divmod(days, DAYS_PER_CHUNK)
        if len(self.chunks) > sealed:
            self.open = list(self._expanded(*self.chunks[sealed])[:rows])
        else:
            self.open = self.open[:rows]
        del self.chunks[sealed:]

    @property
    def days(self) -> int:
        return sum(rows for rows, _ in self.chunks) + len(self.open)

    def array(self) -> np.ndarray:
        """The whole series as a dense [day, position] array."""
        out = np.empty((self.days, self.width), self.dtype)
        at = 0
        for rows, packed in self.chunks:
            out[at:at + rows] = self._expanded(rows, packed)
            at += rows
        for row in self.open:
            out[at] = row
            at += 1
        return out

    def _expanded(self, rows: int, packed: bytes) -> np.ndarray:
        raw = pa.decompress(packed, decompressed_size=rows * self.width * self.dtype.itemsize, codec="lz4", asbytes=True)
        return np.frombuffer(raw, self.dtype).reshape(rows, self.width)
