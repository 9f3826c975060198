"""Compile a fitted scikit-learn pipeline into plain numpy work on one row.

``Pipeline.predict_proba`` (or ``predict``) on a one-row pandas DataFrame spends
about a millisecond in input checks and column dispatch. The shapes driftline
trains (training/pipeline.py) are simple enough to replay directly:

- numeric block: ``SimpleImputer`` then ``StandardScaler`` -> ``(x - mean) / scale``,
- categorical block: ``SimpleImputer`` then ``OneHotEncoder(handle_unknown="ignore")``
  -> a dict lookup from category to output column,
- classifier: ``LogisticRegression`` as a dot product plus logistic/softmax; a
  HistGradientBoosting model through its compiled trees (serving/tree_ensemble.py);
  any other classifier gets the transformed numpy matrix;
- regressor: a linear model whose ``predict`` is ``x @ coef_ + intercept_``
  (``Ridge``, ``LinearRegression``, ...) as that dot product; HistGradientBoosting as
  for classifiers; any other regressor gets the transformed numpy matrix.

What a missing value (None) turns into is not re-derived: it is probed once by
running the fitted blocks themselves on an all-missing row, so the compiled form
agrees with scikit-learn even on its quirks (a None category is not NaN to
SimpleImputer, so it encodes as unknown). Any other shape returns None from
:func:`compile_classifier` / :func:`compile_regressor` and the caller keeps the
sklearn pipeline.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import issparse
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    HuberRegressor,
    Lasso,
    LassoCV,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeCV,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from serving.tree_ensemble import ForestClassifier, ForestRegressor, compile_forest

Matrix = NDArray[np.float64]
Vector = NDArray[np.float64]  # one value per record


@dataclass(frozen=True)
class _NumericColumn:
    name: str
    out: int
    mean: float
    scale: float
    if_missing: float


@dataclass(frozen=True)
class _CategoricalColumn:
    name: str
    positions: Mapping[str, int]  # category -> output column
    if_missing: tuple[tuple[int, float], ...]  # non-zero output cells for None


def _steps(block: Any) -> list[Any]:
    if isinstance(block, Pipeline):
        return [step for _, step in block.steps if step not in (None, "passthrough")]
    return [block]


def _plain_imputer(step: Any) -> bool:
    if not isinstance(step, SimpleImputer) or step.add_indicator:
        return False
    missing = step.missing_values
    return isinstance(missing, float) and missing != missing


def _numeric_block(block: Any, columns: list[str], out: slice) -> list[_NumericColumn] | None:
    steps = _steps(block)
    scaler: StandardScaler | None = None
    for i, step in enumerate(steps):
        if _plain_imputer(step) and i == 0:
            continue
        if isinstance(step, StandardScaler) and i == len(steps) - 1:
            scaler = step
            continue
        return None
    if out.stop - out.start != len(columns):
        return None
    width = len(columns)
    mean = scaler.mean_ if scaler is not None and scaler.with_mean else np.zeros(width)
    scale = scaler.scale_ if scaler is not None and scaler.with_std else np.ones(width)
    missing = _first_row(block.transform(pd.DataFrame({c: [np.nan] for c in columns})))
    return [
        _NumericColumn(c, out.start + i, float(mean[i]), float(scale[i]), float(missing[i]))
        for i, c in enumerate(columns)
    ]


def _first_row(transformed: Any) -> Vector:
    """Row 0 of a block's output, dense: a OneHotEncoder's output is sparse by default
    (ColumnTransformer makes the whole output dense when it is dense enough)."""
    dense = transformed.toarray() if issparse(transformed) else np.asarray(transformed)
    row: Vector = dense[0]
    return row


def _categorical_block(
    block: Any, columns: list[str], out: slice
) -> list[_CategoricalColumn] | None:
    steps = _steps(block)
    if not steps or not isinstance(steps[-1], OneHotEncoder):
        return None
    if not all(_plain_imputer(s) for s in steps[:-1]):
        return None
    encoder: OneHotEncoder = steps[-1]
    if encoder.handle_unknown != "ignore" or encoder.drop is not None:
        return None
    # Per feature: the categories folded into its last column (None: none folded).
    infrequent = getattr(encoder, "infrequent_categories_", None) or [None] * len(columns)
    if not all(isinstance(v, str) for cats in encoder.categories_ for v in cats):
        return None
    missing = _first_row(block.transform(pd.DataFrame({c: [None] for c in columns}, dtype=object)))
    result: list[_CategoricalColumn] = []
    start = out.start
    for c, cats, rare in zip(columns, encoder.categories_, infrequent, strict=True):
        folded = set() if rare is None else {str(v) for v in rare}
        # scikit-learn's order: the frequent categories as in categories_, then one
        # column for the infrequent ones; an unknown category stays all zeros.
        frequent = [str(v) for v in cats if str(v) not in folded]
        positions = {v: start + k for k, v in enumerate(frequent)}
        positions.update(dict.fromkeys(folded, start + len(frequent)))
        stop = start + len(frequent) + (1 if folded else 0)
        cells = tuple(
            (j, float(missing[j - out.start]))
            for j in range(start, stop)
            if missing[j - out.start] != 0.0
        )
        result.append(_CategoricalColumn(c, positions, cells))
        start = stop
    if start != out.stop:
        return None
    return result


class CompiledTransform:
    """The pipeline's ColumnTransformer replayed on JSON records: the model's input matrix."""

    def __init__(
        self,
        numeric: Sequence[_NumericColumn],
        categorical: Sequence[_CategoricalColumn],
        width: int,
    ) -> None:
        self._numeric = tuple((c.name, c.out, c.mean, c.scale, c.if_missing) for c in numeric)
        self._categorical = tuple((c.name, c.positions, c.if_missing) for c in categorical)
        self._width = width
        self._local = threading.local()

    def _row_buffer(self) -> Matrix:
        # One preallocated row per thread: gthread workers predict concurrently.
        buf: Matrix | None = getattr(self._local, "row", None)
        if buf is None:
            buf = np.zeros((1, self._width))
            self._local.row = buf
        else:
            buf.fill(0.0)
        return buf

    def __call__(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        x = self._row_buffer() if len(records) == 1 else np.zeros((len(records), self._width))
        for i, record in enumerate(records):
            row = x[i]
            for name, j, mean, scale, if_missing in self._numeric:
                value = record.get(name)
                row[j] = if_missing if value is None else (float(value) - mean) / scale
            for name, positions, missing_cells in self._categorical:
                value = record.get(name)
                if value is None:
                    for j, v in missing_cells:
                        row[j] = v
                else:
                    j = positions.get(value if type(value) is str else str(value), -1)
                    if j >= 0:
                        row[j] = 1.0
        return x


class CompiledClassifier:
    """predict_proba over JSON records without pandas; same probabilities as sklearn."""

    def __init__(self, transform: CompiledTransform, classifier: Any) -> None:
        self.transform = transform
        self._linear = isinstance(classifier, LogisticRegression)
        if self._linear:
            self._coef_t = np.ascontiguousarray(classifier.coef_.T, dtype=np.float64)
            self._intercept = np.asarray(classifier.intercept_, dtype=np.float64)
        # Another classifier predicts through its compiled trees when it is a forest that
        # compiles exactly (serving/tree_ensemble.py), else through its own predict_proba.
        forest = None if self._linear else compile_forest(classifier)
        self._predictor: Any = forest if isinstance(forest, ForestClassifier) else classifier

    @property
    def compiled_trees(self) -> bool:
        """True when the classifier predicts through its compiled trees."""
        return isinstance(self._predictor, ForestClassifier)

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        x = self.transform(records)
        if not self._linear:
            return np.asarray(self._predictor.predict_proba(x), dtype=np.float64)
        scores = x @ self._coef_t + self._intercept
        if scores.shape[1] == 1:
            p = expit(scores[:, 0])
            return np.column_stack((1.0 - p, p))
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores


# Regressors whose predict is exactly ``x @ coef_ + intercept_`` (sklearn's
# LinearModel.predict). Not every model with coef_: the generalised linear models
# (PoissonRegressor, GammaRegressor, TweedieRegressor) predict through a link
# function, so they, like any other regressor, get the transformed matrix.
_LINEAR_REGRESSORS: Final = (
    LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV,
    BayesianRidge, HuberRegressor,
)  # fmt: skip


class CompiledRegressor:
    """predict over JSON records without pandas; the same values as sklearn's predict."""

    def __init__(self, transform: CompiledTransform, regressor: Any) -> None:
        self.transform = transform
        # One target only: a multi-output model has a 2-D coef_ and goes the general way.
        self._linear = isinstance(regressor, _LINEAR_REGRESSORS) and np.ndim(regressor.coef_) == 1
        if self._linear:
            self._coef = np.ascontiguousarray(regressor.coef_, dtype=np.float64)
            self._intercept = float(regressor.intercept_)
        forest = None if self._linear else compile_forest(regressor)
        self._predictor: Any = forest if isinstance(forest, ForestRegressor) else regressor

    @property
    def compiled_trees(self) -> bool:
        """True when the regressor predicts through its compiled trees."""
        return isinstance(self._predictor, ForestRegressor)

    @property
    def dot_product(self) -> bool:
        """True when the regressor is replayed as ``x @ coef_ + intercept_``."""
        return self._linear

    def predict(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """One value per record, in order."""
        x = self.transform(records)
        if self._linear:
            return x @ self._coef + self._intercept
        return np.asarray(self._predictor.predict(x), dtype=np.float64)


def _compile_transform(
    pre: Any, estimator: Any, feature_names: Sequence[str]
) -> CompiledTransform | None:
    """The compiled ColumnTransformer ``pre`` feeding ``estimator``, or None."""
    if not isinstance(pre, ColumnTransformer):
        return None
    if getattr(estimator, "feature_names_in_", None) is not None or pre.sparse_output_:
        return None
    known = set(feature_names)
    numeric: list[_NumericColumn] = []
    categorical: list[_CategoricalColumn] = []
    for name, block, columns in pre.transformers_:
        if block == "drop":
            continue
        if name == "remainder" or block == "passthrough":
            return None
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return None
        if not set(columns) <= known:
            return None
        out = pre.output_indices_[name]
        if out.stop == out.start:
            continue
        num = _numeric_block(block, columns, out)
        if num is not None:
            numeric.extend(num)
            continue
        cat = _categorical_block(block, columns, out)
        if cat is None:
            return None
        categorical.extend(cat)
    width = max((s.stop for s in pre.output_indices_.values()), default=0)
    if width != getattr(estimator, "n_features_in_", width):
        return None
    return CompiledTransform(numeric, categorical, width)


def _two_steps(model: Any) -> tuple[Any, Any] | None:
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    return model.steps[0][1], model.steps[1][1]


def compile_classifier(model: Any, feature_names: Sequence[str]) -> CompiledClassifier | None:
    """The compiled form of the classifier pipeline ``model``, or None for another shape."""
    steps = _two_steps(model)
    if steps is None or not hasattr(steps[1], "predict_proba"):
        return None
    transform = _compile_transform(*steps, feature_names)
    return None if transform is None else CompiledClassifier(transform, steps[1])


def compile_regressor(model: Any, feature_names: Sequence[str]) -> CompiledRegressor | None:
    """The compiled form of the regression pipeline ``model``, or None for another shape."""
    steps = _two_steps(model)
    if steps is None or not hasattr(steps[1], "predict"):
        return None
    transform = _compile_transform(*steps, feature_names)
    return None if transform is None else CompiledRegressor(transform, steps[1])
