"""Write scenario traffic into a real prediction log, as the serving side does."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, create_engine, insert

from predictionlog.schema import labels, metadata, predictions
from tests.support.model_store import TrainedStore
from training.synthetic import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET

FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES


def open_log(url: str) -> Engine:
    engine = create_engine(url)
    metadata.create_all(engine)
    return engine


def champion_model(store: TrainedStore) -> Any:
    mlflow.set_tracking_uri(store.settings.tracking_uri)
    mlflow.set_registry_uri(store.settings.registry_uri)
    return mlflow.sklearn.load_model(f"models:/{store.settings.model_name}@champion")


def _json_value(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass(frozen=True)
class Logged:
    ids: list[str]
    frame: pd.DataFrame  # features as logged
    predicted: list[str]
    score: np.ndarray  # probability of the last class
    truth: list[str]


def _write(target: Engine | Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``: committed at once (an Engine), or in the caller's open transaction."""
    if not rows:
        return
    if isinstance(target, Connection):
        target.execute(insert(table), rows)
        return
    with target.begin() as conn:
        conn.execute(insert(table), rows)


def log_traffic(
    engine: Engine | Connection,
    model: Any,
    data: pd.DataFrame,
    *,
    model_name: str = "churn",
    version: str = "1",
    created_at: float | Sequence[float] = 1_700_000_000.0,
) -> Logged:
    """Predict ``data`` with ``model`` and log every row; labels are not logged."""
    x = data[list(FEATURES)]
    proba = model.predict_proba(x)
    classes = [str(c) for c in model.classes_]
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    times = (
        [float(created_at)] * len(x) if isinstance(created_at, int | float) else list(created_at)
    )
    ids = [str(uuid.uuid4()) for _ in range(len(x))]
    records = x.to_dict(orient="records")
    rows = [
        {
            "prediction_id": ids[i],
            "created_at": times[i],
            "model_name": model_name,
            "model_version": version,
            "features": json.dumps({k: _json_value(v) for k, v in records[i].items()}),
            "predicted_class": predicted[i],
            "probabilities": json.dumps(
                {c: float(p) for c, p in zip(classes, proba[i], strict=True)}
            ),
        }
        for i in range(len(x))
    ]
    _write(engine, predictions, rows)
    truth = [str(v) for v in data[TARGET]] if TARGET in data else []
    return Logged(
        ids=ids,
        frame=x.reset_index(drop=True),
        predicted=predicted,
        score=proba[:, -1],
        truth=truth,
    )


def log_labels(
    engine: Engine | Connection,
    ids: Sequence[str],
    truth: Sequence[str],
    received_at: float = 1_700_000_100.0,
) -> None:
    rows = [
        {"prediction_id": i, "label": t, "received_at": received_at}
        for i, t in zip(ids, truth, strict=True)
    ]
    _write(engine, labels, rows)


def log_rows(
    engine: Engine,
    frame: pd.DataFrame,
    predicted: Sequence[str],
    *,
    model_name: str,
    version: str = "1",
    created_at: float = 1_700_000_000.0,
    probabilities: Sequence[dict[str, float]] | None = None,
) -> list[str]:
    """Log ``frame``'s rows with the given predicted texts (a class, or a regression value's
    ``value_text``) as the serving side does; returns the prediction ids."""
    ids = [str(uuid.uuid4()) for _ in range(len(frame))]
    records = frame.to_dict(orient="records")
    rows = [
        {
            "prediction_id": ids[i],
            "created_at": created_at,
            "model_name": model_name,
            "model_version": version,
            "features": json.dumps({k: _json_value(v) for k, v in records[i].items()}),
            "predicted_class": predicted[i],
            "probabilities": json.dumps({} if probabilities is None else probabilities[i]),
        }
        for i in range(len(frame))
    ]
    with engine.begin() as conn:
        conn.execute(insert(predictions), rows)
    return ids
