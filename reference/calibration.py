"""A binary classifier's probability calibrator, fitted on its holdout.

The exporter estimates a version's accuracy before labels arrive from the
probabilities it served (docs/estimation.md); that is only sound if a served
probability of 0.7 means "right 70% of the time". Few models are calibrated
that well, so training fits a monotone map from the served positive-class
probability to the observed positive rate on the holdout, and the exporter
applies it. The served probabilities stay the model's own.

Two maps are tried, both from scikit-learn: isotonic regression (a step-wise
monotone map, flexible, needs a few hundred rows) and a sigmoid (Platt scaling:
a logistic regression on the score, two parameters, robust on small holdouts).
Each is judged by the expected calibration error of its *out-of-fold*
probabilities (stratified k-fold on the holdout), so a map is never judged on
rows it was fitted on; the better one is then refitted on the whole holdout and
stored as plain numbers in the reference profile.

Applying a stored calibrator is a pure function of numpy arrays
(``Calibrator.apply``), equal to scikit-learn's own ``predict`` of the fitted
object (tests), so the exporter needs neither pickles nor scikit-learn objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Method = Literal["isotonic", "sigmoid"]
METHODS: Final[tuple[Method, ...]] = ("isotonic", "sigmoid")
# Equal-width probability bins for the expected calibration error, the usual choice
# (Guo et al. 2017; NannyML and scikit-learn's calibration curve use 10 too).
ECE_BINS: Final = 10
CROSS_FIT_FOLDS: Final = 5
# Below this many holdout rows of either class a calibrator would be fitted on noise.
MIN_ROWS_PER_CLASS: Final = 2 * CROSS_FIT_FOLDS


class CalibrationError(ValueError):
    """A calibrator cannot be fitted or read; the message says why."""


def expected_calibration_error(
    probabilities: FloatArray, outcomes: BoolArray, bins: int = ECE_BINS
) -> float:
    """Mean |observed positive rate - mean probability| over equal-width bins,
    weighted by each bin's share of the rows (bin i holds i/bins <= p < (i+1)/bins,
    the last bin closed at 1)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if p.size == 0:
        raise CalibrationError("expected calibration error of no rows")
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins)
    gap = np.abs(np.bincount(index, y, bins) - np.bincount(index, p, bins))
    # sum over bins of n_b/n * |mean(y_b) - mean(p_b)| = sum |sum(y_b) - sum(p_b)| / n
    return float(gap[count > 0].sum() / p.size)


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from the served positive-class probability to a calibrated one.

    ``isotonic``: ``x`` and ``y`` are the fitted thresholds (scikit-learn's
    ``X_thresholds_`` and ``y_thresholds_``), applied by linear interpolation and
    clipped at both ends. ``sigmoid``: ``x == (slope,)`` and ``y == (intercept,)``,
    applied as 1 / (1 + exp(-(slope * p + intercept))).
    """

    method: Method
    x: tuple[float, ...]
    y: tuple[float, ...]
    # Out-of-fold expected calibration error of this method on the holdout, and the
    # same figure for the served probabilities as they are.
    ece: float
    uncalibrated_ece: float
    rows: int  # holdout rows it was fitted on

    def apply(self, scores: FloatArray) -> FloatArray:
        """Calibrated probabilities; NaN where the score is NaN."""
        s = np.asarray(scores, dtype=np.float64)
        if self.method == "isotonic":
            out: FloatArray = np.interp(s, self.x, self.y)
            return out
        z = self.x[0] * s + self.y[0]
        sig: FloatArray = 1.0 / (1.0 + np.exp(-z))
        return sig


def _fit_map(method: Method, scores: FloatArray, outcomes: BoolArray) -> Any:
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return iso.fit(scores, outcomes.astype(np.float64))
    # No penalty: Platt scaling is a plain maximum-likelihood logistic fit.
    return LogisticRegression(C=np.inf).fit(scores.reshape(-1, 1), outcomes)


def _as_calibrator(
    method: Method, fitted: Any, ece: float, uncalibrated: float, rows: int
) -> Calibrator:
    if method == "isotonic":
        x = tuple(float(v) for v in fitted.X_thresholds_)
        y = tuple(float(v) for v in fitted.y_thresholds_)
    else:
        x = (float(fitted.coef_[0, 0]),)
        y = (float(fitted.intercept_[0]),)
    return Calibrator(method, x, y, ece, uncalibrated, rows)


def out_of_fold(
    method: Method, scores: FloatArray, outcomes: BoolArray, seed: int = 0
) -> FloatArray:
    """Calibrated probabilities of every row from a map fitted on the other folds."""
    folds = StratifiedKFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
    out = np.empty(scores.size, dtype=np.float64)
    for train, test in folds.split(scores.reshape(-1, 1), outcomes):
        fitted = _fit_map(method, scores[train], outcomes[train])
        out[test] = _as_calibrator(method, fitted, 0.0, 0.0, train.size).apply(scores[test])
    return out


def fit_calibrator(scores: FloatArray, outcomes: BoolArray, seed: int = 0) -> Calibrator:
    """The method with the lower out-of-fold ECE, refitted on every row.

    ``scores``: the served positive-class probabilities on the holdout;
    ``outcomes``: whether each row's label is the positive class.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(outcomes, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise CalibrationError(f"scores {s.shape} and outcomes {y.shape} must be aligned 1-D")
    if not np.isfinite(s).all():
        raise CalibrationError("holdout scores must be finite")
    positives = int(y.sum())
    if min(positives, y.size - positives) < MIN_ROWS_PER_CLASS:
        raise CalibrationError(
            f"a calibrator needs at least {MIN_ROWS_PER_CLASS} holdout rows of each class, "
            f"got {positives} positive and {y.size - positives} negative"
        )
    errors = {m: expected_calibration_error(out_of_fold(m, s, y, seed), y) for m in METHODS}
    best = min(METHODS, key=lambda m: (errors[m], METHODS.index(m)))
    uncalibrated = expected_calibration_error(s, y)
    return _as_calibrator(best, _fit_map(best, s, y), errors[best], uncalibrated, int(s.size))


def to_dict(c: Calibrator) -> dict[str, Any]:
    return {
        "method": c.method,
        "x": list(c.x),
        "y": list(c.y),
        "ece": c.ece,
        "uncalibrated_ece": c.uncalibrated_ece,
        "rows": c.rows,
    }


def from_dict(doc: Mapping[str, Any]) -> Calibrator:
    method = doc["method"]
    if method not in METHODS:
        raise CalibrationError(f"unknown calibration method {method!r}")
    x = tuple(float(v) for v in doc["x"])
    y = tuple(float(v) for v in doc["y"])
    expected = 1 if method == "sigmoid" else len(x)
    if len(x) != len(y) or len(x) != expected or not x:
        raise CalibrationError(f"{method} calibrator has {len(x)} x and {len(y)} y values")
    if not all(np.isfinite(x + y)):
        raise CalibrationError(f"{method} calibrator has a non-finite parameter")
    return Calibrator(
        method=method,
        x=x,
        y=y,
        ece=float(doc["ece"]),
        uncalibrated_ece=float(doc["uncalibrated_ece"]),
        rows=int(doc["rows"]),
    )
