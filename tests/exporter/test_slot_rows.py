"""Rows under a budget: the oldest intervals go first, whole; then the newest's oldest rows."""

from __future__ import annotations

import numpy as np

from exporter.slot_rows import SlotRows


def _rows(start: int, n: int) -> np.ndarray:
    return np.vstack([np.arange(start, start + n, dtype=np.float64)] * 2)


def test_the_oldest_intervals_are_dropped_whole_then_the_newest_is_trimmed() -> None:
    rows = SlotRows(slots=3, columns=2, budget=10)
    rows.append(0, _rows(0, 4), [0])
    rows.append(1, _rows(4, 4), [0, 1])
    assert rows.held == 8 and rows.complete.all()
    rows.append(2, _rows(8, 4), [0, 1, 2])  # 12 > 10: interval 0 goes, whole
    assert rows.held == 8 and list(rows.complete) == [False, True, True]
    assert rows.rows([1, 2])[0].tolist() == list(range(4, 12))
    rows.append(0, _rows(100, 3), [0, 1, 2])  # a late row for a dropped interval: ignored
    assert rows.held == 8
    rows.append(2, _rows(12, 20), [1, 2])  # the newest alone is over budget: its newest 10
    assert rows.held == 10 and not rows.complete[1] and not rows.complete[2]
    assert rows.rows([1, 2])[0].tolist() == list(range(22, 32))
    rows.clear(1)
    assert rows.complete[1]


def test_a_late_row_in_an_older_interval_goes_before_newer_ones() -> None:
    rows = SlotRows(slots=3, columns=2, budget=6)
    rows.append(0, _rows(0, 3), [0])
    rows.append(1, _rows(3, 3), [0, 1])
    rows.append(0, _rows(6, 1), [0, 1])  # over budget: the older interval (with it) goes
    assert list(rows.complete) == [False, True, True] and rows.held == 3
