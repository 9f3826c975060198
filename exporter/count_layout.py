"""Where each of a version's counts sits in one flat vector of bucket counts.

A window of counts is one integer vector per interval: the size, then for each
numeric feature its PSI bins and its two KS position histograms, each categorical
feature's codes, the predicted classes (or a regression model's placed predicted
values) and a classifier's confusion counts. Every bucket of every row's buckets
(as exporter/window.py places them, missing sentinels included) has its own slot,
so one ``bincount`` of ``offset + bucket`` counts a batch, intervals merge by
vector addition, and a window is the sum of its intervals' vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exporter.prepared import PreparedNumeric, PreparedProfile

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class NumericSlots:
    """Offsets of one numeric quantity's histograms; KS ones are None without a sample."""

    bins: int  # len(edges) + 2 buckets: the PSI bins, then missing
    below: int | None  # distinct + 2 buckets: positions 0..distinct, then missing
    at_or_below: int | None
    n_bins: int
    distinct: int


@dataclass(frozen=True)
class CountLayout:
    width: int
    numeric: tuple[NumericSlots, ...]
    categorical: tuple[tuple[int, int], ...]  # (offset, K + 2 buckets: codes, unseen, missing)
    predicted: tuple[int, int]  # (offset, k + 1 buckets: the classes, then other classes)
    predicted_values: NumericSlots | None  # regression
    confusion: tuple[int, int] | None  # (offset, k + 1): index (predicted + 1, label + 1)

    @classmethod
    def of(cls, prepared: PreparedProfile) -> CountLayout:
        at = 1  # slot 0: the number of predictions

        def take(n: int) -> int:
            nonlocal at
            at += n
            return at - n

        def numeric(ref: PreparedNumeric) -> NumericSlots:
            n_bins = int(ref.edges.size) + 1
            bins = take(n_bins + 1)
            if ref.ks is None:
                return NumericSlots(bins, None, None, n_bins, 0)
            k = int(ref.ks.distinct.size)
            return NumericSlots(bins, take(k + 2), take(k + 2), n_bins, k)

        nums = tuple(numeric(r) for r in prepared.numeric)
        cats = tuple((take(r.unseen_code + 2), r.unseen_code + 2) for r in prepared.categorical)
        k = len(prepared.classes)
        predicted = (take(k + 1), k + 1)
        values = None if prepared.predicted_values is None else numeric(prepared.predicted_values)
        confusion = (take((k + 1) ** 2), k + 1) if prepared.task == "classification" else None
        return cls(at, nums, cats, predicted, values, confusion)
