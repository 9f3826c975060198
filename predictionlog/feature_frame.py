"""Labelled predictions as a table with one column per feature (for retraining).

Pure: rows in, DataFrame out. Feature columns come in the order the features
first appear in the rows (the model's own order, since the serving side logs
records as the model reads them); a feature missing from a row is NaN/None.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final, NamedTuple

import pandas as pd

LEADING_COLUMNS: Final = ("prediction_id", "created_at", "model_version")
TRAILING_COLUMNS: Final = ("predicted_class", "label")


class LabelledRow(NamedTuple):
    prediction_id: str
    created_at: float
    model_version: str
    features_json: str  # JSON object, as stored in predictions.features
    predicted_class: str
    label: str


def labelled_frame(rows: Iterable[LabelledRow]) -> pd.DataFrame:
    """One row per labelled prediction: the leading columns, the features, then class and label."""
    fixed = set(LEADING_COLUMNS) | set(TRAILING_COLUMNS)
    feature_order: dict[str, None] = {}  # an ordered set
    records: list[dict[str, object]] = []
    for row in rows:
        features = json.loads(row.features_json)
        if not isinstance(features, dict):
            raise ValueError(f"features of prediction {row.prediction_id} are not a JSON object")
        for name in features:
            if name in fixed:
                raise ValueError(
                    f"feature {name!r} of prediction {row.prediction_id} has the name of a "
                    "fixed column of the labelled table"
                )
            feature_order.setdefault(name, None)
        records.append(
            {
                "prediction_id": row.prediction_id,
                "created_at": row.created_at,
                "model_version": row.model_version,
                **features,
                "predicted_class": row.predicted_class,
                "label": row.label,
            }
        )
    columns = [*LEADING_COLUMNS, *feature_order, *TRAILING_COLUMNS]
    if not records:
        return pd.DataFrame(
            {name: pd.Series(dtype=float if name == "created_at" else object) for name in columns}
        )
    return pd.DataFrame.from_records(records, columns=columns)
