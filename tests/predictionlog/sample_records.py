"""Prediction records for the prediction-log tests."""

from __future__ import annotations

import time
import uuid

from predictionlog.records import PredictionRecord


def make_record(
    *,
    created_at: float | None = None,
    model_name: str = "churn",
    model_version: str = "1",
    features: dict[str, object] | None = None,
    predicted_class: str = "1",
    prediction_id: str | None = None,
) -> PredictionRecord:
    return PredictionRecord(
        prediction_id=prediction_id or str(uuid.uuid4()),
        created_at=time.time() if created_at is None else created_at,
        model_name=model_name,
        model_version=model_version,
        features=features
        if features is not None
        else {"tenure_months": 12, "monthly_charges": 70.35, "contract_type": "monthly"},
        predicted_class=predicted_class,
        probabilities={"0": 0.25, "1": 0.75},
    )
