"""Rows of the prediction log as the exporter reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class LogPosition:
    """A point in one table's commit order: the rows at ``(xact, seq)`` below it come
    before. ``xact`` is the writing transaction on PostgreSQL, 0 on SQLite (where
    ``seq`` order is commit order) and for rows written before the log kept it."""

    xact: int
    seq: int


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
    xact: int = 0  # see LogPosition


@dataclass(frozen=True)
class LoggedLabel:
    seq: int
    prediction_id: str
    label: str
    received_at: float
    xact: int = 0  # see LogPosition


def position_after(row: LoggedPrediction | LoggedLabel) -> LogPosition:
    """The position just after ``row``: where reading resumes once it has been read."""
    return LogPosition(row.xact, row.seq + 1)
