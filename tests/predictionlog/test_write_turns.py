"""Every write of a SQLite prediction log takes its turn through the file lock."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from predictionlog.row_codec import encode_prediction
from predictionlog.store import PredictionStore
from predictionlog.write_turns import sqlite_lock_path
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import count_predictions, insert_predictions


def test_lock_path_only_for_sqlite_files(tmp_path: Path) -> None:
    assert sqlite_lock_path(f"sqlite:///{tmp_path / 'log.db'}") == tmp_path / "log.db.write-lock"
    assert sqlite_lock_path("postgresql+psycopg://u@localhost/db") is None
    assert sqlite_lock_path("sqlite://") is None


def _ingest(store: PredictionStore) -> None:
    rows = [encode_prediction(make_record()) for _ in range(3)]
    store.ingest_journal(rows, "a.journal", 100)


def _label(store: PredictionStore) -> None:
    store.record_labels([("no-such-prediction", "1")])


def _forget(store: PredictionStore) -> None:
    store.forget_journal("a.journal")


def _retention(store: PredictionStore) -> None:
    store.delete_predictions_before(time.time(), pause_seconds=0)


@pytest.mark.parametrize("write", [_ingest, _label, _forget, _retention])
def test_every_write_waits_for_the_holder_of_the_lock(
    tmp_path: Path, write: Callable[[PredictionStore], None]
) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    store = PredictionStore.open(url)
    insert_predictions(store, [make_record(created_at=time.time() - 60)])
    try:
        with (tmp_path / "log.db.write-lock").open("ab") as other_process:
            fcntl.flock(other_process.fileno(), fcntl.LOCK_EX)
            writer = threading.Thread(target=write, args=(store,))
            writer.start()
            writer.join(0.5)
            assert writer.is_alive(), "the write must wait while another writer has its turn"
            fcntl.flock(other_process.fileno(), fcntl.LOCK_UN)
            writer.join(10)
        assert not writer.is_alive()
    finally:
        store.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    stores = [PredictionStore.open(url) for _ in range(2)]
    batches = [[make_record() for _ in range(5)] for _ in range(40)]

    def write(index: int) -> None:
        store = stores[index % 2]
        for number, batch in enumerate(batches[index::4]):
            rows = [encode_prediction(record) for record in batch]
            store.ingest_journal(rows, f"{index}.journal", number + 1)
            result = store.record_labels([(batch[0].prediction_id, "1")])
            assert result[0].outcome == "recorded"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert count_predictions(stores[0]) == 200
        assert stores[0].journal_progress() == {f"{i}.journal": 10 for i in range(4)}
    finally:
        for store in stores:
            store.close()
