"""The compiled pipeline gives the same probabilities as sklearn's predict_proba, and the
same values as its predict for a regression pipeline."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, PoissonRegressor, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

from serving.fast_path import compile_classifier, compile_regressor
from serving.feature_schema import Feature, FeatureSchema
from serving.served_model import PandasPredictor
from tests.serving.records import records
from tests.support.model_store import regression_data, regression_pipeline
from tests.training.tables import orders
from training import pipeline
from training.dataset import from_frame, load
from training.synthetic import CATEGORICAL_FEATURES, CATEGORIES, NUMERIC_FEATURES

SCHEMA = FeatureSchema(
    tuple(Feature(n, "double") for n in NUMERIC_FEATURES)
    + tuple(Feature(c, "string") for c in CATEGORICAL_FEATURES)
)


@functools.cache
def fitted(kind: str, classes: int = 2) -> Pipeline:
    data = load(None, None, rows=1500, seed=3)
    y = data.target
    if classes == 3:
        # A third class from a feature, so multinomial softmax is exercised.
        y = y + (data.frame["support_calls"] > 4).astype(int)
    model = pipeline.build(kind, data.numeric, data.categorical, seed=0)
    model.fit(data.frame, y)
    return model


def edge_records(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Random records: nulls, unknown categories, extreme and integer values."""
    out = []
    for record in records(n, seed=11):
        for name in NUMERIC_FEATURES:
            roll = rng.random()
            if roll < 0.15:
                record[name] = None
            elif roll < 0.25:
                record[name] = rng.choice([0, -1, 1e9, -1e9, 1e-300, 7])
        for name in CATEGORICAL_FEATURES:
            roll = rng.random()
            if roll < 0.15:
                record[name] = None
            elif roll < 0.3:
                record[name] = rng.choice(["never-seen", "", "MONTH-TO-MONTH"])
            elif roll < 0.4:
                record[name] = rng.choice(CATEGORIES[name][0])
        out.append(record)
    out.append(dict.fromkeys(NUMERIC_FEATURES + CATEGORICAL_FEATURES))  # all missing
    return out


@pytest.mark.parametrize(("kind", "classes"), [("logreg", 2), ("logreg", 3), ("gbm", 2),
                                                ("forest", 2)])  # fmt: skip
def test_compiled_probabilities_match_sklearn(kind: str, classes: int) -> None:
    model = fitted(kind, classes)
    compiled = compile_classifier(model, SCHEMA.names)
    assert compiled is not None
    assert compiled.compiled_trees == (kind == "gbm")
    reference = PandasPredictor(model, SCHEMA)
    batch = edge_records(random.Random(kind), 300)
    expected = reference.predict_proba(batch)
    assert expected.shape == (len(batch), classes)
    np.testing.assert_allclose(compiled.predict_proba(batch), expected, rtol=0, atol=1e-9)
    # One record at a time goes through the preallocated row buffer.
    for record, row in zip(batch[:80], expected[:80], strict=True):
        np.testing.assert_allclose(compiled.predict_proba([record])[0], row, rtol=0, atol=1e-9)


def test_reused_row_buffer_does_not_leak_between_records() -> None:
    model = fitted("logreg")
    compiled = compile_classifier(model, SCHEMA.names)
    assert compiled is not None
    batch = edge_records(random.Random(5), 40)
    singles = np.vstack([compiled.predict_proba([r]) for r in batch])
    np.testing.assert_allclose(singles, compiled.predict_proba(batch), rtol=0, atol=1e-12)


def _with_numeric_step(step: Any) -> Pipeline:
    data = load(None, None, rows=300, seed=2)
    pre = ColumnTransformer(
        [
            ("num", step, list(data.numeric)),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             list(data.categorical)),
        ]
    )  # fmt: skip
    model = Pipeline([("preprocess", pre), ("classifier", pipeline.build("logreg", [], [])[-1])])
    frame = data.frame.fillna({n: 0.0 for n in data.numeric})
    return model.fit(frame, data.target)


def test_unknown_shapes_are_not_compiled() -> None:
    assert compile_classifier(_with_numeric_step(MinMaxScaler()), SCHEMA.names) is None
    assert compile_classifier(fitted("logreg")[-1], SCHEMA.names) is None
    assert compile_classifier(fitted("logreg"), SCHEMA.names[:-1]) is None


