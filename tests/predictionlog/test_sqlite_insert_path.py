"""The SQLite insert path: raw sqlite3 transactions, checkpoints off the insert path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record


def _bulky_rows(n: int) -> list[PredictionRecord]:
    # ~1 KiB of features per row, so a few thousand rows fill more than the
    # 1000 WAL pages at which SQLite would checkpoint on its own.
    return [make_record(features={f"f{i}": "x" * 40 for i in range(20)}) for _ in range(n)]


def test_a_failed_batch_leaves_the_connection_usable(tmp_path: Path) -> None:
    store = PredictionStore.open(sqlite_url(tmp_path / "p.db"))
    try:
        existing = make_record()
        store.insert_predictions([existing])
        for _ in range(3):
            with pytest.raises(IntegrityError):
                store.insert_predictions([make_record(), existing])
        fresh = make_record()
        store.insert_predictions([fresh])
        assert set(store.get_predictions([fresh.prediction_id])) == {fresh.prediction_id}
        assert store.count_predictions() == 2
    finally:
        store.close()


def test_inserts_do_not_checkpoint_and_checkpoint_copies_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = PredictionStore.open(sqlite_url(path), checkpoint_interval_seconds=None)
    try:
        store.insert_predictions(_bulky_rows(10))
        before = path.stat().st_size
        for _ in range(10):
            store.insert_predictions(_bulky_rows(500))
        assert path.stat().st_size == before, "an insert ran a checkpoint"

        store.checkpoint()

        assert path.stat().st_size > before + 4_000_000
        assert store.count_predictions() == 5010
    finally:
        store.close()


def test_the_checkpoint_thread_copies_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = PredictionStore.open(sqlite_url(path), checkpoint_interval_seconds=0.05)
    try:
        store.insert_predictions(_bulky_rows(10))
        before = path.stat().st_size
        store.insert_predictions(_bulky_rows(500))
        deadline = time.monotonic() + 60
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before
    finally:
        store.close()
