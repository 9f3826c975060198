"""A regression model's error figures on labelled rows, each computed by scikit-learn.

The names are the reference profile's ``HOLDOUT_ERROR_KEYS``; training logs them as
MLflow metrics and stores them in the profile, so both hold the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from reference.profile import HOLDOUT_ERROR_KEYS

FloatLike = Sequence[float] | np.ndarray


def regression_errors(y_true: FloatLike, y_pred: FloatLike) -> dict[str, float]:
    """MAE, RMSE, R² and mean error (mean of prediction - target: positive over-predicts)."""
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if truth.shape != pred.shape or truth.ndim != 1 or truth.size == 0:
        raise ValueError(f"need two equal, non-empty 1-d arrays, got {truth.shape} {pred.shape}")
    figures = (
        mean_absolute_error(truth, pred),
        root_mean_squared_error(truth, pred),
        r2_score(truth, pred),
        np.mean(pred - truth),
    )
    return {key: float(value) for key, value in zip(HOLDOUT_ERROR_KEYS, figures, strict=True)}
