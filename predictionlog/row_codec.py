"""The ``predictions`` row of a prediction: what each column may hold, and its text.

Pure functions, no database: the journal's line format (journal_format.py),
the store (store.py) and the table definitions (schema.py) share these bounds
and encodings, so a value the journal accepts is one the table can store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from predictionlog.records import PredictionRecord

EncodedPrediction = dict[str, Any]  # bind parameters of one predictions row

# Length limits of the bounded string columns. schema.py declares the columns with
# them; they are checked here because SQLite does not enforce VARCHAR lengths.
PREDICTION_ID_LENGTH: Final = 36
MODEL_NAME_LENGTH: Final = 200
MODEL_VERSION_LENGTH: Final = 50
CLASS_LENGTH: Final = 200  # predicted_class, and a label
BOUNDED_COLUMNS: Final = {
    "prediction_id": PREDICTION_ID_LENGTH,
    "model_name": MODEL_NAME_LENGTH,
    "model_version": MODEL_VERSION_LENGTH,
    "predicted_class": CLASS_LENGTH,
}

# Built once: json.dumps with non-default options builds a new encoder per call.
# allow_nan=False: NaN is not JSON; a missing value must arrive as None.
_JSON: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def check_stored_string(column: str, value: object, prediction_id: str | None = None) -> None:
    """ValueError unless ``value`` fits the bounded string ``column`` of ``predictions``."""
    limit = BOUNDED_COLUMNS[column]
    if not isinstance(value, str) or not value or len(value) > limit:
        whose = "" if prediction_id is None else f"prediction {prediction_id!r}: "
        raise ValueError(
            f"{whose}{column} must be a non-empty string of at most {limit} characters, "
            f"got {value!r}"
        )


def check_label(prediction_id: str, label: object) -> None:
    """ValueError unless ``label`` fits the ``labels.label`` column."""
    if not isinstance(label, str) or not label or len(label) > CLASS_LENGTH:
        raise ValueError(
            f"label for prediction {prediction_id!r} must be a non-empty string of at "
            f"most {CLASS_LENGTH} characters, got {label!r}"
        )


def features_json(features: Mapping[str, object]) -> str:
    """The ``features`` column's text: compact JSON (ValueError or TypeError if it cannot be)."""
    return _JSON.encode(features if isinstance(features, dict) else dict(features))


def probabilities_json(probabilities: Mapping[str, float]) -> str:
    """The ``probabilities`` column's text; ValueError for NaN or infinity."""
    return _JSON.encode({str(k): float(v) for k, v in probabilities.items()})


def encode_prediction(record: PredictionRecord) -> EncodedPrediction:
    """The bind parameters for ``record``; ValueError names the field that cannot be stored."""
    row: EncodedPrediction = {
        "prediction_id": record.prediction_id,
        "created_at": float(record.created_at),
        "model_name": record.model_name,
        "model_version": record.model_version,
        "predicted_class": record.predicted_class,
    }
    for name in BOUNDED_COLUMNS:
        check_stored_string(name, row[name], record.prediction_id)
    try:
        row["features"] = features_json(record.features)
        row["probabilities"] = probabilities_json(record.probabilities)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"prediction {record.prediction_id!r}: features or probabilities cannot be stored "
            f"as JSON ({exc})"
        ) from exc
    return row
