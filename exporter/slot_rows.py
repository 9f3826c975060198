"""Per-interval rows of the few statistics that need rows, under a budget of rows.

ROC AUC (realized, and expected before labels) is a statistic of the rows' order,
not a sum, and a histogram of scores would change it; a regression model's
labelled errors are kept as rows so R² stays the two-pass figure. Those rows live
here, per interval slot, and when more than ``budget`` are held the oldest
interval's rows are dropped whole: a figure from rows then covers the newest
intervals that fit (``complete`` says which), never a part of one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class SlotRows:
    def __init__(self, slots: int, columns: int, budget: int) -> None:
        if budget < 0:
            raise ValueError("a row budget cannot be negative")
        self.columns = columns
        self.budget = budget
        self._chunks: list[list[FloatArray]] = [[] for _ in range(slots)]
        self._held = np.zeros(slots, dtype=np.int64)
        self.complete = np.ones(slots, dtype=bool)

    @property
    def held(self) -> int:
        return int(self._held.sum())

    def clear(self, slot: int) -> None:
        self._chunks[slot] = []
        self._held[slot] = 0
        self.complete[slot] = True

    def append(self, slot: int, rows: FloatArray, oldest_first: list[int]) -> None:
        """Add ``rows`` (columns x m) to ``slot``; evict whole slots, oldest first."""
        if rows.shape[1] == 0 or not self.complete[slot]:
            return
        self._chunks[slot].append(rows)
        self._held[slot] += rows.shape[1]
        for old in oldest_first:
            if self.held <= self.budget:
                break
            if self._held[old] or self.complete[old]:
                self._chunks[old] = []
                self._held[old] = 0
                self.complete[old] = False

    def rows(self, slots: list[int]) -> FloatArray:
        """The rows of ``slots`` (columns x m), in slot order."""
        parts = [c for s in slots for c in self._chunks[s]]
        if not parts:
            return np.zeros((self.columns, 0), dtype=np.float64)
        return np.concatenate(parts, axis=1)
