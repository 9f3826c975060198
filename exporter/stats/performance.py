"""Classification performance over the labelled part of a window.

One definition from training to dashboards (training/train.py reports the same):

- binary: precision, recall and F1 of the positive class, the model's last class
  (scikit-learn's ``average="binary"`` with that ``pos_label``);
- multiclass: their macro averages over the model's classes, plus each class's
  own figures (scikit-learn's ``average="macro"`` and ``average=None`` with
  ``labels=`` the model's classes).

Figures are computed from confusion counts with the same operations as
scikit-learn (accuracy = correct / n, precision = tp / (tp + fp), recall =
tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn)), so they equal sklearn's bit for
bit. A figure whose denominator is zero is None (undefined), not 0; a macro
average leaves undefined classes out, as sklearn does with
``zero_division=np.nan`` (so it does not depend on an arbitrary 0 or 1). ROC AUC
needs both classes among the labels and a score per row; it is computed as the
Mann-Whitney probability P(score+ > score-) + P(score+ == score-) / 2 from two
sorts and a merge, which is the area under the ROC curve; it equals sklearn's
``roc_auc_score`` up to float rounding (1e-12 relative in the tests) at a
fraction of its cost on big windows. Multiclass versions get no AUC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Which figure precision, recall and F1 are: the positive class's, or the macro average.
Average = Literal["binary", "macro"]


@dataclass(frozen=True)
class ClassFigures:
    """One class's precision, recall and F1 (one-vs-rest), None where undefined."""

    name: str
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class Performance:
    samples: int
    accuracy: float | None
    precision: float | None  # binary: of the positive class; multiclass: macro average
    recall: float | None
    f1: float | None
    roc_auc: float | None
    average: Average = "binary"
    per_class: tuple[ClassFigures, ...] = ()  # multiclass only, in the model's class order


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def roc_auc(actual_positive: BoolArray, score: FloatArray) -> float:
    """Area under the ROC curve; both classes must be present."""
    return roc_auc_of_groups(score[actual_positive], score[~actual_positive])


def roc_auc_of_groups(positive_scores: FloatArray, negative_scores: FloatArray) -> float:
    """Area under the ROC curve from the scores of positive and of negative rows."""
    pos = np.sort(positive_scores)
    neg = np.sort(negative_scores)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("ROC AUC needs both classes")
    below = np.searchsorted(neg, pos, side="left")
    at_or_below = np.searchsorted(neg, pos, side="right")
    wins = float(below.sum()) + 0.5 * float((at_or_below - below).sum())
    return wins / (float(pos.size) * float(neg.size))


def performance(
    correct: BoolArray,
    actual_positive: BoolArray,
    predicted_positive: BoolArray,
    positive_score: FloatArray | None = None,
) -> Performance:
    """Figures over n labelled rows; arrays are aligned, one entry per row.

    ``correct``: predicted class == label (for any number of classes);
    ``actual_positive`` / ``predicted_positive``: label / prediction is the
    positive class; ``positive_score``: predicted probability of the positive
    class (NaN where unknown; AUC is then None).
    """
    n = int(correct.size)
    if n == 0:
        return Performance(0, None, None, None, None, None)
    tp = int(np.count_nonzero(actual_positive & predicted_positive))
    pred_sum = int(np.count_nonzero(predicted_positive))
    true_sum = int(np.count_nonzero(actual_positive))
    auc: float | None = None
    if positive_score is not None and 0 < true_sum < n and not np.isnan(positive_score).any():
        auc = roc_auc(actual_positive, positive_score)
    return Performance(
        samples=n,
        accuracy=float(np.count_nonzero(correct) / n),
        precision=_ratio(tp, pred_sum),
        recall=_ratio(tp, true_sum),
        f1=_ratio(2.0 * tp, 1.0 * true_sum + pred_sum),
        roc_auc=auc,
    )


