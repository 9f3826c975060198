"""Regression error figures over the labelled part of a window.

Each figure is computed with the same numpy operations, in the same order, as
scikit-learn 1.9 on a single output (``y`` reshaped to one column, averaged over
axis 0), so the values equal sklearn's (tests: ``==``, else 1e-12 relative):

- ``mean_absolute_error``: mean |prediction - label| (``mean_absolute_error``);
- ``root_mean_squared_error``: sqrt of the mean squared error
  (``root_mean_squared_error``);
- ``r2``: 1 - SS_res / SS_tot (``r2_score``); undefined (None) with fewer than two
  rows or when every label is the same (SS_tot = 0), where sklearn would return an
  arbitrary 1.0 or 0.0 (``force_finite=True``) or NaN / -inf (``force_finite=False``);
- ``mean_error``: mean (prediction - label), the bias; positive means the model
  predicts too high. sklearn has no such function; it equals
  ``np.mean(prediction - label)``.

All but R² are in the target's own unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RegressionErrors:
    samples: int
    mean_absolute_error: float | None
    root_mean_squared_error: float | None
    r2: float | None
    mean_error: float | None


def _column(values: FloatArray) -> FloatArray:
    # sklearn's _check_reg_targets turns a 1-D target into one column.
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def regression_errors(predicted: FloatArray, actual: FloatArray) -> RegressionErrors:
    """Figures over n labelled rows; ``predicted`` and ``actual`` are aligned and finite."""
    if predicted.shape != actual.shape:
        raise ValueError(f"shape mismatch: {predicted.shape} vs {actual.shape}")
    n = int(actual.size)
    if n == 0:
        return RegressionErrors(0, None, None, None, None)
    y_pred, y_true = _column(predicted), _column(actual)
    mae = np.average(np.abs(y_pred - y_true), axis=0)
    squared = (y_true - y_pred) ** 2
    rmse = np.sqrt(np.average(squared, axis=0))
    r2: float | None = None
    if n >= 2:
        numerator = np.sum(1.0 * squared, axis=0)
        denominator = np.sum(1.0 * (y_true - np.average(y_true, axis=0)) ** 2, axis=0)
        if denominator[0] != 0:
            r2 = float(1 - numerator[0] / denominator[0])
    return RegressionErrors(
        samples=n,
        mean_absolute_error=float(mae[0]),
        root_mean_squared_error=float(rmse[0]),
        r2=r2,
        mean_error=float(np.mean(y_pred - y_true)),
    )
