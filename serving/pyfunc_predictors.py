"""Answer requests with a model that is not scikit-learn, through ``mlflow.pyfunc``.

MLflow checks a pyfunc's input against its signature and will not convert a float
column into a ``long`` one, so the records become a DataFrame with each column in
its signature type. A model that fails on a request, or answers something its
signature does not promise, is a 500 naming the model's own error; nothing is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException

from driftline.loaded_model import LoadedModel, ModelOutputError
from serving.fast_path import Matrix, Vector
from serving.feature_schema import FeatureSchema
from serving.validation import RequestError

# The numpy type of each signature type (validation has refused null where none fits).
_DTYPES: Final[Mapping[str, Any]] = {
    "double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32,
    "boolean": np.bool_,
}  # fmt: skip


def signature_frame(schema: FeatureSchema, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The records' features as a DataFrame in their signature types; null is NaN or None."""
    columns: dict[str, Any] = {}
    for feature in schema.features:
        values = [r.get(feature.name) for r in records]
        if feature.type == "string":
            columns[feature.name] = pd.Series(values, dtype=object)
        elif feature.is_numeric and feature.nullable:
            columns[feature.name] = np.array(
                [np.nan if v is None else v for v in values], dtype=_DTYPES[feature.type]
            )
        else:
            columns[feature.name] = np.array(values, dtype=_DTYPES[feature.type])
    return pd.DataFrame(columns)


def _model_failed(loaded: LoadedModel, exc: Exception) -> RequestError:
    return RequestError(
        500,
        "model_error",
        f"model {loaded.name} version {loaded.version} failed on this request, nothing was "
        f"logged: {exc}",
    )


Answer = TypeVar("Answer")


def _asking(loaded: LoadedModel, question: Callable[[], Answer]) -> Answer:
    """``question()``; the model's own failure (or an answer its signature does not promise,
    or values that are not numbers) as a 500 naming it."""
    try:
        return question()
    except (MlflowException, ValueError, TypeError) as exc:  # ModelOutputError among them
        raise _model_failed(loaded, exc) from exc


class PyfuncProbabilities:
    """A pyfunc that answers one probability column per class (driftline/loaded_model.py)."""

    def __init__(self, loaded: LoadedModel, schema: FeatureSchema) -> None:
        self._loaded = loaded
        self._schema = schema

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        frame = signature_frame(self._schema, records)
        matrix = _asking(self._loaded, lambda: self._loaded.predict_proba(frame))
        assert matrix is not None  # the head is built for a model that gives probabilities
        return matrix


class PyfuncLabels:
    """A pyfunc classifier that answers only its label: certain of it.

    The label becomes probability 1 for its class and 0 for the others, so the
    answer and the prediction log hold the class as any classifier's do and the
    exporter's accuracy and class shares work unchanged (docs/serving.md).
    """

    def __init__(
        self, loaded: LoadedModel, schema: FeatureSchema, class_keys: tuple[str, ...]
    ) -> None:
        self._loaded = loaded
        self._schema = schema
        self._class_keys = class_keys
        self._index = {key: i for i, key in enumerate(class_keys)}

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        frame = signature_frame(self._schema, records)
        labels = _asking(self._loaded, lambda: self._loaded.predict_values(frame))
        matrix = np.zeros((len(records), len(self._class_keys)), dtype=np.float64)
        for row, label in enumerate(labels.tolist()):
            column = self._index.get(str(label))
            if column is None:
                raise _model_failed(
                    self._loaded,
                    ModelOutputError(
                        f"it answered class {label!r}, not one of its profile's classes "
                        f"({', '.join(self._class_keys)})"
                    ),
                )
            matrix[row, column] = 1.0
        return matrix


class PyfuncValues:
    """A pyfunc regressor: one number per record."""

    def __init__(self, loaded: LoadedModel, schema: FeatureSchema) -> None:
        self._loaded = loaded
        self._schema = schema

    def predict(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        frame = signature_frame(self._schema, records)
        return _asking(
            self._loaded,
            lambda: np.asarray(self._loaded.predict_values(frame), dtype=np.float64),
        )
