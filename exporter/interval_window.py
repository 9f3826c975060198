"""A version's time window kept as exact per-interval counts that merge by addition.

Time is cut into intervals of ``interval_seconds`` (interval i holds the predictions
made in [i * interval, (i + 1) * interval)). Each interval keeps one vector of bucket
counts (exporter/count_layout.py) and the exact totals of the estimated-performance
sums (exporter/stats/exact_sum.py), in a ring of as many intervals as the longest
time window needs; a window is the sum of its intervals. Memory is intervals x
buckets, whatever the traffic. A time window covers the whole intervals that start
at or after ``now - span``, so its edge moves one interval at a time.

Rows are parsed with the ring buffer's own code (exporter/window.py), so a row falls
in the same buckets either way and every count equals the row window's over the same
predictions. What is not a count (docs/exporter-windows.md): ROC AUC and its
expected value before labels, and a regression model's labelled errors, come from
rows kept under a budget (exporter/slot_rows.py); and a late label finds its
prediction through a bounded map of the newest unlabelled predictions (interval,
predicted class or value, score), so a label for an older prediction is not counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exporter.count_layout import CountLayout, NumericSlots
from exporter.prepared import PreparedProfile
from exporter.records import LoggedPrediction
from exporter.slot_rows import SlotRows
from exporter.stats.estimation import (
    ConfidenceSums,
    ErrorSums,
    confidence_terms,
    error_terms,
    expected_roc_auc,
)
from exporter.stats.exact_sum import exact_total, rounded
from exporter.window import (
    NO_LABEL,
    ConfidenceColumns,
    ExpectedErrorColumns,
    LabelledCounts,
    LabelledData,
    LabelledValues,
    VersionWindow,
    WindowData,
    value_or_nan,
)
from exporter.window_counts import NumericCounts, WindowCounts

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)  # one per waiting prediction: no __dict__
class Pending:
    """What a late label needs of its prediction."""

    interval: int
    predicted: float  # class code, or a regression model's predicted value
    score: float  # positive-class score (NaN: none)


class IntervalWindow:
    def __init__(
        self,
        prepared: PreparedProfile,
        span_seconds: float,
        interval_seconds: float,
        *,
        pending_labels: int,
        row_budget: int,
    ) -> None:
        if interval_seconds <= 0 or span_seconds <= 0:
            raise ValueError("window span and interval must be positive")
        self.prepared = prepared
        self.interval_seconds = interval_seconds
        self.layout = CountLayout.of(prepared)
        # The intervals of the longest window, plus the one in progress.
        self.slots = math.ceil(span_seconds / interval_seconds) + 1
        self._counts = np.zeros((self.slots, self.layout.width), dtype=np.uint32)
        self._interval = np.full(self.slots, -1, dtype=np.int64)  # interval held per slot
        self._confidence = [[0] * 6 for _ in range(self.slots)]  # exact ConfidenceSums
        self._errors = [[0] * 5 for _ in range(self.slots)]  # exact ErrorSums
        self._scores = SlotRows(self.slots, 2, row_budget)  # served score, calibrated
        # Classifier: (score, labelled positive); regression: (predicted, label).
        self._labelled_rows = SlotRows(self.slots, 2, row_budget)
        self._pending: dict[str, Pending] = {}
        self.pending_labels = pending_labels
        self.newest = -1  # newest interval seen
        self.total = 0
        self.last_label_at: float | None = None
        self.last_prediction_at: float | None = None

    # --- arrival ---------------------------------------------------------------
    def add(self, rows: Sequence[LoggedPrediction]) -> int:
        """Count rows (labels read with them included); returns the rows counted."""
        fresh = list(
            {r.prediction_id: r for r in rows if r.prediction_id not in self._pending}.values()
        )
        if not fresh:
            return 0
        parsed = VersionWindow(self.prepared, len(fresh))  # the ring's parsing, same buckets
        parsed.add(fresh)
        every = slice(0, len(fresh))
        counted = self.add_parsed(
            np.array([r.created_at for r in fresh], dtype=np.float64),
            parsed.window(every),
            parsed.labelled(every),
            [r.prediction_id for r in fresh],
        )
        for r in fresh:
            if r.label is not None and r.label_received_at is not None:
                self._note_label(r.label_received_at)
        return counted

    def add_parsed(
        self,
        created_at: FloatArray,
        data: WindowData,
        labelled: LabelledData | LabelledValues,
        ids: Sequence[str] | None = None,
    ) -> int:
        """Count parsed rows (``ids``: None when no late label will follow them)."""
        interval = np.floor(created_at / self.interval_seconds).astype(np.int64)
        if interval.size == 0:
            return 0
        newest_at = float(created_at.max())
        if self.last_prediction_at is None or newest_at > self.last_prediction_at:
            self.last_prediction_at = newest_at
        self._advance(int(interval.max()))
        counted = 0
        for i in np.unique(interval[interval > self.newest - self.slots]).tolist():
            picked = np.flatnonzero(interval == i)
            self._count(i, picked, data, labelled)
            if ids is not None:
                self._wait_for_labels(i, picked, labelled, ids)
            counted += int(picked.size)
        self.total += counted
        return counted

    def _advance(self, newest: int) -> None:
        if newest <= self.newest:
            return
        for i in range(max(self.newest + 1, newest - self.slots + 1), newest + 1):
            slot = i % self.slots
            self._counts[slot] = 0
            self._interval[slot] = i
            self._confidence[slot] = [0] * 6
            self._errors[slot] = [0] * 5
            self._scores.clear(slot)
            self._labelled_rows.clear(slot)
        self.newest = newest

    def _oldest_first(self) -> list[int]:
        held = np.flatnonzero(self._interval >= 0)
        return [int(s) for s in held[np.argsort(self._interval[held])]]

    def _buckets(
        self, picked: IntArray, data: WindowData, labelled: LabelledData | LabelledValues
    ) -> IntArray:
        layout = self.layout
        parts = [np.zeros(picked.size, dtype=np.int64)]  # slot 0: one per prediction

        def numeric(slots: NumericSlots, bins: IntArray, below: IntArray, at: IntArray) -> None:
            parts.append(bins[picked] + slots.bins)
            if slots.below is not None and slots.at_or_below is not None:
                parts.append(below[picked] + slots.below)
                parts.append(at[picked] + slots.at_or_below)

        for j, ns in enumerate(layout.numeric):
            numeric(ns, data.numeric_bins[j], data.ks_below[j], data.ks_at_or_below[j])
        for j, (offset, _) in enumerate(layout.categorical):
            parts.append(data.categorical_codes[j][picked] + offset)
        offset, k1 = layout.predicted
        if data.predicted.size:
            predicted = data.predicted[picked]
            parts.append(np.where(predicted >= 0, predicted, k1 - 1) + offset)
        if layout.predicted_values is not None and data.predicted_values is not None:
            placed = data.predicted_values
            numeric(layout.predicted_values, placed.bins, placed.ks_below, placed.ks_at_or_below)
        if layout.confusion is not None and isinstance(labelled, LabelledData):
            offset, k1 = layout.confusion
            label = labelled.label[picked]
            known = label != NO_LABEL
            parts.append((labelled.predicted[picked][known] + 1) * k1 + label[known] + 1 + offset)
        return np.concatenate(parts)

    def _count(
        self, i: int, picked: IntArray, data: WindowData, labelled: LabelledData | LabelledValues
    ) -> None:
        slot = i % self.slots
        counts = np.bincount(self._buckets(picked, data, labelled), minlength=self.layout.width)
        self._counts[slot] += counts.astype(np.uint32)
        columns = data.estimation
        order = self._oldest_first()
        if isinstance(columns, ConfidenceColumns):
            n, npp, terms = confidence_terms(
                columns.calibrated[picked], columns.predicted_positive[picked]
            )
            self._add_exact(self._confidence[slot], [n, npp], terms)
            self._scores.append(
                slot, np.vstack((columns.score[picked], columns.calibrated[picked])), order
            )
        elif isinstance(columns, ExpectedErrorColumns):
            n, terms = error_terms(columns.absolute[picked], columns.squared[picked])
            self._add_exact(self._errors[slot], [n], terms)
        if isinstance(labelled, LabelledData):
            label = labelled.label[picked]
            known = label != NO_LABEL
            positive = label[known] == len(self.prepared.classes) - 1
            scores = labelled.positive_score[picked][known]
            self._labelled_rows.append(slot, np.vstack((scores, positive)), order)
        else:
            pred, actual = labelled.predicted[picked], labelled.label[picked]
            usable = np.isfinite(pred) & np.isfinite(actual)
            self._labelled_rows.append(slot, np.vstack((pred[usable], actual[usable])), order)

    @staticmethod
    def _add_exact(into: list[int], counts: list[int], terms: Sequence[FloatArray]) -> None:
        values = counts + [exact_total(t) for t in terms]
        for k, v in enumerate(values):
            into[k] += v

    def _wait_for_labels(
        self, i: int, picked: IntArray, labelled: LabelledData | LabelledValues, ids: Sequence[str]
    ) -> None:
        if isinstance(labelled, LabelledData):
            waiting = picked[labelled.label[picked] == NO_LABEL]
            predicted = labelled.predicted[waiting].astype(np.float64)
            score = labelled.positive_score[waiting]
        else:
            waiting = picked[~np.isfinite(labelled.label[picked])]
            predicted = labelled.predicted[waiting]
            score = np.full(waiting.size, np.nan)
        for row, p, s in zip(waiting.tolist(), predicted.tolist(), score.tolist(), strict=True):
            self._pending[ids[row]] = Pending(i, p, s)
        excess = len(self._pending) - self.pending_labels
        if excess > 0:  # the oldest waiting predictions give way (dicts keep insertion order)
            for key in list(self._pending)[:excess]:
                del self._pending[key]

    def __contains__(self, prediction_id: str) -> bool:
        return prediction_id in self._pending

    # --- late labels ------------------------------------------------------------
    def _note_label(self, received_at: float) -> None:
        if self.last_label_at is None or received_at > self.last_label_at:
            self.last_label_at = received_at

    def label(self, prediction_id: str, label: str, received_at: float) -> bool:
        """Move a waiting prediction into its interval's labelled counts; False when it
        is not waiting here (another version's, aged out, or beyond the pending bound)."""
        waiting = self._pending.pop(prediction_id, None)
        if waiting is None:
            return False
        self._note_label(received_at)
        slot = waiting.interval % self.slots
        if self._interval[slot] != waiting.interval:
            return True  # its interval left the ring: nothing of it is counted any more
        order = self._oldest_first()
        if self.layout.confusion is None:
            value = value_or_nan(label)
            if math.isfinite(value) and math.isfinite(waiting.predicted):
                self._labelled_rows.append(slot, np.array([[waiting.predicted], [value]]), order)
            return True
        offset, k1 = self.layout.confusion
        code = self.prepared.classes.index(label) if label in self.prepared.classes else -1
        self._counts[slot, offset + (int(waiting.predicted) + 1) * k1 + code + 1] += 1
        positive = float(code == len(self.prepared.classes) - 1)
        self._labelled_rows.append(slot, np.array([[waiting.score], [positive]]), order)
        return True

    # --- a cycle ------------------------------------------------------------------
    def window_slots(self, now: float, span_seconds: float) -> list[int]:
        """Slots of the intervals that start at or after ``now - span``, oldest first."""
        first = math.ceil((now - span_seconds) / self.interval_seconds)
        return [s for s in self._oldest_first() if self._interval[s] >= first]

    def counts(self, slots: list[int]) -> WindowCounts:
        total: IntArray = self._counts[slots].sum(axis=0, dtype=np.int64)
        layout, prepared = self.layout, self.prepared

        def numeric(ns: NumericSlots) -> NumericCounts:
            bins = total[ns.bins : ns.bins + ns.n_bins]
            if ns.below is None or ns.at_or_below is None:
                return NumericCounts(bins=bins, ks_le=None, ks_lt=None)
            le = np.cumsum(total[ns.below : ns.below + ns.distinct])
            lt = np.cumsum(total[ns.at_or_below : ns.at_or_below + ns.distinct])
            return NumericCounts(bins=bins, ks_le=le, ks_lt=lt)

        offset, k1 = layout.predicted
        confidence = auc = errors = None
        if prepared.task == "classification" and prepared.calibrator is not None:
            (n, predicted), sums = self._exact(self._confidence, slots)
            confidence = ConfidenceSums(n, predicted, *sums)
            rows = self._scores.rows([s for s in slots if self._scores.complete[s]])
            auc = expected_roc_auc(rows[0], rows[1])
        elif prepared.error_estimator is not None:
            (n,), sums = self._exact(self._errors, slots)
            errors = ErrorSums(n, *sums)
        return WindowCounts(
            size=int(total[0]),
            numeric=tuple(numeric(ns) for ns in layout.numeric),
            categorical=tuple(total[o : o + n - 1] for o, n in layout.categorical),
            predicted=total[offset : offset + k1],
            predicted_values=None
            if layout.predicted_values is None
            else numeric(layout.predicted_values),
            confidence=confidence,
            expected_roc_auc=auc,
            error_sums=errors,
        )

    @staticmethod
    def _exact(per_slot: list[list[int]], slots: list[int]) -> tuple[list[int], list[float]]:
        """The plain counts, then the four exact totals rounded once (exact_sum.py)."""
        summed = [sum(per_slot[s][k] for s in slots) for k in range(len(per_slot[0]))]
        return summed[:-4], [rounded(v) for v in summed[-4:]]

    def labelled(self, slots: list[int]) -> LabelledCounts | LabelledValues:
        complete = [s for s in slots if self._labelled_rows.complete[s]]
        rows = self._labelled_rows.rows(complete)
        if self.layout.confusion is None:
            return LabelledValues(predicted=rows[0], label=rows[1])
        offset, k1 = self.layout.confusion
        confusion = self._counts[slots, offset : offset + k1 * k1].sum(axis=0, dtype=np.int64)
        positive = rows[1] == 1.0
        return LabelledCounts(
            confusion=confusion.reshape(k1, k1),
            positive_scores=rows[0][positive],
            negative_scores=rows[0][~positive],
            scores_complete=len(complete) == len(slots),
        )
