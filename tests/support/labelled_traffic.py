"""Write predictions a real model made, and their true labels, into a real prediction log."""

from __future__ import annotations

import time
import uuid

import pandas as pd
from sklearn.pipeline import Pipeline

from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from tests.support.log_rows import insert_predictions


def log_labelled_traffic(
    store_url: str,
    model: Pipeline,
    *,
    model_name: str,
    version: str,
    frame: pd.DataFrame,
    target: str,
    start: float | None = None,
    spacing_seconds: float = 0.01,
) -> list[str]:
    """Predict every row of ``frame`` with ``model``, log it, label it with ``frame[target]``."""
    features = frame.drop(columns=[target])
    proba = model.predict_proba(features)
    classes = [str(c) for c in model.classes_]
    begin = time.time() - len(frame) * spacing_seconds if start is None else start
    records: list[PredictionRecord] = []
    for i, row in enumerate(features.to_dict(orient="records")):
        p = {c: float(v) for c, v in zip(classes, proba[i], strict=True)}
        records.append(
            PredictionRecord(
                prediction_id=str(uuid.uuid4()),
                created_at=begin + i * spacing_seconds,
                model_name=model_name,
                model_version=version,
                features={str(k): (None if pd.isna(v) else v) for k, v in row.items()},
                predicted_class=max(p, key=lambda c: p[c]),
                probabilities=p,
            )
        )
    store = PredictionStore.open(store_url)
    try:
        insert_predictions(store, records)
        store.record_labels(
            [(r.prediction_id, str(y)) for r, y in zip(records, frame[target], strict=True)]
        )
    finally:
        store.close()
    return [r.prediction_id for r in records]
