"""Reduce a window to counts per bucket: everything the statistics need from it.

Two producers with the same result: ``from_window`` counts the per-row buckets the
ring buffer precomputed at ingest (one ``bincount`` per column), ``from_columns``
starts from raw values (sorts each numeric column once; used for one-off
computations and benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exporter.prepared import PreparedCategorical, PreparedNumeric, PreparedProfile
from exporter.stats.estimation import (
    Band,
    ConfidenceSums,
    ErrorSums,
    confidence_sums,
    error_sums,
    expected_roc_auc,
)
from exporter.stats.ks import counts_from_positions, counts_from_sorted
from exporter.window import ConfidenceColumns, WindowData
from reference.binning import bin_counts

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NumericCounts:
    bins: IntArray  # values per reference PSI bin
    ks_le: IntArray | None  # values <= each distinct reference value (None: no KS sample)
    ks_lt: IntArray | None  # values < each distinct reference value

    @property
    def samples(self) -> int:
        return int(self.bins.sum())


@dataclass(frozen=True)
class WindowCounts:
    size: int  # predictions in the window
    numeric: tuple[NumericCounts, ...]  # in the order of PreparedProfile.numeric
    categorical: tuple[IntArray, ...]  # per feature: counts of codes 0..K-1, then unseen
    predicted: IntArray  # counts per reference class, then other classes
    predicted_values: NumericCounts | None = None  # regression: the predicted values
    # The estimated performance's sums (exporter/stats/estimation.py); None: no estimate.
    confidence: ConfidenceSums | None = None
    expected_roc_auc: Band | None = None  # needs the rows' order, not a sum
    error_sums: ErrorSums | None = None


def _numeric_from_placed(
    ref: PreparedNumeric, bins_at: IntArray, below: IntArray, at_or_below: IntArray
) -> NumericCounts:
    n_bins = ref.edges.size + 1
    bins = np.bincount(bins_at, minlength=n_bins + 1)[:n_bins]
    if ref.ks is None:
        return NumericCounts(bins=bins, ks_le=None, ks_lt=None)
    le, lt = counts_from_positions(ref.ks, below, at_or_below)
    return NumericCounts(bins=bins, ks_le=le, ks_lt=lt)


def _numeric_from_window(ref: PreparedNumeric, data: WindowData, j: int) -> NumericCounts:
    return _numeric_from_placed(ref, data.numeric_bins[j], data.ks_below[j], data.ks_at_or_below[j])


def _values_from_window(prepared: PreparedProfile, data: WindowData) -> NumericCounts | None:
    ref, placed = prepared.predicted_values, data.predicted_values
    if ref is None or placed is None:
        return None
    return _numeric_from_placed(ref, placed.bins, placed.ks_below, placed.ks_at_or_below)


def _categorical(ref: PreparedCategorical, codes: IntArray) -> IntArray:
    buckets = ref.unseen_code + 1
    counts: IntArray = np.bincount(codes, minlength=buckets + 1)[:buckets]
    return counts


def _predicted(prepared: PreparedProfile, predicted: IntArray) -> IntArray:
    k = len(prepared.classes)
    counts: IntArray = np.bincount(np.where(predicted >= 0, predicted, k), minlength=k + 1)
    return counts


def _estimation(data: WindowData) -> tuple[ConfidenceSums | None, Band | None, ErrorSums | None]:
    columns = data.estimation
    if columns is None:
        return None, None, None
    if isinstance(columns, ConfidenceColumns):
        sums = confidence_sums(columns.calibrated, columns.predicted_positive)
        return sums, expected_roc_auc(columns.score, columns.calibrated), None
    return None, None, error_sums(columns.absolute, columns.squared)


def from_window(prepared: PreparedProfile, data: WindowData) -> WindowCounts:
    confidence, auc, errors = _estimation(data)
    return WindowCounts(
        size=data.size,
        numeric=tuple(_numeric_from_window(r, data, j) for j, r in enumerate(prepared.numeric)),
        categorical=tuple(
            _categorical(r, data.categorical_codes[j]) for j, r in enumerate(prepared.categorical)
        ),
        predicted=_predicted(prepared, data.predicted),
        predicted_values=_values_from_window(prepared, data),
        confidence=confidence,
        expected_roc_auc=auc,
        error_sums=errors,
    )


def numeric_from_values(ref: PreparedNumeric, values: FloatArray) -> NumericCounts:
    ordered = np.sort(values[np.isfinite(values)])
    bins = bin_counts(ordered, ref.edges)  # the reference binning rule; sorted keys are fast
    if ref.ks is None:
        return NumericCounts(bins=bins, ks_le=None, ks_lt=None)
    le, lt = counts_from_sorted(ref.ks, ordered)
    return NumericCounts(bins=bins, ks_le=le, ks_lt=lt)


def from_columns(
    prepared: PreparedProfile,
    numeric: FloatArray,
    codes: IntArray,
    predicted: IntArray,
    predicted_values: FloatArray | None = None,
) -> WindowCounts:
    """``numeric``: (features, n) floats, NaN missing; ``codes``: (features, n) with
    0..K-1 known, K unseen, K+1 missing; ``predicted``: class index or -1 (a classifier),
    ``predicted_values``: floats, NaN missing (a regression model; ``predicted`` empty)."""
    values = None
    if predicted_values is not None and prepared.predicted_values is not None:
        values = numeric_from_values(prepared.predicted_values, predicted_values)
    return WindowCounts(
        size=int(predicted.size if predicted_values is None else predicted_values.size),
        numeric=tuple(numeric_from_values(r, numeric[j]) for j, r in enumerate(prepared.numeric)),
        categorical=tuple(_categorical(r, codes[j]) for j, r in enumerate(prepared.categorical)),
        predicted=_predicted(prepared, predicted),
        predicted_values=values,
    )
