"""Writers of one SQLite prediction log take turns through a file lock."""

from __future__ import annotations

import fcntl
import threading
import time
import uuid
from pathlib import Path

from predictionlog.records import PredictionRecord
from predictionlog.store import PredictionStore
from serving.write_turns import TurnTakingStore, sqlite_lock_path


def _rows(n: int) -> list[PredictionRecord]:
    return [
        PredictionRecord(str(uuid.uuid4()), time.time(), "churn", "1", {"a": 1.0}, "1",
                         {"0": 0.4, "1": 0.6})
        for _ in range(n)
    ]  # fmt: skip


def test_lock_path_only_for_sqlite_files(tmp_path: Path) -> None:
    assert sqlite_lock_path(f"sqlite:///{tmp_path / 'log.db'}") == tmp_path / "log.db.write-lock"
    assert sqlite_lock_path("postgresql+psycopg://u@localhost/db") is None
    assert sqlite_lock_path("sqlite://") is None


def test_a_write_waits_for_the_holder_of_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    store = TurnTakingStore.open_for(url)
    assert isinstance(store, TurnTakingStore)
    rows = _rows(3)
    with (tmp_path / "log.db.write-lock").open("ab") as other_process:
        fcntl.flock(other_process.fileno(), fcntl.LOCK_EX)
        writer = threading.Thread(target=store.insert_predictions, args=(rows,))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the insert must wait while another writer has its turn"
        assert store.count_predictions() == 0
        fcntl.flock(other_process.fileno(), fcntl.LOCK_UN)
        writer.join(10)
    assert not writer.is_alive()
    assert store.count_predictions() == 3
    store.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    stores = [TurnTakingStore.open_for(url) for _ in range(2)]
    batches = [_rows(5) for _ in range(40)]

    def write(index: int) -> None:
        for batch in batches[index::4]:
            stores[index % 2].insert_predictions(batch)
            result = stores[index % 2].record_labels([(batch[0].prediction_id, "1")])
            assert result[0].outcome == "recorded"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check = PredictionStore.open(url)
    try:
        assert check.count_predictions() == 200
    finally:
        check.close()
        for store in stores:
            store.close()
