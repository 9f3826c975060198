"""Fit what the exporter needs to estimate a version's performance before labels
arrive (docs/estimation.md), on the version's holdout.

A binary classifier gets a probability calibrator, stored in its reference
profile; a regression version an error estimator, stored as a run artifact. A
multiclass classifier gets neither (its estimate is not implemented), nor does a
classifier that gives no probabilities or a version whose holdout is too small to
fit one on; the run then says why in its ``estimation`` parameter.

``fit_estimation_parts`` asks a scikit-learn model; ``classifier_parts`` and
``regressor_parts`` take a model's answers, so an adopted model of any flavor
(adoption/) gets the same parts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from sklearn.base import is_regressor
from sklearn.pipeline import Pipeline

from reference.calibration import CalibrationError, Calibrator, fit_calibrator
from reference.error_estimator import ErrorEstimatorError, ErrorEstimatorFit, fit_error_estimator
from reference.profile import category_key

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
    """The parts of a scikit-learn ``model``, from its answers on the holdout."""
    if is_regressor(model):
        predictions = np.asarray(model.predict(x_hold), dtype=np.float64)
        return regressor_parts(x_hold, y_hold, predictions, numeric, categorical, seed)
    proba = model.predict_proba(x_hold) if hasattr(model, "predict_proba") else None
    return classifier_parts(list(model.classes_), proba, y_hold, seed)


def classifier_parts(
    classes: Sequence[object], probabilities: np.ndarray | None, y_hold: pd.Series, seed: int
) -> EstimationParts:
    """A binary classifier's calibrator, from its holdout ``probabilities`` (columns in
    ``classes`` order); none for a model that gives no probabilities."""
    if len(classes) != 2:
        return EstimationParts(status=f"none: {len(classes)} classes (binary only)")
    if probabilities is None:
        return EstimationParts(status="none: the model gives no probabilities")
    scores = np.asarray(probabilities[:, 1], dtype=np.float64)
    # By class text, as labels are compared everywhere: a pyfunc names its classes in
    # its output columns (text) whatever type the target column has.
    outcomes = (y_hold.map(category_key) == category_key(classes[-1])).to_numpy(dtype=bool)
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


def regressor_parts(
    x_hold: pd.DataFrame,
    y_hold: pd.Series,
    predictions: np.ndarray,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    seed: int,
) -> EstimationParts:
    """A regression version's error estimator, from its ``predictions`` on the holdout."""
    targets = y_hold.to_numpy(dtype=np.float64)
    try:
        fitted = fit_error_estimator(x_hold, numeric, categorical, predictions, targets, seed)
    except ErrorEstimatorError as exc:
        log.warning("no error estimator: %s", exc)
        return EstimationParts(status=f"none: {exc}")
    return EstimationParts(error_estimator=fitted, status="error-estimator")
