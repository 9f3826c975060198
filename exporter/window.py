"""Per-version window state: a ring buffer of parsed predictions in column arrays.

Rows are parsed once when they arrive: a numeric value becomes its PSI bin and
its two KS positions against the version's reference, a category an integer code
(0..K-1 reference categories, K for any value the reference never had). A
missing value gets a sentinel one past the last real bucket, so a cycle counts
everything with one ``bincount`` per column and no masking: it only selects
slots and counts. The ring keeps the ``capacity`` newest rows
in arrival (``seq``) order; the drift and the labelled windows are subsets of
it selected by count and by prediction time.

What a version predicts is kept by its task's columns: a classifier's predicted
class code, positive-class score, its calibrated probability (a binary
classifier with a calibrator) and label code (``ClassColumns``); a regression
model's predicted value and label as floats, with the predicted value's PSI bin
and KS positions against the profile's predicted-value reference, and its
expected absolute and squared error from the version's error estimator
(``ValueColumns``). A version only allocates its own task's columns. The
calibrated probabilities and expected errors are computed once, at arrival, for
the estimated performance (exporter/stats/estimation.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from driftline.regression_values import parse_value_text
from exporter.prepared import PreparedNumeric, PreparedProfile
from exporter.records import LoggedPrediction
from exporter.stats.ks import positions
from reference.binning import bin_indices
from reference.error_estimator import ErrorEstimator
from reference.profile import category_key

NO_LABEL: Final = -2
OTHER_CLASS: Final = -1  # a class (predicted or true) the reference does not list

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


Selection = IntArray | slice


def missing_bin(edges: FloatArray) -> int:
    """PSI bin sentinel of a missing value: one past the last of len(edges) + 1 bins."""
    return int(edges.size) + 1


def missing_position(distinct: int) -> int:
    """KS position sentinel of a missing value (real positions are 0..distinct)."""
    return distinct + 1


@dataclass(frozen=True)
class Placed:
    """One numeric quantity placed against its reference, one entry per row (1-D)."""

    bins: IntArray  # PSI bin, missing_bin() when the value is missing
    ks_below: IntArray  # distinct reference values < value, missing_position() if missing
    ks_at_or_below: IntArray  # distinct reference values <= value, idem


@dataclass(frozen=True)
class ConfidenceColumns:
    """A binary classifier's drift window, for its estimated performance."""

    score: FloatArray  # served positive-class probability, NaN when not logged
    calibrated: FloatArray  # the calibrator applied to it
    predicted_positive: BoolArray


@dataclass(frozen=True)
class ExpectedErrorColumns:
    """A regression version's drift window: each prediction's expected errors, NaN if none."""

    absolute: FloatArray
    squared: FloatArray


@dataclass(frozen=True)
class WindowData:
    """The drift window's columns, one entry per prediction (rows: features)."""

    size: int
    numeric_bins: IntArray  # PSI bin, missing_bin() when the value is missing
    ks_below: IntArray  # distinct reference values < value, missing_position() if missing
    ks_at_or_below: IntArray  # distinct reference values <= value, idem
    categorical_codes: IntArray  # 0..K-1 known, K unseen, K+1 missing
    predicted: IntArray  # class index, OTHER_CLASS for a class not in the reference
    predicted_values: Placed | None = None  # regression: the predicted values, placed
    estimation: ConfidenceColumns | ExpectedErrorColumns | None = None  # None: no estimate


@dataclass(frozen=True)
class LabelledData:
    """A classifier's labelled window: only predictions whose label has arrived."""

    predicted: IntArray
    label: IntArray
    positive_score: FloatArray  # NaN when the probability was not logged


@dataclass(frozen=True)
class LabelledValues:
    """A regression model's labelled window: finite predicted values and their labels."""

    predicted: FloatArray
    label: FloatArray


@dataclass(frozen=True)
class LabelledCounts:
    """A classifier's labelled window: confusion counts, and the scores AUC needs."""

    confusion: IntArray  # [predicted + 1, label + 1], -1: a class the model does not have
    positive_scores: FloatArray  # positive-class score of rows labelled positive
    negative_scores: FloatArray  # ... and of the other labelled rows
    scores_complete: bool  # False: the score rows cover only the newest intervals

    @property
    def samples(self) -> int:
        return int(self.confusion.sum())


