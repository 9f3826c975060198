"""The scikit-learn pipelines driftline can train: preprocessing plus an estimator.

Every pipeline is two steps, ``preprocess`` (a ColumnTransformer) then the
estimator (``classifier`` or ``regressor``): serving compiles that shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from driftline.tasks import DEFAULT_TASK, Task
from reference.category_bounds import MAX_CATEGORIES
from training.estimators import CLASSIFIERS, check_estimator

# The classifiers, under their old name (training/cli.py and its test use it).
MODEL_KINDS: Final = CLASSIFIERS


def preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    max_categories: int | None = MAX_CATEGORIES,
) -> ColumnTransformer:
    """The same for every task; unknown categories at serving time encode as all zeros.

    A categorical feature encodes its MAX_CATEGORIES most frequent categories and one
    column for all the others seen in training (scikit-learn's infrequent categories),
    as its reference profile keeps them (reference/category_bounds.py): one-hot
    encoding 5,000 product codes densely took 50 s and 1.5 GB of allocations to fit on
    20,000 rows, against 5 s and 10 MB bounded (bench/high_cardinality_reference.py
    --fit; ``max_categories=None`` there is every category).
    """
    return ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                list(numeric),
            ),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="ignore",
                                sparse_output=False,
                                # + 1: the infrequent column
                                max_categories=None
                                if max_categories is None
                                else max_categories + 1,
                            ),
                        ),
                    ]
                ),
                list(categorical),
            ),
        ]
    )


def _classifier(kind: str, seed: int) -> object:
    if kind == "logreg":
        return LogisticRegression(max_iter=1000, C=1.0)
    if kind == "gbm":
        return HistGradientBoostingClassifier(max_iter=200, random_state=seed)
    return RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=seed, n_jobs=1)


def _regressor(kind: str, seed: int) -> object:
    if kind == "ridge":
        return Ridge(alpha=1.0)
    if kind == "gbm":
        return HistGradientBoostingRegressor(max_iter=200, random_state=seed)
    # Bounded: fully grown trees on 15k continuous targets would be 15k leaves each, a
    # slow fit, a model of tens of MB and a slower request path.
    return RandomForestRegressor(
        n_estimators=100, max_depth=12, min_samples_leaf=5, random_state=seed, n_jobs=1
    )


def build(
    kind: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
    seed: int = 0,
    task: Task = DEFAULT_TASK,
) -> Pipeline:
    """A fresh, unfitted pipeline of estimator ``kind`` for ``task``."""
    check_estimator(kind, task)
    pre = preprocessor(numeric, categorical)
    if task == "regression":
        return Pipeline([("preprocess", pre), ("regressor", _regressor(kind, seed))])
    return Pipeline([("preprocess", pre), ("classifier", _classifier(kind, seed))])
