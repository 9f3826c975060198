"""The scikit-learn pipelines driftline can train: preprocessing plus a classifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MODEL_KINDS: Final = ("logreg", "gbm", "forest")


def build(kind: str, numeric: Sequence[str], categorical: Sequence[str], seed: int = 0) -> Pipeline:
    """A fresh, unfitted pipeline; unknown categories at serving time encode as all zeros."""
    pre = ColumnTransformer(
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
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        ),
                    ]
                ),
                list(categorical),
            ),
        ]
    )
    if kind == "logreg":
        clf: object = LogisticRegression(max_iter=1000, C=1.0)
    elif kind == "gbm":
        clf = HistGradientBoostingClassifier(max_iter=200, random_state=seed)
    elif kind == "forest":
        clf = RandomForestClassifier(
            n_estimators=200, min_samples_leaf=5, random_state=seed, n_jobs=1
        )
    else:
        raise ValueError(f"unknown model kind {kind!r} (choose from {', '.join(MODEL_KINDS)})")
    return Pipeline([("preprocess", pre), ("classifier", clf)])
