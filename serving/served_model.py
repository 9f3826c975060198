"""Resolve and load one registered model version, ready to answer predictions."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from driftline.loaded_model import LoadedModel, load_registered
from driftline.tasks import Task
from predictionlog.journal_format import EntryEncoder, ValueEntryEncoder
from serving.config import ServingConfig
from serving.fast_path import Matrix, Vector, compile_classifier, compile_regressor
from serving.feature_schema import FeatureSchema
from serving.pyfunc_predictors import PyfuncLabels, PyfuncProbabilities, PyfuncValues
from serving.served_facts import ServedFacts, served_facts
from serving.validation import RecordValidator

# A fast-path predictor (serving/fast_path.py): a classifier's or a regressor's.
Compiled = TypeVar("Compiled")


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


def client_for(config: ServingConfig) -> MlflowClient:
    return MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)


def resolve_version(client: MlflowClient, config: ServingConfig) -> str:
    """The version the server should serve now: the pinned one or the alias's target."""
    if config.version is not None:
        return config.version
    return str(client.get_model_version_by_alias(config.model_name, config.alias).version)


def _sklearn_predictor(
    loaded: LoadedModel,
    facts: ServedFacts,
    config: ServingConfig,
    compile_model: Callable[[Any, tuple[str, ...]], Compiled | None],
) -> tuple[Compiled | PandasPredictor, bool]:
    """The fast path when it knows the estimator's shapes (and is on), else the pipeline."""
    compiled = compile_model(loaded.estimator, facts.schema.names) if config.fast_path else None
    if compiled is None:
        return PandasPredictor(loaded.estimator, facts.schema), False
    return compiled, True


def _classifier_head(
    loaded: LoadedModel, facts: ServedFacts, config: ServingConfig
) -> tuple[ClassifierHead, bool]:
    classes = facts.classes or ()
    class_keys = tuple(str(c) for c in classes)
    fast = False
    predictor: ProbabilityPredictor
    if loaded.estimator is not None:
        predictor, fast = _sklearn_predictor(loaded, facts, config, compile_classifier)
    elif facts.label_only:
        predictor = PyfuncLabels(loaded, facts.schema, class_keys)
    else:
        predictor = PyfuncProbabilities(loaded, facts.schema)
    # A name, version or class the log cannot store fails the load, not every request.
    entries = EntryEncoder(config.model_name, loaded.version, class_keys)
    return ClassifierHead(predictor, classes, class_keys, entries), fast


def _regressor_head(
    loaded: LoadedModel, facts: ServedFacts, config: ServingConfig
) -> tuple[RegressorHead, bool]:
    fast = False
    predictor: ValuePredictor
    if loaded.estimator is not None:
        predictor, fast = _sklearn_predictor(loaded, facts, config, compile_regressor)
    else:
        predictor = PyfuncValues(loaded, facts.schema)
    entries = ValueEntryEncoder(config.model_name, loaded.version)
    return RegressorHead(predictor, entries), fast


def load_version(client: MlflowClient, config: ServingConfig, version: str) -> ServedModel:
    """Load ``version`` of the configured model; raises on any problem (caller keeps the old).

    Any registered model: the sklearn flavor as the estimator (the fast path when it
    matches the shapes it knows), anything else through mlflow.pyfunc.
    """
    started = time.perf_counter()
    loaded = load_registered(config.tracking_uri, config.registry_uri, config.model_name, version)
    facts = served_facts(client, loaded)
    head: ClassifierHead | RegressorHead
    if facts.task == "regression":
        head, fast = _regressor_head(loaded, facts, config)
    else:
        head, fast = _classifier_head(loaded, facts, config)
    return ServedModel(
        name=config.model_name,
        version=loaded.version,
        run_id=loaded.run_id,
        schema=facts.schema,
        validator=RecordValidator(facts.schema, config.max_batch),
        head=head,
        fast_path=fast,
        loaded_at=time.time(),
        load_seconds=time.perf_counter() - started,
    )
