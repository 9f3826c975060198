"""Fit what the exporter needs to estimate a version's performance before labels
arrive (docs/estimation.md), on the version's holdout.

A binary classifier gets a probability calibrator, stored in its reference
profile; a regression version an error estimator, stored as a run artifact. A
multiclass classifier gets neither (its estimate is not implemented), nor does a
version whose holdout is too small to fit one on; the run then says why in its
``estimation`` parameter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from sklearn.base import is_regressor
from sklearn.pipeline import Pipeline

from reference.calibration import CalibrationError, Calibrator, fit_calibrator
from reference.error_estimator import ErrorEstimatorError, ErrorEstimatorFit, fit_error_estimator

log = logging.getLogger(__name__)

# The run parameter saying what the version got: "calibrator", "error-estimator",
# or why it got nothing.
ESTIMATION_PARAM: Final = "estimation"


@dataclass(frozen=True)
class EstimationParts:
    calibrator: Calibrator | None = None
    error_estimator: ErrorEstimatorFit | None = None
    status: str = "none"
    metrics: dict[str, float] = field(default_factory=dict)  # logged with the run


def fit_estimation_parts(
    model: Pipeline,
    x_hold: pd.DataFrame,
    y_hold: pd.Series,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    seed: int,
) -> EstimationParts:
    if is_regressor(model):
        return _error_estimator(model, x_hold, y_hold, numeric, categorical, seed)
    classes = list(model.classes_)
    if len(classes) != 2:
        return EstimationParts(status=f"none: {len(classes)} classes (binary only)")
    scores = np.asarray(model.predict_proba(x_hold)[:, 1], dtype=np.float64)
    outcomes = (y_hold == classes[-1]).to_numpy(dtype=bool)
    try:
        calibrator = fit_calibrator(scores, outcomes, seed)
    except CalibrationError as exc:
        log.warning("no probability calibrator: %s", exc)
        return EstimationParts(status=f"none: {exc}")
    return EstimationParts(
        calibrator=calibrator,
        status=f"calibrator ({calibrator.method})",
        metrics={
            "calibration_ece": calibrator.ece,
            "uncalibrated_ece": calibrator.uncalibrated_ece,
        },
    )


def _error_estimator(
    model: Pipeline,
    x_hold: pd.DataFrame,
    y_hold: pd.Series,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    seed: int,
) -> EstimationParts:
    predictions = np.asarray(model.predict(x_hold), dtype=np.float64)
    targets = y_hold.to_numpy(dtype=np.float64)
    try:
        fitted = fit_error_estimator(x_hold, numeric, categorical, predictions, targets, seed)
    except ErrorEstimatorError as exc:
        log.warning("no error estimator: %s", exc)
        return EstimationParts(status=f"none: {exc}")
    return EstimationParts(error_estimator=fitted, status="error-estimator")
