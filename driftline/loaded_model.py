"""Load any registered MLflow model version and ask it for predictions.

A version logged with the scikit-learn flavor loads as the estimator itself, so
callers can use what scikit-learn knows (``classes_``, ``predict_proba``, the
fitted pipeline); any other version loads through ``mlflow.pyfunc``.

When a model gives probabilities (docs/serving.md, What can be served):

- scikit-learn flavor: the estimator has ``predict_proba``; its classes are ``classes_``.
- pyfunc: the output signature has two or more columns, all ``double`` or
  ``float``: one column per class, named after the class, each row the
  probabilities of those classes (every value in [0, 1], the row summing to 1).
  Any other pyfunc output is one value per row (a label or a number).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Final, Literal

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, get_model_info

Flavor = Literal["sklearn", "pyfunc"]

# Output column types that can hold a probability.
PROBABILITY_TYPES: Final = frozenset({"double", "float"})
# How far a row of probabilities may sum from 1 (float32 outputs round).
PROBABILITY_SUM_TOLERANCE: Final = 1e-4

# mlflow resolves models:/ URIs through process-wide URIs; loads hold this lock.
_MLFLOW_URIS = threading.Lock()


class ModelOutputError(ValueError):
    """The model answered something that is not what its signature promises."""


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def probability_classes(signature: ModelSignature | None) -> tuple[str, ...] | None:
    """The classes a pyfunc's output signature gives probabilities of, in column order;
    None when its outputs are not one numeric column per class."""
    if signature is None or signature.outputs is None:
        return None
    columns = signature.outputs.to_dict()
    if len(columns) < 2:
        return None
    names = [column.get("name") for column in columns]
    if not all(isinstance(n, str) and n for n in names):
        return None
    if not all(column.get("type") in PROBABILITY_TYPES for column in columns):
        return None
    return tuple(str(n) for n in names)


def _single_column(output: Any) -> np.ndarray:
    """One value per row from a pyfunc's output (array, Series, one-column frame, list)."""
    if isinstance(output, pd.DataFrame):
        if output.shape[1] != 1:
            raise ModelOutputError(
                f"the model answered {output.shape[1]} columns {list(output.columns)}; "
                "expected one value per row"
            )
        return output.iloc[:, 0].to_numpy()
    values = np.asarray(output)
    if values.ndim == 2 and values.shape[1] == 1:
        return values[:, 0]
    if values.ndim != 1:
        raise ModelOutputError(
            f"the model answered an array of shape {values.shape}; expected one value per row"
        )
    return values


def _probability_rows(output: Any, classes: tuple[str, ...], rows: int) -> np.ndarray:
    """The pyfunc's output as a (rows, classes) float matrix, checked to be probabilities."""
    if isinstance(output, pd.DataFrame):
        missing = [c for c in classes if c not in output.columns]
        if missing:
            raise ModelOutputError(f"the model's answer lacks the class columns {missing}")
        matrix = output.loc[:, list(classes)].to_numpy(dtype=np.float64)
    else:
        matrix = np.asarray(output, dtype=np.float64)
    if matrix.shape != (rows, len(classes)):
        raise ModelOutputError(
            f"the model answered shape {matrix.shape}; expected ({rows}, {len(classes)}), "
            f"one probability per class {list(classes)}"
        )
    in_range = bool(np.all((matrix >= 0.0) & (matrix <= 1.0)))
    sums_to_one = bool(np.all(np.abs(matrix.sum(axis=1) - 1.0) <= PROBABILITY_SUM_TOLERANCE))
    if not (in_range and sums_to_one):
        raise ModelOutputError(
            "the model's class columns are not probabilities "
            "(each in [0, 1], each row summing to 1)"
        )
    return matrix


@dataclass(frozen=True)
class LoadedModel:
    """One registered version, loaded. ``estimator`` is the scikit-learn object of a
    sklearn-flavor version (None otherwise); ``pyfunc`` the pyfunc model of any other."""

    name: str
    version: str
    run_id: str
    flavor: Flavor
    signature: ModelSignature | None
    # Probability columns' classes in order (None: the model gives no probabilities,
    # or is a scikit-learn model without classes_).
    classes: tuple[Any, ...] | None
    estimator: Any | None = None
    pyfunc: Any | None = None

    @property
    def gives_probabilities(self) -> bool:
        if self.estimator is not None:
            return hasattr(self.estimator, "predict_proba")
        return probability_classes(self.signature) is not None

    def predict_values(self, frame: pd.DataFrame) -> np.ndarray:
        """One answer per row: the class (a classifier) or the number (a regressor)."""
        if self.estimator is not None:
            values: np.ndarray = np.asarray(self.estimator.predict(frame))
            return values
        output = self.pyfunc.predict(frame)  # type: ignore[union-attr]
        classes = probability_classes(self.signature)
        if classes is None:
            return _single_column(output)
        winners = _probability_rows(output, classes, len(frame)).argmax(axis=1)
        labels: np.ndarray = np.asarray(classes, dtype=object)[winners]
        return labels

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Rows of class probabilities in ``classes`` order; None when the model gives none."""
        if not self.gives_probabilities:
            return None
        if self.estimator is not None:
            return np.asarray(self.estimator.predict_proba(frame), dtype=np.float64)
        classes = probability_classes(self.signature)
        assert classes is not None  # gives_probabilities
        return _probability_rows(self.pyfunc.predict(frame), classes, len(frame))  # type: ignore[union-attr]


def _sklearn_classes(estimator: Any) -> tuple[Any, ...] | None:
    classes = getattr(estimator, "classes_", None)
    if classes is None or not hasattr(estimator, "predict_proba"):
        return None
    return tuple(_native(c) for c in classes)


def load_registered(tracking_uri: str, registry_uri: str, name: str, version: str) -> LoadedModel:
    """Load version ``version`` of registered model ``name``; MLflow's errors pass through."""
    uri = f"models:/{name}/{version}"
    with _MLFLOW_URIS:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(registry_uri)
        info = get_model_info(uri)
        run_id = str(info.run_id or "")
        if "sklearn" in info.flavors:
            estimator = mlflow.sklearn.load_model(uri)
            return LoadedModel(
                name, str(version), run_id, "sklearn", info.signature,
                _sklearn_classes(estimator), estimator=estimator,
            )  # fmt: skip
        model = mlflow.pyfunc.load_model(uri)
    return LoadedModel(
        name, str(version), run_id, "pyfunc", info.signature,
        probability_classes(info.signature), pyfunc=model,
    )  # fmt: skip
