"""Read the prediction log incrementally (``seq`` cursors) with SQLAlchemy Core."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, func, inspect, select

from exporter.records import LoggedLabel, LoggedPrediction
from predictionlog.schema import labels, predictions


def _json_object(text: str | None) -> Mapping[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _prediction(row: Any, with_label: bool = False) -> LoggedPrediction:
    return LoggedPrediction(
        seq=int(row.seq),
        prediction_id=str(row.prediction_id),
        created_at=float(row.created_at),
        model=str(row.model_name),
        version=str(row.model_version),
        features=_json_object(row.features),
        predicted_class=str(row.predicted_class),
        probabilities=_json_object(row.probabilities),
        label=None if not with_label or row.label is None else str(row.label),
        label_received_at=None
        if not with_label or row.received_at is None
        else float(row.received_at),
    )


_PREDICTION_COLUMNS = (
    predictions.c.seq,
    predictions.c.prediction_id,
    predictions.c.created_at,
    predictions.c.model_name,
    predictions.c.model_version,
    predictions.c.features,
    predictions.c.predicted_class,
    predictions.c.probabilities,
)


class PredictionLogReader:
    """Read-only access to the prediction log; every method is one short transaction."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        connect_args = {"timeout": 5} if url.startswith("sqlite") else {}
        self.url = url
        self.engine = engine or create_engine(url, connect_args=connect_args)

    def close(self) -> None:
        self.engine.dispose()

    def has_tables(self) -> bool:
        names = set(inspect(self.engine).get_table_names())
        return {"predictions", "labels"} <= names

    def max_seqs(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            p = conn.execute(select(func.max(predictions.c.seq))).scalar()
            lab = conn.execute(select(func.max(labels.c.seq))).scalar()
        return int(p or 0), int(lab or 0)

    def versions(self, model: str | None = None) -> list[tuple[str, str]]:
        q = select(predictions.c.model_name, predictions.c.model_version).distinct()
        if model is not None:
            q = q.where(predictions.c.model_name == model)
        with self.engine.connect() as conn:
            return sorted((str(m), str(v)) for m, v in conn.execute(q))

    def recent(
        self, model: str, version: str, limit: int, since: float | None, up_to_seq: int
    ) -> list[LoggedPrediction]:
        """The newest ``limit`` predictions of a version (with labels), oldest first."""
        q = (
            select(*_PREDICTION_COLUMNS, labels.c.label, labels.c.received_at)
            .select_from(
                predictions.outerjoin(labels, labels.c.prediction_id == predictions.c.prediction_id)
            )
            .where(
                predictions.c.model_name == model,
                predictions.c.model_version == version,
                predictions.c.seq <= up_to_seq,
            )
            .order_by(predictions.c.created_at.desc())
            .limit(limit)
        )
        if since is not None:
            q = q.where(predictions.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = [_prediction(r, with_label=True) for r in conn.execute(q)]
        rows.sort(key=lambda r: r.seq)
        return rows

    def predictions_after(
        self, seq: int, limit: int, model: str | None = None
    ) -> list[LoggedPrediction]:
        q = select(*_PREDICTION_COLUMNS).where(predictions.c.seq > seq)
        if model is not None:
            q = q.where(predictions.c.model_name == model)
        q = q.order_by(predictions.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [_prediction(r) for r in conn.execute(q)]

    def labels_between(self, after: int, up_to: int, limit: int) -> list[LoggedLabel]:
        q = (
            select(labels.c.seq, labels.c.prediction_id, labels.c.label, labels.c.received_at)
            .where(labels.c.seq > after, labels.c.seq <= up_to)
            .order_by(labels.c.seq)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                LoggedLabel(
                    seq=int(r.seq),
                    prediction_id=str(r.prediction_id),
                    label=str(r.label),
                    received_at=float(r.received_at),
                )
                for r in conn.execute(q)
            ]