# --- regression -----------------------------------------------------------------------

# Beside the estimators training builds (ridge, gbm, forest: training/pipeline.py),
# two more shapes of the fast path's rule.
OTHER_REGRESSORS: dict[str, Callable[[], Any]] = {
    "linear": LinearRegression,
    # Has coef_ and intercept_ but predicts exp(x @ coef_ + intercept_): not a dot product.
    "poisson": lambda: PoissonRegressor(max_iter=300),
}
REGRESSORS = ("ridge", "gbm", "forest", *OTHER_REGRESSORS)
DOT_PRODUCT = {"ridge", "linear"}


@functools.cache
def fitted_regressor(kind: str) -> Pipeline:
    data = regression_data(rows=1500, seed=3)
    if kind in OTHER_REGRESSORS:
        model = regression_pipeline(data, OTHER_REGRESSORS[kind]())
    else:
        model = pipeline.build(kind, data.numeric, data.categorical, seed=0, task="regression")
    return model.fit(data.frame, data.target)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize("kind", REGRESSORS)
def test_compiled_regression_values_match_sklearn(kind: str) -> None:
    model = fitted_regressor(kind)
    compiled = compile_regressor(model, SCHEMA.names)
    assert compiled is not None
    assert compiled.dot_product == (kind in DOT_PRODUCT)
    assert compiled.compiled_trees == (kind == "gbm")
    reference = PandasPredictor(model, SCHEMA)
    batch = edge_records(random.Random(kind), 300)
    expected = reference.predict(batch)
    assert expected.shape == (len(batch),)  # inf too, where exp overflows (poisson, 1e9)
    np.testing.assert_allclose(compiled.predict(batch), expected, rtol=1e-12, atol=0)
    # One record at a time goes through the preallocated row buffer.
    singles = np.array([compiled.predict([record])[0] for record in batch])
    np.testing.assert_allclose(singles, expected, rtol=1e-12, atol=0)


def test_a_regression_pipeline_is_not_compiled_as_a_classifier_and_back() -> None:
    assert compile_classifier(fitted_regressor("ridge"), SCHEMA.names) is None
    assert compile_regressor(fitted_regressor("ridge")[-1], SCHEMA.names) is None
    assert compile_regressor(fitted_regressor("ridge"), SCHEMA.names[:-1]) is None


def test_a_multi_output_linear_model_is_not_a_dot_product_of_one_target() -> None:
    data = regression_data(rows=300, seed=4)
    targets = np.column_stack((data.target, -data.target))
    model = regression_pipeline(data, Ridge()).fit(data.frame, targets)
    compiled = compile_regressor(model, SCHEMA.names)
    assert compiled is not None and not compiled.dot_product
    batch = edge_records(random.Random(4), 20)
    expected = PandasPredictor(model, SCHEMA).predict(batch)
    assert expected.shape == (len(batch), 2)  # the app refuses this shape (test_regression)
    np.testing.assert_allclose(compiled.predict(batch), expected, rtol=1e-12, atol=0)


def test_a_feature_with_infrequent_categories_compiles_to_the_same_probabilities() -> None:
    # 400 product codes: the pipeline keeps the most frequent and folds the rest
    # (training/pipeline.py), as scikit-learn's infrequent-category column.
    table = orders(3000, seed=5, categories=400)
    data = from_frame(table, "returned", source="orders")
    model = pipeline.build("logreg", data.numeric, data.categorical).fit(data.frame, data.target)
    encoder = model[0].named_transformers_["cat"][-1]
    assert encoder.infrequent_categories_[0] is not None
    schema = FeatureSchema((Feature("product", "string"), Feature("price", "double")))
    compiled = compile_classifier(model, schema.names)
    assert compiled is not None
    rare = [str(v) for v in encoder.infrequent_categories_[0][:20]]
    frequent = [str(v) for v in encoder.categories_[0] if str(v) not in rare][:20]
    batch = [
        {"product": p, "price": price}
        for p in [*rare, *frequent, "P-never-seen", None]
        for price in (5.0, None)
    ]
    expected = PandasPredictor(model, schema).predict_proba(batch)
    np.testing.assert_allclose(compiled.predict_proba(batch), expected, rtol=0, atol=1e-9)
