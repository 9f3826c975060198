"""Rows of the prediction log as the exporter reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedPrediction:
    seq: int
    prediction_id: str
    created_at: float
    model: str
    version: str
    features: Mapping[str, object]
    predicted_class: str
    probabilities: Mapping[str, float]
    label: str | None = None  # filled when read together with its label (start-up backfill)
    label_received_at: float | None = None


@dataclass(frozen=True)
class LoggedLabel:
    seq: int
    prediction_id: str
    label: str
    received_at: float