def _ratios(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den per class, NaN where den is 0 (sklearn's ``_prf_divide``)."""
    out: FloatArray = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _macro(per_class: FloatArray) -> float | None:
    """Mean over the defined classes: sklearn's ``_nanaverage`` (``np.nanmean``)."""
    if np.isnan(per_class).all():
        return None
    return float(np.nanmean(per_class))


def _defined(value: np.float64) -> float | None:
    return None if np.isnan(value) else float(value)


def multiclass_performance(
    predicted: IntArray, label: IntArray, classes: Sequence[str]
) -> Performance:
    """Macro and per-class figures over n labelled rows.

    ``predicted`` / ``label``: index into ``classes`` per row, negative for a
    class the model does not have (it is never right, and a prediction of class
    c for it is a false positive of c, as in sklearn with ``labels=classes``).
    """
    n = int(label.size)
    k = len(classes)
    if n == 0:
        return Performance(0, None, None, None, None, None, average="macro")
    known_label = label >= 0
    hit = (predicted == label) & known_label
    # Counts as int64 then float64, the dtypes sklearn divides in.
    return _macro_performance(
        classes,
        n,
        np.bincount(label[hit], minlength=k)[:k],
        np.bincount(predicted[predicted >= 0], minlength=k)[:k],
        np.bincount(label[known_label], minlength=k)[:k],
    )


def _macro_performance(
    classes: Sequence[str], n: int, hits: IntArray, pred_sums: IntArray, true_sums: IntArray
) -> Performance:
    """Macro and per-class figures from per-class counts of n rows (n > 0)."""
    tp = hits.astype(np.float64)
    pred_sum = pred_sums.astype(np.float64)
    true_sum = true_sums.astype(np.float64)
    precision = _ratios(tp, pred_sum)
    recall = _ratios(tp, true_sum)
    f1 = _ratios(2.0 * tp, 1.0 * true_sum + pred_sum)
    return Performance(
        samples=n,
        accuracy=float(int(hits.sum()) / n),
        precision=_macro(precision),
        recall=_macro(recall),
        f1=_macro(f1),
        roc_auc=None,
        average="macro",
        per_class=tuple(
            ClassFigures(name, _defined(p), _defined(r), _defined(f))
            for name, p, r, f in zip(classes, precision, recall, f1, strict=True)
        ),
    )


def confusion_performance(
    confusion: IntArray,
    classes: Sequence[str],
    scores: tuple[FloatArray, FloatArray] | None = None,
) -> Performance:
    """The figures of ``performance`` (binary, up to two classes) or
    ``multiclass_performance`` from confusion counts, equal to them on the same rows.

    ``confusion[p + 1, l + 1]``: rows predicted class index p and labelled l, -1 for a
    class the model does not have (shape (k + 1, k + 1)); ``scores``: the positive-class
    scores of the rows labelled positive and of the others (binary only; NaN: unknown).
    """
    k = len(classes)
    n = int(confusion.sum())
    known = confusion[1:, 1:]  # predicted and labelled with the model's classes
    hits = np.diagonal(known).astype(np.int64)
    pred_sums = confusion[1:, :].sum(axis=1)
    true_sums = confusion[:, 1:].sum(axis=0)
    if k > 2:
        if n == 0:
            return Performance(0, None, None, None, None, None, average="macro")
        return _macro_performance(classes, n, hits, pred_sums, true_sums)
    if n == 0:
        return Performance(0, None, None, None, None, None)
    pos = k - 1
    tp_count, pred_sum, true_sum = int(hits[pos]), int(pred_sums[pos]), int(true_sums[pos])
    auc: float | None = None
    if scores is not None and 0 < true_sum < n:
        positive, negative = scores
        # Score rows may cover fewer rows than the counts (exporter/slot_rows.py).
        held = positive.size > 0 and negative.size > 0
        if held and not (np.isnan(positive).any() or np.isnan(negative).any()):
            auc = roc_auc_of_groups(positive, negative)
    return Performance(
        samples=n,
        accuracy=float(int(hits.sum()) / n),
        precision=_ratio(tp_count, pred_sum),
        recall=_ratio(tp_count, true_sum),
        f1=_ratio(2.0 * tp_count, 1.0 * true_sum + pred_sum),
        roc_auc=auc,
    )
