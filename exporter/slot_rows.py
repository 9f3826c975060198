"""Per-interval rows of the few statistics that need rows, under a budget of rows.

ROC AUC (realized, and expected before labels) is a statistic of the rows' order,
not a sum, and a histogram of scores would change it; a regression model's
labelled errors are kept as rows so R² stays the two-pass figure. Those rows live
here, per interval slot, and when more than ``budget`` are held the oldest
intervals' rows are dropped whole, then, if the newest interval alone holds more,
its oldest rows: a figure from rows covers the newest ``budget`` rows at most
(``complete`` says which intervals are whole).
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
        """Add ``rows`` (columns x m) to ``slot``; over budget, drop the oldest slots'
        rows whole, then the oldest rows of the newest slot (``oldest_first``: the
        slots holding intervals, oldest first, ``slot`` among them)."""
        if rows.shape[1] == 0 or (not self.complete[slot] and self._held[slot] == 0):
            return  # nothing, or a slot already dropped whole
        self._chunks[slot].append(rows)
        self._held[slot] += rows.shape[1]
        *older, newest = oldest_first
        for old in older:
            if self.held <= self.budget:
                return
            self._drop(old)
        if self.held > self.budget:  # the newest interval alone holds more than the budget
            every = np.concatenate(self._chunks[newest], axis=1)
            kept = every[:, every.shape[1] - self.budget :]
            self._chunks[newest] = [kept]
            self._held[newest] = kept.shape[1]
            self.complete[newest] = False

    def _drop(self, slot: int) -> None:
        self._chunks[slot] = []
        self._held[slot] = 0
        self.complete[slot] = False

    def rows(self, slots: list[int]) -> FloatArray:
        """The rows of ``slots`` (columns x m), in slot order."""
        parts = [c for s in slots for c in self._chunks[s]]
        if not parts:
            return np.zeros((self.columns, 0), dtype=np.float64)
        return np.concatenate(parts, axis=1)
