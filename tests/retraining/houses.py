"""A house-price champion (regression) in a real MLflow store, and its recent traffic in a real
prediction log, written as serving writes a regression version's predictions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import mlflow
import pandas as pd

from driftline.config import Settings
from driftline.regression_values import value_text
from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from tests.support.log_rows import insert_predictions
from tests.support.model_store import TrainedStore, environment_for
from training import house_prices
from training.dataset import load
from training.train import TrainOptions, fit_and_log

HOUSES = "houses"


def make_houses_store(home: Path, rows: int = 1500, estimator: str | None = None) -> TrainedStore:
    """A store whose ``houses`` champion (v1) was trained on ``rows`` steady-market houses."""
    env = {**environment_for(home), "DRIFTLINE_MODEL_NAME": HOUSES}
    settings = Settings.from_env(env)
    data = load(None, None, rows=rows, seed=0, synthetic_set="houses")
    result, _ = fit_and_log(settings, data, TrainOptions(model_kind=estimator, promote=True))
    return TrainedStore(settings=settings, env=env, champion=result)


def log_house_traffic(
    store: TrainedStore,
    frame: pd.DataFrame,
    *,
    labels: Sequence[str] | None = None,
    spacing_seconds: float = 0.01,
) -> list[str]:
    """The champion's predictions of ``frame``'s houses, labelled with their prices.

    ``labels`` replaces the prices' canonical text (a test's bad labels).
    """
    model = mlflow.sklearn.load_model(f"models:/{HOUSES}/{store.champion.version}")
    features = frame.drop(columns=[house_prices.TARGET])
    predicted = model.predict(features)
    begin = time.time() - len(frame) * spacing_seconds
    records = [
        PredictionRecord(
            prediction_id=str(uuid.uuid4()),
            created_at=begin + i * spacing_seconds,
            model_name=HOUSES,
            model_version=store.champion.version,
            features={str(k): (None if pd.isna(v) else v) for k, v in row.items()},
            predicted_class=value_text(float(predicted[i])),
            probabilities={},
        )
        for i, row in enumerate(features.to_dict(orient="records"))
    ]
    texts = labels if labels is not None else [value_text(p) for p in frame[house_prices.TARGET]]
    log = PredictionStore.open(store.settings.prediction_db_url)
    try:
        insert_predictions(log, records)
        log.record_labels([(r.prediction_id, t) for r, t in zip(records, texts, strict=True)])
    finally:
        log.close()
    return [r.prediction_id for r in records]
