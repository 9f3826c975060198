"""Classification performance over the labelled part of a window.

The positive class is the model's last class (as training reports F1 and AUC).
Figures are computed from confusion counts with the same operations as
scikit-learn (accuracy = correct / n, precision = tp / (tp + fp), recall =
tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn)), so they equal sklearn's bit for
bit. A figure whose denominator is zero is None (undefined), not 0. ROC AUC needs
both classes among the labels and a score per row; it is computed as the
Mann-Whitney probability P(score+ > score-) + P(score+ == score-) / 2 from two
sorts and a merge, which is the area under the ROC curve; it equals sklearn's
``roc_auc_score`` up to float rounding (1e-12 relative in the tests) at a
fraction of its cost on big windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Performance:
    samples: int
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    roc_auc: float | None


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def roc_auc(actual_positive: BoolArray, score: FloatArray) -> float:
    """Area under the ROC curve; both classes must be present."""
    pos = np.sort(score[actual_positive])
    neg = np.sort(score[~actual_positive])
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
