"""Resolve and load one registered model version, ready to answer predictions."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import get_model_info
from mlflow.tracking import MlflowClient

from driftline.tasks import Task
from predictionlog.journal_format import EntryEncoder, ValueEntryEncoder
from reference.column_roles import context_columns
from serving.config import ServingConfig
from serving.fast_path import Matrix, Vector, compile_classifier, compile_regressor
from serving.feature_schema import FeatureSchema, SignatureError, from_signature_inputs
from serving.model_task import task_of
from serving.validation import RecordValidator


class ProbabilityPredictor(Protocol):
    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix: ...


class ValuePredictor(Protocol):
    # One value per record for a model of one target (the app checks the shape).
    def predict(self, records: Sequence[Mapping[str, Any]]) -> Vector: ...


class PandasPredictor:
    """The sklearn pipeline itself on a DataFrame typed by the signature (the slow path)."""

    def __init__(self, model: Any, schema: FeatureSchema) -> None:
        self._model = model
        self._schema = schema

    def _frame(self, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for feature in self._schema.features:
            values = [r.get(feature.name) for r in records]
            if feature.is_numeric or feature.type == "boolean":
                # A boolean feature was trained on as 1.0/0.0 (training/dataset.py).
                columns[feature.name] = np.array(
                    [np.nan if v is None else v for v in values], dtype=np.float64
                )
            else:
                columns[feature.name] = pd.Series(values, dtype=object)
        return pd.DataFrame(columns)

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        return np.asarray(self._model.predict_proba(self._frame(records)), dtype=np.float64)

    def predict(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        return np.asarray(self._model.predict(self._frame(records)), dtype=np.float64)


@dataclass(frozen=True)
class ClassifierHead:
    """What a classifier version answers with: probabilities of its classes."""

    predictor: ProbabilityPredictor
    classes: tuple[Any, ...]  # JSON-native class values, in predict_proba column order
    class_keys: tuple[str, ...]  # str() of each class: keys of "probabilities"
    journal_entries: EntryEncoder  # the prediction log's lines for this version


@dataclass(frozen=True)
class RegressorHead:
    """What a regression version answers with: one number per record."""

    predictor: ValuePredictor
    journal_entries: ValueEntryEncoder  # the prediction log's lines for this version


@dataclass(frozen=True)
class ServedModel:
    name: str
    version: str
    run_id: str
    schema: FeatureSchema
    validator: RecordValidator
    head: ClassifierHead | RegressorHead
    fast_path: bool
    loaded_at: float
    load_seconds: float

    @property
    def task(self) -> Task:
        return "regression" if isinstance(self.head, RegressorHead) else "classification"


# mlflow resolves models:/ URIs through process-wide URIs; loads hold this lock.
_MLFLOW_URIS = threading.Lock()


def client_for(config: ServingConfig) -> MlflowClient:
    return MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)


def resolve_version(client: MlflowClient, config: ServingConfig) -> str:
    """The version the server should serve now: the pinned one or the alias's target."""
    if config.version is not None:
        return config.version
    return str(client.get_model_version_by_alias(config.model_name, config.alias).version)


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _classifier_head(
    model: Any, schema: FeatureSchema, config: ServingConfig, version: str
) -> tuple[ClassifierHead, bool]:
    classes = tuple(_native(c) for c in model.classes_)
    compiled = compile_classifier(model, schema.names) if config.fast_path else None
    predictor: ProbabilityPredictor = (
        compiled if compiled is not None else PandasPredictor(model, schema)
    )
    class_keys = tuple(str(c) for c in classes)
    # A name, version or class the log cannot store fails the load, not every request.
    entries = EntryEncoder(config.model_name, version, class_keys)
    return ClassifierHead(predictor, classes, class_keys, entries), compiled is not None


def _regressor_head(
    model: Any, schema: FeatureSchema, config: ServingConfig, version: str
) -> tuple[RegressorHead, bool]:
    compiled = compile_regressor(model, schema.names) if config.fast_path else None
    predictor: ValuePredictor = compiled if compiled is not None else PandasPredictor(model, schema)
    entries = ValueEntryEncoder(config.model_name, version)
    return RegressorHead(predictor, entries), compiled is not None


def load_version(client: MlflowClient, config: ServingConfig, version: str) -> ServedModel:
    """Load ``version`` of the configured model; raises on any problem (caller keeps the old)."""
    started = time.perf_counter()
    mv = client.get_model_version(config.model_name, version)
    run_id = str(mv.run_id or "")
    uri = f"models:/{config.model_name}/{version}"
    with _MLFLOW_URIS:
        mlflow.set_tracking_uri(config.tracking_uri)
        mlflow.set_registry_uri(config.registry_uri)
        info = get_model_info(uri)
        model = mlflow.sklearn.load_model(uri)
    if info.signature is None or info.signature.inputs is None:
        raise SignatureError(f"{uri} was logged without an input signature")
    # The task is the training run's parameter (driftline/tasks.py); a version
    # registered without a run has none, and is judged by its model alone.
    params = client.get_run(run_id).data.params if run_id else {}
    schema = from_signature_inputs(info.signature.inputs.to_dict(), context_columns(params))
    head: ClassifierHead | RegressorHead
    if task_of(params, model) == "regression":
        head, fast = _regressor_head(model, schema, config, str(version))
    else:
        head, fast = _classifier_head(model, schema, config, str(version))
    return ServedModel(
        name=config.model_name,
        version=str(version),
        run_id=run_id,
        schema=schema,
        validator=RecordValidator(schema, config.max_batch),
        head=head,
        fast_path=fast,
        loaded_at=time.time(),
        load_seconds=time.perf_counter() - started,
    )