def _to_float(value: object) -> float:
    if value is None or (isinstance(value, str | bytes) and not value):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def parse_numeric(values: list[object]) -> FloatArray:
    """Floats, NaN for missing, non-numeric or infinite values."""
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.array([_to_float(v) for v in values], dtype=np.float64)
    arr[~np.isfinite(arr)] = np.nan
    return arr


def value_or_nan(text: str | None) -> float:
    """A regression value from its log text (driftline/regression_values.py), NaN if none."""
    if text is None:
        return math.nan
    try:
        return parse_value_text(text)
    except ValueError:  # a row not written by value_text: counted as missing
        return math.nan


def place(ref: PreparedNumeric, values: FloatArray) -> Placed:
    """PSI bins and KS positions of ``values`` (NaN: missing) against ``ref``."""
    finite = np.isfinite(values)
    bins = np.full(values.size, missing_bin(ref.edges), dtype=np.int64)
    bins[finite] = bin_indices(values[finite], ref.edges)
    distinct = 0 if ref.ks is None else ref.ks.distinct.size
    below = np.full(values.size, missing_position(distinct), dtype=np.int64)
    at_or_below = below.copy()
    if ref.ks is not None:
        below[finite], at_or_below[finite] = positions(ref.ks, values[finite])
    return Placed(bins=bins, ks_below=below, ks_at_or_below=at_or_below)


class TaskColumns(Protocol):
    """The columns of what a version predicts, and its labels."""

    def add(self, slots: IntArray, rows: Sequence[LoggedPrediction]) -> None: ...
    def set_label(self, slot: int, label: str) -> None: ...
    def has_label(self) -> BoolArray: ...
    def predicted(self, slots: Selection) -> IntArray: ...
    def predicted_values(self, slots: Selection) -> Placed | None: ...
    def estimation(self, slots: Selection) -> ConfidenceColumns | ExpectedErrorColumns | None: ...
    def labelled(self, slots: Selection) -> LabelledData | LabelledValues: ...


class ClassColumns:
    """A classifier's predicted class code, positive-class score and label code per slot."""

    def __init__(self, prepared: PreparedProfile, capacity: int) -> None:
        self._predicted = np.full(capacity, OTHER_CLASS, dtype=np.int32)
        self._score = np.full(capacity, np.nan, dtype=np.float64)
        self._label = np.full(capacity, NO_LABEL, dtype=np.int32)
        self._code = {c: i for i, c in enumerate(prepared.classes)}
        self._positive = prepared.positive_class if prepared.classes else None
        self._calibrator = prepared.calibrator
        n = 0 if self._calibrator is None else capacity
        self._calibrated = np.full(n, np.nan, dtype=np.float64)

    def _class(self, value: str) -> int:
        return self._code.get(value, OTHER_CLASS)

    def add(self, slots: IntArray, rows: Sequence[LoggedPrediction]) -> None:
        self._predicted[slots] = [self._class(r.predicted_class) for r in rows]
        positive = self._positive
        scores = parse_numeric(
            [None if positive is None else r.probabilities.get(positive) for r in rows]
        )
        self._score[slots] = scores
        if self._calibrator is not None:
            self._calibrated[slots] = self._calibrator.apply(scores)
        self._label[slots] = [NO_LABEL if r.label is None else self._class(r.label) for r in rows]

    def set_label(self, slot: int, label: str) -> None:
        self._label[slot] = self._class(label)

    def has_label(self) -> BoolArray:
        mask: BoolArray = self._label != NO_LABEL
        return mask

    def predicted(self, slots: Selection) -> IntArray:
        return self._predicted[slots].astype(np.int64)

    def predicted_values(self, slots: Selection) -> Placed | None:
        return None

    def estimation(self, slots: Selection) -> ConfidenceColumns | None:
        if self._calibrator is None:
            return None
        return ConfidenceColumns(
            score=self._score[slots],
            calibrated=self._calibrated[slots],
            predicted_positive=self._predicted[slots] == len(self._code) - 1,
        )

    def labelled(self, slots: Selection) -> LabelledData:
        return LabelledData(
            predicted=self._predicted[slots].astype(np.int64),
            label=self._label[slots].astype(np.int64),
            positive_score=self._score[slots],
        )


