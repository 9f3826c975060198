"""Compiled HistGradientBoosting trees answer bit for bit what scikit-learn answers, and
any model they cannot reproduce stays with scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)

from serving import tree_ensemble
from serving.tree_ensemble import ForestClassifier, ForestRegressor, compile_forest


def _data(rows: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6))
    x[:, 5] = rng.integers(0, 4, rows)  # a few distinct values, as a one-hot column has
    x[rng.random(x.shape) < 0.08] = np.nan  # missing values at fit: learned directions
    score = np.nan_to_num(x[:, 0]) * 2 + np.nan_to_num(x[:, 1]) ** 2 - np.isnan(x[:, 2])
    return x, score


def _rows(seed: int) -> np.ndarray:
    """Fresh rows: normal values, missing cells, huge values, and one all-missing row."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, 6))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[rng.random(x.shape) < 0.02] = 1e300
    return np.vstack([x, np.full((1, 6), np.nan)])


@pytest.mark.parametrize("classes", [2, 3])
def test_classifier_probabilities_are_the_same_floats(classes: int) -> None:
    x, score = _data()
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    model = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(x, y)
    forest = compile_forest(model)
    assert isinstance(forest, ForestClassifier)
    for seed in range(3):
        rows = _rows(seed)
        assert np.array_equal(forest.predict_proba(rows), model.predict_proba(rows))
        assert np.array_equal(forest.predict_proba(rows[:1]), model.predict_proba(rows[:1]))


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "poisson"])
def test_regressor_values_are_the_same_floats(loss: str) -> None:
    x, score = _data(seed=1)
    target = np.exp(score / 4) if loss == "poisson" else score  # poisson: a log link
    model = HistGradientBoostingRegressor(loss=loss, max_iter=60, random_state=0)
    model.fit(x, target)
    forest = compile_forest(model)
    assert isinstance(forest, ForestRegressor)
    rows = _rows(7)
    assert np.array_equal(forest.predict(rows), model.predict(rows))


def test_probe_rows_take_both_sides_of_every_split_and_the_missing_branch() -> None:
    x, score = _data()
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, score > 0)
    probe = tree_ensemble.probe_rows(model)
    nodes = model._predictors[0][0].nodes
    split = nodes[~nodes["is_leaf"].astype(bool)][0]
    column = probe[:, split["feature_idx"]]
    threshold = split["num_threshold"]
    assert (column == threshold).any() and (column > threshold).any()
    assert (column < threshold).any() and np.isnan(column).any()


def test_models_it_cannot_reproduce_stay_with_scikit_learn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    x, score = _data()
    y = score > 0
    assert compile_forest(RandomForestClassifier(n_estimators=3).fit(x, y)) is None
    # Native categorical splits (bitsets), and a model that preprocesses its input.
    native = HistGradientBoostingClassifier(max_iter=10, categorical_features=[5])
    assert compile_forest(native.fit(np.nan_to_num(x), y)) is None
    frame = pd.DataFrame(x[:, :2], columns=["a", "b"]).assign(
        kind=pd.Categorical(np.where(y, "p", "q"))
    )
    assert compile_forest(HistGradientBoostingClassifier(max_iter=10).fit(frame, y)) is None
    # Any difference on the probe rows, down to the last bit, keeps scikit-learn.
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(x, y)
    raw = tree_ensemble.CompiledForest.raw
    monkeypatch.setattr(
        tree_ensemble.CompiledForest, "raw", lambda self, rows: np.nextafter(raw(self, rows), 9)
    )
    assert compile_forest(model) is None
