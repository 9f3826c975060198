"""Direct loss estimation: a regression version's expected error, without labels.

A small second model, fitted on the version's holdout, predicts from a
prediction's inputs and predicted value how large its error will be: one
gradient-boosted regressor for the absolute error and one for the squared error
(each trained with squared loss, so each predicts the conditional *mean* of its
target, which is what MAE and MSE average). The exporter averages them over a
window to estimate MAE and RMSE before any label arrives (docs/estimation.md).

The pair is stored as a skops artifact of the version's run
(``ERROR_ESTIMATOR_ARTIFACT_PATH``) and loaded with the fixed list of types it
is made of (``TRUSTED_TYPES``), so the exporter never loads anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import skops.io as skops_io
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]

ERROR_ESTIMATOR_ARTIFACT_PATH: Final = "estimation/error_estimator.skops"
# The input column holding the version's predicted value (not a feature name a
# user is likely to have: feature names come from their table).
PREDICTION_COLUMN: Final = "__driftline_prediction__"
# Fewer holdout rows than this and the estimator would learn noise.
MIN_ROWS: Final = 200
# Folds of the out-of-fold check that measures the estimator's own error.
CROSS_FIT_FOLDS: Final = 5
# The types of a fitted estimator that skops does not trust by default (the column
# transformer's passthrough is a partial of check_array); it refuses any other.
TRUSTED_TYPES: Final = (
    "functools.partial",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
)
# One OpenMP thread for fitting and predicting: the estimator is small, and on a
# busy 2-core host OpenMP's spinning threads made a 0.2 s fit take 76 s (docs/estimation.md).
OPENMP_THREADS: Final = 1


class ErrorEstimatorError(ValueError):
    """An error estimator cannot be fitted or loaded; the message says why."""


def coerce_inputs(
    records: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    predictions: FloatArray,
) -> pd.DataFrame:
    """The estimator's input table: numeric features as floats (NaN when missing or
    not a number), categorical ones as text (None when missing), then the prediction.

    ``records`` may lack a column (every value missing) and have others (ignored).
    """
    n = len(predictions)
    out: dict[str, Any] = {}
    for col in numeric:
        values = records[col] if col in records else pd.Series([np.nan] * n)
        out[col] = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    for col in categorical:
        values = records[col] if col in records else pd.Series([None] * n)
        out[col] = np.array([None if pd.isna(v) else str(v) for v in values], dtype=object)
    out[PREDICTION_COLUMN] = np.asarray(predictions, dtype=np.float64)
    return pd.DataFrame(out)


def _model(numeric: Sequence[str], categorical: Sequence[str], seed: int) -> Pipeline:
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
    )
    columns = ColumnTransformer(
        [
            ("numeric", "passthrough", [*numeric, PREDICTION_COLUMN]),
            ("categorical", encode, list(categorical)),
        ],
        sparse_threshold=0.0,
    )
    n_num = len(numeric) + 1
    mask = [False] * n_num + [True] * len(categorical)
    # Small and regularised: it learns where the model errs, from a few thousand rows.
    boost = HistGradientBoostingRegressor(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.2,
        categorical_features=mask if categorical else None,
        random_state=seed,
    )
    return Pipeline([("columns", columns), ("boost", boost)])


@dataclass(frozen=True)
class ErrorEstimator:
    """Predicts each prediction's expected absolute and squared error."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    absolute: Pipeline
    squared: Pipeline

    def expected_errors(
        self, records: pd.DataFrame, predictions: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Per row: E|error| (>= 0) and E[error²] (>= E|error|², as any distribution's)."""
        if len(predictions) == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty.copy()
        x = coerce_inputs(records, self.numeric, self.categorical, predictions)
        with threadpool_limits(OPENMP_THREADS, user_api="openmp"):
            absolute = np.maximum(self.absolute.predict(x), 0.0)
            squared = np.maximum(self.squared.predict(x), absolute**2)
        return absolute.astype(np.float64), squared.astype(np.float64)


@dataclass(frozen=True)
class ErrorEstimatorFit:
    """A fitted estimator and its own error, measured on the holdout it was fitted on.

    ``absolute_bias`` and ``squared_bias``: how far the estimator's mean absolute
    (squared) error was from the holdout's own, relative to it, out of fold (each
    row estimated by estimators fitted on the other folds). The profile keeps them
    (``ErrorEstimation``) and the exporter widens its bands by them, as it does by a
    calibrator's ECE; the stored estimator itself does not carry them.
    """

    estimator: ErrorEstimator
    absolute_bias: float
    squared_bias: float


def fit_error_estimator(
    features: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    predictions: FloatArray,
    targets: FloatArray,
    seed: int = 0,
) -> ErrorEstimatorFit:
    """Fit on a holdout: its features, the version's predictions and the true targets."""
    if len(features) < MIN_ROWS:
        raise ErrorEstimatorError(
            f"an error estimator needs at least {MIN_ROWS} holdout rows, got {len(features)}"
        )
    x = coerce_inputs(features, numeric, categorical, predictions)
    error = np.asarray(predictions, dtype=np.float64) - np.asarray(targets, dtype=np.float64)
    with threadpool_limits(OPENMP_THREADS, user_api="openmp"):
        absolute = _model(numeric, categorical, seed).fit(x, np.abs(error))
        squared = _model(numeric, categorical, seed).fit(x, error**2)
        oof_absolute, oof_squared = _out_of_fold(x, error, numeric, categorical, seed)
    return ErrorEstimatorFit(
        ErrorEstimator(tuple(numeric), tuple(categorical), absolute, squared),
        absolute_bias=_relative_gap(oof_absolute, np.abs(error)),
        squared_bias=_relative_gap(oof_squared, error**2),
    )


def _relative_gap(estimated: FloatArray, actual: FloatArray) -> float:
    total = float(actual.sum())
    return abs(float(estimated.sum()) - total) / total if total > 0 else 0.0


def _out_of_fold(
    x: pd.DataFrame,
    error: FloatArray,
    numeric: Sequence[str],
    categorical: Sequence[str],
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Each row's expected errors from estimators fitted on the other folds."""
    absolute = np.empty(error.size, dtype=np.float64)
    squared = np.empty(error.size, dtype=np.float64)
    folds = KFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(x):
        part = x.iloc[train]
        a = _model(numeric, categorical, seed).fit(part, np.abs(error[train]))
        s = _model(numeric, categorical, seed).fit(part, error[train] ** 2)
        absolute[test] = np.maximum(a.predict(x.iloc[test]), 0.0)
        squared[test] = np.maximum(s.predict(x.iloc[test]), absolute[test] ** 2)
    return absolute, squared


def dumps(estimator: ErrorEstimator) -> bytes:
    return bytes(
        skops_io.dumps(
            {
                "numeric": list(estimator.numeric),
                "categorical": list(estimator.categorical),
                "absolute": estimator.absolute,
                "squared": estimator.squared,
            }
        )
    )


def loads(data: bytes) -> ErrorEstimator:
    try:
        doc: Mapping[str, Any] = skops_io.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises UntrustedTypesFoundException and format errors
        raise ErrorEstimatorError(f"cannot load the error estimator: {exc}") from exc
    return ErrorEstimator(
        numeric=tuple(doc["numeric"]),
        categorical=tuple(doc["categorical"]),
        absolute=doc["absolute"],
        squared=doc["squared"],
    )
