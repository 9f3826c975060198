"""Writing and reading prediction-log rows directly, for tests and benchmarks.

The product writes predictions only through the journal (PredictionLog.append,
then ingestion); these put rows in place or count them without that path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from predictionlog.journal import default_journal_dir
from predictionlog.journal_format import encode_entry
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import encode_prediction
from predictionlog.schema import predictions
from predictionlog.settings import LogSettings
from predictionlog.store import PredictionStore


def journal_lines(records: Iterable[PredictionRecord]) -> bytes:
    """The journal lines of ``records``; ValueError for one that cannot be stored."""
    return b"".join([encode_entry(record) for record in records])


def insert_predictions(store: PredictionStore, records: Sequence[PredictionRecord]) -> None:
    """Insert ``records`` in one transaction (an id already stored fails it whole)."""
    rows = [encode_prediction(record) for record in records]
    if not rows:
        return
    with store.engine.begin() as conn:
        conn.execute(predictions.insert(), rows)


def decode_prediction(row: Mapping[Any, Any]) -> PredictionRecord:
    """The record of a stored ``predictions`` row (a mapping by column name)."""
    return PredictionRecord(
        prediction_id=row["prediction_id"],
        created_at=float(row["created_at"]),
        model_name=row["model_name"],
        model_version=row["model_version"],
        features=json.loads(row["features"]),
        predicted_class=row["predicted_class"],
        probabilities=json.loads(row["probabilities"]),
    )


def log_settings(db_url: str, home: Path) -> LogSettings:
    """The log's default settings for ``db_url``, its journals where journal.py puts them."""
    return LogSettings(db_url=db_url, journal_dir=default_journal_dir(db_url, home))


def count_predictions(store: PredictionStore) -> int:
    with store.engine.connect().execution_options(read_only=True) as conn:
        return int(conn.execute(select(func.count()).select_from(predictions)).scalar_one())


def get_predictions(
    store: PredictionStore, prediction_ids: Sequence[str]
) -> dict[str, PredictionRecord]:
    """The stored predictions among ``prediction_ids``, by id."""
    if not prediction_ids:
        return {}
    stmt = select(predictions).where(predictions.c.prediction_id.in_(list(prediction_ids)))
    with store.engine.connect().execution_options(read_only=True) as conn:
        found = conn.execute(stmt).mappings().all()
    return {row["prediction_id"]: decode_prediction(row) for row in found}


@contextmanager
def opened_store(url: str) -> Iterator[PredictionStore]:
    """A store on ``url`` for the length of a ``with`` block (to read what a log wrote)."""
    store = PredictionStore.open(url)
    try:
        yield store
    finally:
        store.close()


def stored(db_url: str, model: str, predictions: int, labels: int) -> bool:
    """Whether the store holds exactly ``predictions`` rows, ``labels`` of ``model``'s labelled."""
    store = PredictionStore.open(db_url)
    try:
        labelled = store.labelled_predictions(model, since=0.0)
        with store.engine.connect() as conn:
            logged = conn.exec_driver_sql("SELECT COUNT(*) FROM predictions").scalar_one()
    finally:
        store.close()
    return bool(logged == predictions and len(labelled) == labels)
