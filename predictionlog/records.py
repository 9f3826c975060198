"""The values the prediction log stores and answers with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Defined on the ground floor, shared with the API and the metrics; importable from here too.
from driftline.outcomes import LabelOutcome as LabelOutcome


@dataclass(frozen=True)
class PredictionRecord:
    """One served prediction, as written to the ``predictions`` table."""

    prediction_id: str  # a UUID string; the server makes version 7 (ids.py)
    created_at: float  # Unix seconds
    model_name: str
    model_version: str
    features: Mapping[str, object]  # JSON-serialisable; None for a missing value
    predicted_class: str  # str() of the class
    probabilities: Mapping[str, float]


@dataclass(frozen=True)
class LabelResult:
    """What happened to one submitted label.

    ``recorded``: stored now. ``duplicate``: the same label was already stored.
    ``conflict``: a different label was already stored; nothing changed.
    ``unknown_prediction``: no prediction with that id (never logged, or removed by retention).
    """

    prediction_id: str
    outcome: LabelOutcome
    model_name: str | None  # of the prediction, when known
    model_version: str | None
