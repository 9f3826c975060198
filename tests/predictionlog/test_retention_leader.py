"""Retention leadership: one sweeper among the processes sharing a journal folder."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from predictionlog.records import PredictionRecord
from predictionlog.retention import RetentionPolicy
from predictionlog.retention_leader import RetentionLeader
from predictionlog.store import PredictionStore
from tests.support.eventually import eventually
from tests.support.log_rows import count_predictions, get_predictions, insert_predictions


def _prediction(created_at: float) -> PredictionRecord:
    return PredictionRecord(str(uuid.uuid4()), created_at, "churn", "1", {"a": 1.0}, "1",
                            {"0": 0.4, "1": 0.6})  # fmt: skip


def test_exactly_one_worker_sweeps_and_another_takes_over(tmp_path: Path) -> None:
    store = PredictionStore.open(f"sqlite:///{tmp_path / 'log.db'}")
    policy = RetentionPolicy(max_age_seconds=3600, interval_seconds=0.1)
    old, new = _prediction(time.time() - 7200), _prediction(time.time())
    insert_predictions(store, [old, new])
    first = RetentionLeader(store, policy, tmp_path / "journal")
    second = RetentionLeader(store, policy, tmp_path / "journal")
    try:
        first.start()
        eventually(lambda: first.leading, 5, "the first process to lead")
        second.start()
        time.sleep(0.5)
        assert not second.leading, "the lock keeps a second sweeper out"
        eventually(lambda: count_predictions(store) == 1, 5, "the old prediction to go")
        assert set(get_predictions(store, [old.prediction_id, new.prediction_id])) == {
            new.prediction_id
        }
        first.stop()  # the leading process exits: its lock is released
        eventually(lambda: second.leading, 5, "the second process to take over")
    finally:
        first.stop()
        second.stop()
        store.close()
