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

from predictionlog.journal_format import EntryEncoder
from serving.config import ServingConfig
from serving.fast_path import Matrix, compile_pipeline
from serving.feature_schema import FeatureSchema, SignatureError, from_signature_inputs
from serving.validation import RecordValidator


class Predictor(Protocol):
    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix: ...


class PandasPredictor:
    """The sklearn pipeline itself on a DataFrame typed by the signature (the slow path)."""

    def __init__(self, model: Any, schema: FeatureSchema) -> None:
        self._model = model
        self._schema = schema

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> Matrix:
        columns: dict[str, Any] = {}
        for feature in self._schema.features:
            values = [r.get(feature.name) for r in records]
            if feature.is_numeric:
                columns[feature.name] = np.array(
                    [np.nan if v is None else v for v in values], dtype=np.float64
                )
            else:
                columns[feature.name] = pd.Series(values, dtype=object)
        frame = pd.DataFrame(columns)
        return np.asarray(self._model.predict_proba(frame), dtype=np.float64)


@dataclass(frozen=True)
class ServedModel:
    name: str
    version: str
    run_id: str
    schema: FeatureSchema
    classes: tuple[Any, ...]  # JSON-native class values, in predict_proba column order
    class_keys: tuple[str, ...]  # str() of each class: keys of "probabilities"
    validator: RecordValidator
    predictor: Predictor
    journal_entries: EntryEncoder  # the prediction log's lines for this version
    fast_path: bool
    loaded_at: float
    load_seconds: float


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


def load_version(client: MlflowClient, config: ServingConfig, version: str) -> ServedModel:
    """Load ``version`` of the configured model; raises on any problem (caller keeps the old)."""
    started = time.perf_counter()
    mv = client.get_model_version(config.model_name, version)
    uri = f"models:/{config.model_name}/{version}"
    with _MLFLOW_URIS:
        mlflow.set_tracking_uri(config.tracking_uri)
        mlflow.set_registry_uri(config.registry_uri)
        info = get_model_info(uri)
        model = mlflow.sklearn.load_model(uri)
    if info.signature is None or info.signature.inputs is None:
        raise SignatureError(f"{uri} was logged without an input signature")
    schema = from_signature_inputs(info.signature.inputs.to_dict())
    classes = tuple(_native(c) for c in model.classes_)
    compiled = compile_pipeline(model, schema.names) if config.fast_path else None
    predictor: Predictor = compiled if compiled is not None else PandasPredictor(model, schema)
    class_keys = tuple(str(c) for c in classes)
    return ServedModel(
        name=config.model_name,
        version=str(version),
        run_id=str(mv.run_id or ""),
        schema=schema,
        classes=classes,
        class_keys=class_keys,
        validator=RecordValidator(schema, config.max_batch),
        predictor=predictor,
        # A name, version or class the log cannot store fails the load, not every request.
        journal_entries=EntryEncoder(config.model_name, str(version), class_keys),
        fast_path=compiled is not None,
        loaded_at=time.time(),
        load_seconds=time.perf_counter() - started,
    )
