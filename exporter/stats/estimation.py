"""A version's performance estimated from its predictions alone, with a band.

Pure functions; the reasoning is in docs/estimation.md.

Classification (binary), confidence-based: with ``p_i`` the calibrated
probability that prediction i's label is the positive class and ``d_i`` whether
the model predicted the positive class, each label is a Bernoulli(p_i) draw, so
the expected confusion counts are TP = Σ d p, FP = Σ d (1-p), FN = Σ (1-d) p and
TN = Σ (1-d)(1-p). Accuracy, precision, recall and F1 are computed from those
expected counts with the formulas of exporter/stats/performance.py. The band is
the normal interval of the figure's sampling spread under the same Bernoulli
model: its variance is exact for accuracy (Σ p(1-p) / n²) and precision, and
the delta method's for recall and F1, plus the calibrator's own measured error
(its out-of-fold ECE on the holdout) added in quadrature, because a calibrator
is never perfect and the labels of a window are judged against it.

ROC AUC, expected: the Mann-Whitney pair count with each pair (i, j) weighted by
the probability that i is positive and j negative, p_i (1 - p_j), over i ≠ j,
ordered by the served scores; its band is Hanley and McNeil's standard error at
the expected class counts.

Every sum above is a sum over predictions, so windows of counts can merge them
by addition (``ConfidenceSums``, ``ErrorSums``); only the AUC needs the rows. Each sum
is the correctly rounded total of its terms (exporter/stats/exact_sum.py), the same
float whichever way a window's rows are grouped into intervals.

Regression, direct loss estimation: ``a_i`` and ``s_i`` are the error
estimator's expected absolute and squared error of prediction i. MAE = Σ a / n
with variance Σ (s - a²) / n² (the variance of |error| is E[e²] - E|e|²); RMSE =
sqrt(Σ s / n), its band the square root of the MSE's, whose variance Σ 2 s² / n²
is that of squared normal errors (E[e⁴] = 3 σ⁴). Both bands also carry the
estimator's own out-of-fold error on its holdout, as the classifier's carry the
calibrator's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from exporter.stats.exact_sum import exact_total, rounded

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Two-sided coverage of every band; z is its normal quantile (1.96).
BAND_LEVEL: Final = 0.95
BAND_Z: Final = float(norm.ppf(0.5 + BAND_LEVEL / 2))


@dataclass(frozen=True)
class Band:
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class EstimatedPerformance:
    """A binary classifier's estimated figures over the predictions of a window."""

    samples: int  # predictions with a served probability
    accuracy: Band
    precision: Band | None  # None: the model predicted no positive
    recall: Band | None  # None: no positive expected
    f1: Band | None
    roc_auc: Band | None  # None: a class is not expected, or no scores
    calibration_error: float  # the calibrator's out-of-fold ECE, part of every band


@dataclass(frozen=True)
class EstimatedErrors:
    """A regression version's estimated error figures over the predictions of a window."""

    samples: int  # predictions with a finite predicted value
    mean_absolute_error: Band
    root_mean_squared_error: Band


@dataclass(frozen=True)
class ConfidenceSums:
    """Additive sums over predictions that the classification estimate needs."""

    n: int
    predicted_positive: int  # Σ d
    tp: float  # Σ d p
    tp_var: float  # Σ d p (1 - p)
    fn: float  # Σ (1 - d) p
    fn_var: float  # Σ (1 - d) p (1 - p)

    def __add__(self, other: ConfidenceSums) -> ConfidenceSums:
        return ConfidenceSums(
            self.n + other.n,
            self.predicted_positive + other.predicted_positive,
            self.tp + other.tp,
            self.tp_var + other.tp_var,
            self.fn + other.fn,
            self.fn_var + other.fn_var,
        )


@dataclass(frozen=True)
class ErrorSums:
    """Additive sums over predictions that the regression estimate needs."""

    n: int
    absolute: float  # Σ a
    absolute_var: float  # Σ (s - a²)
    squared: float  # Σ s
    squared_var: float  # Σ 2 s²

    def __add__(self, other: ErrorSums) -> ErrorSums:
        return ErrorSums(
            self.n + other.n,
            self.absolute + other.absolute,
            self.absolute_var + other.absolute_var,
            self.squared + other.squared,
            self.squared_var + other.squared_var,
        )


