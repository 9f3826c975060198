"""The raw SQLite write path: sqlite3 transactions, checkpoints off the write path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from predictionlog.engine import create_log_engine, enable_wal
from predictionlog.records import PredictionRecord
from predictionlog.row_codec import encode_prediction
from predictionlog.schema import metadata, predictions
from predictionlog.sqlite_writer import SqliteWriter
from predictionlog.store import SQLITE_INGEST_PREDICTIONS, PredictionStore
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import count_predictions, get_predictions

# A plain insert: a repeated id fails the transaction (ingestion's own skips it).
_INSERT = SQLITE_INGEST_PREDICTIONS.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1)


def _bulky_rows(n: int) -> list[PredictionRecord]:
    # ~1 KiB of features per row, so a few thousand rows fill more than the
    # 1000 WAL pages at which SQLite would checkpoint on its own.
    return [make_record(features={f"f{i}": "x" * 40 for i in range(20)}) for _ in range(n)]


def _ingest(store: PredictionStore, records: list[PredictionRecord]) -> None:
    store.ingest_journal([encode_prediction(r) for r in records], "bulky.journal", 1)


def test_a_failed_transaction_leaves_the_connection_usable(tmp_path: Path) -> None:
    engine = create_log_engine(sqlite_url(tmp_path / "p.db"))
    enable_wal(engine)
    with engine.begin() as conn:
        metadata.create_all(conn)
    writer = SqliteWriter(engine, checkpoint_interval_seconds=None)
    try:
        existing = encode_prediction(make_record())
        writer.write([(_INSERT, [existing])])
        for _ in range(3):
            with pytest.raises(IntegrityError):
                writer.write([(_INSERT, [encode_prediction(make_record()), existing])])
        fresh = make_record()
        writer.write([(_INSERT, [encode_prediction(fresh)])])
        with engine.connect() as conn:
            ids = {row[0] for row in conn.execute(predictions.select().with_only_columns(
                predictions.c.prediction_id))}  # fmt: skip
        assert ids == {existing["prediction_id"], fresh.prediction_id}
    finally:
        writer.close()
        engine.dispose()


def test_a_sqlite_writer_needs_sqlite(tmp_path: Path) -> None:
    engine = create_log_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="SQLite"):
        SqliteWriter(engine)
    engine.dispose()


def test_ingestion_does_not_checkpoint_and_checkpoint_copies_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    engine = create_log_engine(sqlite_url(path))
    enable_wal(engine)
    with engine.begin() as conn:
        metadata.create_all(conn)
    writer = SqliteWriter(engine, checkpoint_interval_seconds=None)
    try:
        writer.write([(_INSERT, [encode_prediction(r) for r in _bulky_rows(10)])])
        before = path.stat().st_size
        for _ in range(10):
            writer.write([(_INSERT, [encode_prediction(r) for r in _bulky_rows(500)])])
        assert path.stat().st_size == before, "a write ran a checkpoint"

        writer.checkpoint()

        assert path.stat().st_size > before + 4_000_000
    finally:
        writer.close()
        engine.dispose()


def test_the_stores_checkpoint_thread_copies_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = PredictionStore.open(sqlite_url(path), checkpoint_interval_seconds=0.05)
    try:
        _ingest(store, _bulky_rows(10))
        before = path.stat().st_size
        _ingest(store, _bulky_rows(500))
        deadline = time.monotonic() + 60
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before
        assert count_predictions(store) == 510
    finally:
        store.close()


def test_ingested_rows_read_back(tmp_path: Path) -> None:
    store = PredictionStore.open(sqlite_url(tmp_path / "p.db"))
    try:
        records = _bulky_rows(3)
        _ingest(store, records)
        _ingest(store, records)  # met again after a crash: skipped, not doubled
        found = get_predictions(store, [r.prediction_id for r in records])
        assert found == {r.prediction_id: r for r in records}
        assert count_predictions(store) == 3
    finally:
        store.close()