class ValueColumns:
    """A regression model's predicted value and label per slot (NaN: none), and the
    predicted value's PSI bin and KS positions against the profile's reference."""

    def __init__(self, prepared: PreparedProfile, capacity: int) -> None:
        ref = prepared.predicted_values
        self._ref = ref
        self._estimator = prepared.error_estimator
        m = 0 if self._estimator is None else capacity
        self._expected_absolute = np.full(m, np.nan, dtype=np.float64)
        self._expected_squared = np.full(m, np.nan, dtype=np.float64)
        self._value = np.full(capacity, np.nan, dtype=np.float64)
        self._label = np.full(capacity, np.nan, dtype=np.float64)
        n = 0 if ref is None else capacity  # no reference: nothing to place against
        self._bins = np.zeros(n, dtype=np.int64)
        self._below = np.zeros(n, dtype=np.int64)
        self._at_or_below = np.zeros(n, dtype=np.int64)

    def add(self, slots: IntArray, rows: Sequence[LoggedPrediction]) -> None:
        values = np.array([value_or_nan(r.predicted_class) for r in rows], dtype=np.float64)
        self._value[slots] = values
        self._label[slots] = [value_or_nan(r.label) for r in rows]
        if self._ref is not None:
            placed = place(self._ref, values)
            self._bins[slots] = placed.bins
            self._below[slots] = placed.ks_below
            self._at_or_below[slots] = placed.ks_at_or_below
        if self._estimator is not None:
            self._expect_errors(self._estimator, slots, rows, values)

    def _expect_errors(
        self,
        estimator: ErrorEstimator,
        slots: IntArray,
        rows: Sequence[LoggedPrediction],
        values: FloatArray,
    ) -> None:
        finite = np.isfinite(values)  # a prediction that did not parse has no error
        picked = np.flatnonzero(finite)
        records = pd.DataFrame.from_records([rows[i].features for i in picked.tolist()])
        absolute, squared = estimator.expected_errors(records, values[picked])
        self._expected_absolute[slots] = np.nan
        self._expected_squared[slots] = np.nan
        self._expected_absolute[slots[picked]] = absolute
        self._expected_squared[slots[picked]] = squared

    def set_label(self, slot: int, label: str) -> None:
        self._label[slot] = value_or_nan(label)

    def has_label(self) -> BoolArray:
        # A label is usable only beside a prediction that parsed.
        mask: BoolArray = np.isfinite(self._label) & np.isfinite(self._value)
        return mask

    def predicted(self, slots: Selection) -> IntArray:
        return np.zeros(0, dtype=np.int64)  # no classes

    def predicted_values(self, slots: Selection) -> Placed | None:
        if self._ref is None:
            return None
        return Placed(
            bins=self._bins[slots],
            ks_below=self._below[slots],
            ks_at_or_below=self._at_or_below[slots],
        )

    def estimation(self, slots: Selection) -> ExpectedErrorColumns | None:
        if self._estimator is None:
            return None
        return ExpectedErrorColumns(
            absolute=self._expected_absolute[slots], squared=self._expected_squared[slots]
        )

    def labelled(self, slots: Selection) -> LabelledValues:
        return LabelledValues(predicted=self._value[slots], label=self._label[slots])


def task_columns(prepared: PreparedProfile, capacity: int) -> TaskColumns:
    if prepared.task == "regression":
        return ValueColumns(prepared, capacity)
    return ClassColumns(prepared, capacity)


