"""A fitted HistGradientBoosting model's trees as flat numpy arrays, for a few rows at a time.

scikit-learn predicts such a model with one Cython call per tree (200 by default),
each with its own input checks and OpenMP region: about 1.2 ms for one row of the
demo's churn challenger, against 4 us for the row's preprocessing (bench/tree_predict.py).
Here every tree's nodes sit in one set of arrays and a row walks all trees at once,
one level per step, with the comparisons of scikit-learn's predictor (``value <=
num_threshold``, a missing value goes where ``missing_go_to_left`` says). The leaf
values are added in scikit-learn's order (baseline, then the trees of each iteration
in turn), so the sums are the same floats, and the model's own loss turns them into
probabilities or predicted values.

It reads fitted attributes scikit-learn keeps private (``_predictors``,
``_baseline_prediction``, ``_loss``); :func:`compile_forest` therefore checks itself
against the model's own ``predict_proba`` / ``predict`` on probe rows built from every
split threshold (at, just below and just above it, and missing) and returns None,
leaving the model to scikit-learn, when any answer differs in any bit, when a tree
splits on a native categorical feature, or when the model has an input preprocessor.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

Matrix = NDArray[np.float64]

MIN_PROBE_ROWS: Final = 64


def _trees(model: Any) -> list[Any]:
    """Every tree's node array, in scikit-learn's adding order: by iteration, then output."""
    return [tree.nodes for iteration in model._predictors for tree in iteration]


class CompiledForest:
    """The raw predictions (before the loss's link) of a HistGradientBoosting model."""

    def __init__(self, model: Any) -> None:
        per_output = len(model._predictors[0])
        trees = _trees(model)
        sizes = np.array([len(nodes) for nodes in trees])
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        nodes = np.concatenate(trees)
        own = np.arange(len(nodes))
        shift = np.repeat(offsets, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        # A leaf points at itself both ways: a walk that reached one stays there.
        self._left = np.where(leaf, own, nodes["left"].astype(np.intp) + shift)
        self._right = np.where(leaf, own, nodes["right"].astype(np.intp) + shift)
        self._feature = np.where(leaf, 0, nodes["feature_idx"].astype(np.intp))
        self._threshold = nodes["num_threshold"].astype(np.float64)
        self._missing_left = nodes["missing_go_to_left"].astype(bool)
        self._value = nodes["value"].astype(np.float64)
        self._roots = offsets.astype(np.intp)
        self._levels = int(nodes["depth"].max())
        self._outputs = per_output
        self._baseline = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()

    def raw(self, x: Matrix) -> Matrix:
        """Shape (rows, outputs): the baseline plus every tree's leaf value, in order."""
        rows = np.arange(x.shape[0])[:, None]
        node = np.broadcast_to(self._roots, (x.shape[0], len(self._roots)))
        for _ in range(self._levels):
            value = x[rows, self._feature[node]]
            below = value <= self._threshold[node]
            go_left = np.where(np.isnan(value), self._missing_left[node], below)
            node = np.where(go_left, self._left[node], self._right[node])
        leaves = self._value[node]
        out = np.empty((x.shape[0], self._outputs))
        for k in range(self._outputs):
            terms = np.concatenate(
                (np.full((x.shape[0], 1), self._baseline[k]), leaves[:, k :: self._outputs]), axis=1
            )
            # Sequential, as scikit-learn adds one tree at a time (a pairwise sum would
            # round differently).
            out[:, k] = np.add.accumulate(terms, axis=1)[:, -1]
        return out


class ForestClassifier:
    """predict_proba of a HistGradientBoostingClassifier through its compiled trees."""

    def __init__(self, model: HistGradientBoostingClassifier) -> None:
        self._forest = CompiledForest(model)
        self._loss = model._loss

    def predict_proba(self, x: Matrix) -> Matrix:
        return np.asarray(self._loss.predict_proba(self._forest.raw(x)), dtype=np.float64)


class ForestRegressor:
    """predict of a HistGradientBoostingRegressor through its compiled trees."""

    def __init__(self, model: HistGradientBoostingRegressor) -> None:
        self._forest = CompiledForest(model)
        self._link = model._loss.link

    def predict(self, x: Matrix) -> NDArray[np.float64]:
        return np.asarray(self._link.inverse(self._forest.raw(x).ravel()), dtype=np.float64)


def probe_rows(model: Any, seed: int = 0) -> Matrix:
    """Rows that take every branch: each split threshold of a feature appears in its
    column at, just below and just above the threshold, and the column has a missing
    cell; the columns are shuffled apart, so rows mix them. A feature without a split
    is 0. At most 255 thresholds a feature (the model's bins): a few hundred rows."""
    rng = np.random.default_rng(seed)
    nodes = np.concatenate(_trees(model))
    splits = nodes[~nodes["is_leaf"].astype(bool)]
    columns = []
    for f in range(int(model.n_features_in_)):
        at = np.unique(splits["num_threshold"][splits["feature_idx"] == f])
        below, above = np.nextafter(at, -np.inf), np.nextafter(at, np.inf)
        columns.append(np.concatenate((at, below, above, [np.nan])) if len(at) else np.zeros(1))
    rows = max(MIN_PROBE_ROWS, *(len(c) for c in columns))
    return np.column_stack([rng.permutation(np.resize(c, rows)) for c in columns])


def compile_forest(model: Any) -> ForestClassifier | ForestRegressor | None:
    """The compiled form of a fitted HistGradientBoosting model, or None (scikit-learn keeps
    it) for another model or any shape this does not reproduce exactly."""
    if not isinstance(model, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return None
    try:
        if getattr(model, "_preprocessor", None) is not None or not model._predictors:
            return None
        if any(nodes["is_categorical"].any() for nodes in _trees(model)):
            return None
        probe = probe_rows(model)
        if isinstance(model, HistGradientBoostingClassifier):
            classifier = ForestClassifier(model)
            same = np.array_equal(classifier.predict_proba(probe), model.predict_proba(probe))
            return classifier if same else None
        regressor = ForestRegressor(model)
        same = np.array_equal(regressor.predict(probe), model.predict(probe))
        return regressor if same else None
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        # Internals of another scikit-learn version: its own predict is always right.
        return None