def confidence_terms(
    calibrated: FloatArray, predicted_positive: BoolArray
) -> tuple[int, int, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """n, Σ d and the per-row terms of tp, tp_var, fn and fn_var, over the rows whose
    calibrated probability is known (not NaN)."""
    known = np.isfinite(calibrated)
    p = calibrated[known]
    d = predicted_positive[known]
    spread = p * (1.0 - p)
    return int(p.size), int(np.count_nonzero(d)), (p[d], spread[d], p[~d], spread[~d])


def confidence_sums(calibrated: FloatArray, predicted_positive: BoolArray) -> ConfidenceSums:
    """Sums over the rows whose calibrated probability is known (not NaN), each
    correctly rounded (exact_sum.py), so per-interval totals merge to the same floats."""
    n, predicted, terms = confidence_terms(calibrated, predicted_positive)
    tp, tp_var, fn, fn_var = (rounded(exact_total(t)) for t in terms)
    return ConfidenceSums(n, predicted, tp, tp_var, fn, fn_var)


def error_terms(
    expected_absolute: FloatArray, expected_squared: FloatArray
) -> tuple[int, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """n and the per-row terms of absolute, absolute_var, squared and squared_var, over
    the rows with both expectations (not NaN)."""
    known = np.isfinite(expected_absolute) & np.isfinite(expected_squared)
    a, s = expected_absolute[known], expected_squared[known]
    return int(a.size), (a, np.maximum(s - a * a, 0.0), s, 2.0 * s * s)


def error_sums(expected_absolute: FloatArray, expected_squared: FloatArray) -> ErrorSums:
    """Sums over the rows with both expectations (not NaN), each correctly rounded."""
    n, terms = error_terms(expected_absolute, expected_squared)
    absolute, absolute_var, squared, squared_var = (rounded(exact_total(t)) for t in terms)
    return ErrorSums(n, absolute, absolute_var, squared, squared_var)


def _ratio_band(estimate: float, variance: float, extra_sd: float = 0.0) -> Band:
    half = BAND_Z * math.sqrt(max(variance, 0.0) + extra_sd * extra_sd)
    return Band(estimate, max(estimate - half, 0.0), min(estimate + half, 1.0))


def estimate_performance(
    sums: ConfidenceSums, calibration_error: float, roc_auc: Band | None = None
) -> EstimatedPerformance | None:
    """Estimated figures from ``sums``; None for a window without calibrated rows."""
    n, npp = sums.n, sums.predicted_positive
    if n == 0:
        return None
    tp, fn = sums.tp, sums.fn
    tn = (n - npp) - fn
    accuracy = _ratio_band((tp + tn) / n, (sums.tp_var + sums.fn_var) / n**2, calibration_error)
    precision = None
    if npp > 0:
        precision = _ratio_band(tp / npp, sums.tp_var / npp**2, calibration_error)
    recall = f1 = None
    positives = tp + fn
    if positives > 0:
        recall = _ratio_band(
            tp / positives,
            (fn * fn * sums.tp_var + tp * tp * sums.fn_var) / positives**4,
            calibration_error,
        )
        s = tp + fn + npp  # 2 TP + FP + FN
        f1 = _ratio_band(
            2 * tp / s,
            4 * ((fn + npp) ** 2 * sums.tp_var + tp * tp * sums.fn_var) / s**4,
            calibration_error,
        )
    return EstimatedPerformance(
        samples=n,
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=f1,
        roc_auc=roc_auc,
        calibration_error=calibration_error,
    )


def expected_roc_auc(scores: FloatArray, calibrated: FloatArray) -> Band | None:
    """Expected ROC AUC of the served ``scores`` with labels drawn from ``calibrated``.

    Rows where either is NaN are left out. None when a class is not expected.
    """
    known = np.isfinite(scores) & np.isfinite(calibrated)
    s, p = scores[known], calibrated[known]
    if s.size < 2:
        return None
    q = 1.0 - p
    spread = p * q
    # E[positives * negatives] over distinct rows: (Σp)(Σq) - Σ p q.
    pairs = float(p.sum() * q.sum() - spread.sum())
    if pairs <= 0:
        return None
    order = np.argsort(s, kind="stable")
    s, p, q, spread = s[order], p[order], q[order], spread[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(p, starts)  # per tie group
    neg = np.add.reduceat(q, starts)
    own = np.add.reduceat(spread, starts)
    below = np.cumsum(neg) - neg  # negatives' weight with a strictly lower score
    # A pair in a tie group counts one half; a row is never paired with itself.
    wins = float((pos * below).sum() + 0.5 * (pos * neg - own).sum())
    auc = min(max(wins / pairs, 0.0), 1.0)
    n_pos, n_neg = float(p.sum()), float(q.sum())
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)
    ) / max(n_pos * n_neg, 1e-12)
    return _ratio_band(auc, variance)


def estimate_errors(
    sums: ErrorSums, absolute_bias: float = 0.0, squared_bias: float = 0.0
) -> EstimatedErrors | None:
    """Estimated MAE and RMSE from ``sums``; None for a window without estimates.

    ``absolute_bias`` and ``squared_bias``: the estimator's own relative error on its
    holdout, out of fold, added in quadrature to the MAE's and the MSE's spread.
    """
    n = sums.n
    if n == 0:
        return None
    mae = sums.absolute / n
    mae_half = BAND_Z * math.hypot(math.sqrt(sums.absolute_var) / n, absolute_bias * mae)
    mse = sums.squared / n
    mse_half = BAND_Z * math.hypot(math.sqrt(sums.squared_var) / n, squared_bias * mse)
    return EstimatedErrors(
        samples=n,
        mean_absolute_error=Band(mae, max(mae - mae_half, 0.0), mae + mae_half),
        root_mean_squared_error=Band(
            math.sqrt(mse), math.sqrt(max(mse - mse_half, 0.0)), math.sqrt(mse + mse_half)
        ),
    )