class VersionWindow:
    def __init__(self, prepared: PreparedProfile, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("window capacity must be at least 1")
        self.prepared = prepared
        self.capacity = capacity
        n_num, n_cat = len(prepared.numeric), len(prepared.categorical)
        self._order = np.full(capacity, -1, dtype=np.int64)  # arrival index per slot
        self._created_at = np.zeros(capacity, dtype=np.float64)
        self._outputs = task_columns(prepared, capacity)
        # int64 because bincount works on intp; smaller types cost a conversion per cycle.
        self._bins = np.zeros((n_num, capacity), dtype=np.int64)
        self._below = np.zeros((n_num, capacity), dtype=np.int64)
        self._at_or_below = np.zeros((n_num, capacity), dtype=np.int64)
        self._cat = np.zeros((n_cat, capacity), dtype=np.int64)
        self._ids: list[str | None] = [None] * capacity
        self._slot_of: dict[str, int] = {}
        self.total = 0
        self.last_label_at: float | None = None
        self.last_prediction_at: float | None = None

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def __contains__(self, prediction_id: str) -> bool:
        return prediction_id in self._slot_of

    def add(self, rows: Sequence[LoggedPrediction]) -> int:
        """Append rows in arrival order, skipping ids already held; returns rows added."""
        fresh: list[LoggedPrediction] = []
        seen: set[str] = set()
        for r in rows:
            if r.prediction_id not in self._slot_of and r.prediction_id not in seen:
                seen.add(r.prediction_id)
                fresh.append(r)
        if len(fresh) > self.capacity:
            fresh = fresh[-self.capacity :]
        b = len(fresh)
        if b == 0:
            return 0
        slots = (self.total + np.arange(b)) % self.capacity
        for s in slots.tolist():
            old = self._ids[s]
            if old is not None and self._slot_of.get(old) == s:
                del self._slot_of[old]
        for s, r in zip(slots.tolist(), fresh, strict=True):
            self._ids[s] = r.prediction_id
            self._slot_of[r.prediction_id] = s
        self._order[slots] = self.total + np.arange(b)
        self._created_at[slots] = [r.created_at for r in fresh]
        self._outputs.add(slots, fresh)
        for j, ref in enumerate(self.prepared.numeric):
            placed = place(ref, parse_numeric([r.features.get(ref.name) for r in fresh]))
            self._bins[j, slots] = placed.bins
            self._below[j, slots] = placed.ks_below
            self._at_or_below[j, slots] = placed.ks_at_or_below
        for j, cat in enumerate(self.prepared.categorical):
            codes, other_or_unseen, missing = cat.codes, cat.code, cat.unseen_code + 1
            # A kept category is one dict lookup; only the rest pay for the method call.
            self._cat[j, slots] = [
                missing
                if (v := r.features.get(cat.name)) is None
                else (codes[k] if (k := category_key(v)) in codes else other_or_unseen(k))
                for r in fresh
            ]
        for r in fresh:
            if r.label is not None and r.label_received_at is not None:
                self._note_label(r.label_received_at)
        newest = max(r.created_at for r in fresh)
        if self.last_prediction_at is None or newest > self.last_prediction_at:
            self.last_prediction_at = newest
        self.total += b
        return b

    def _note_label(self, received_at: float) -> None:
        if self.last_label_at is None or received_at > self.last_label_at:
            self.last_label_at = received_at

    def label(self, prediction_id: str, label: str, received_at: float) -> bool:
        """Attach a late label; False when the prediction is not (or no longer) held."""
        slot = self._slot_of.get(prediction_id)
        if slot is None:
            return False
        self._outputs.set_label(slot, label)
        self._note_label(received_at)
        return True

    def select(self, last_n: int, since: float | None, labelled: bool = False) -> Selection:
        """Slots of the newest ``last_n`` rows predicted at or after ``since``.

        A slice (no copy) when that is every row held, else an index array.
        """
        mask = self._order >= max(self.total - last_n, 0)
        if since is not None:
            mask &= self._created_at >= since
        if labelled:
            mask &= self._outputs.has_label()
        held = len(self)
        picked = int(np.count_nonzero(mask))
        if picked == held and (held == self.capacity or bool(mask[:held].all())):
            return slice(0, held)
        return np.flatnonzero(mask)

    @staticmethod
    def count(selection: Selection) -> int:
        if isinstance(selection, slice):
            return int(selection.stop - selection.start)
        return int(selection.size)

    def window(self, slots: Selection) -> WindowData:
        return WindowData(
            size=self.count(slots),
            numeric_bins=self._bins[:, slots],
            ks_below=self._below[:, slots],
            ks_at_or_below=self._at_or_below[:, slots],
            categorical_codes=self._cat[:, slots],
            predicted=self._outputs.predicted(slots),
            predicted_values=self._outputs.predicted_values(slots),
            estimation=self._outputs.estimation(slots),
        )

    def labelled(self, slots: Selection) -> LabelledData | LabelledValues:
        return self._outputs.labelled(slots)
