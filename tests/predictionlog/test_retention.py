"""Retention policy from the environment and the background sweeper."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from predictionlog.journal import JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.retention import (
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_MAX_AGE_SECONDS,
    INTERVAL_ENV,
    RETENTION_ENV,
    RetentionPolicy,
    RetentionSweeper,
)
from predictionlog.store import PredictionStore
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import (
    count_predictions,
    get_predictions,
    insert_predictions,
    journal_lines,
)


def test_policy_defaults_to_thirty_days_hourly() -> None:
    policy = RetentionPolicy.from_env({})
    assert policy == RetentionPolicy(DEFAULT_MAX_AGE_SECONDS, DEFAULT_INTERVAL_SECONDS)
    assert DEFAULT_MAX_AGE_SECONDS == 30 * 86400
    assert policy.enabled


def test_policy_reads_the_environment() -> None:
    policy = RetentionPolicy.from_env({RETENTION_ENV: "86400", INTERVAL_ENV: "60"})
    assert policy == RetentionPolicy(86400.0, 60.0)
    assert not RetentionPolicy.from_env({RETENTION_ENV: "0"}).enabled


@pytest.mark.parametrize(
    ("environ", "name"),
    [({RETENTION_ENV: "a week"}, RETENTION_ENV), ({RETENTION_ENV: "-5"}, RETENTION_ENV),
     ({RETENTION_ENV: "nan"}, RETENTION_ENV), ({INTERVAL_ENV: "0"}, INTERVAL_ENV)],
)  # fmt: skip
def test_bad_values_are_named(environ: dict[str, str], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RetentionPolicy.from_env(environ)


def _fill(store: PredictionStore) -> tuple[list[str], list[str]]:
    old = [make_record(created_at=1_000.0 + i) for i in range(5)]
    new = [make_record(created_at=9_000.0 + i) for i in range(5)]
    insert_predictions(store, old + new)
    store.record_labels([(r.prediction_id, "1") for r in old + new])
    return [r.prediction_id for r in old], [r.prediction_id for r in new]


def test_sweep_deletes_what_is_older_than_the_maximum_age(store: PredictionStore) -> None:
    old, new = _fill(store)
    sweeper = RetentionSweeper(
        store, RetentionPolicy(max_age_seconds=5_000, interval_seconds=60), clock=lambda: 10_000.0
    )

    assert sweeper.sweep_once() == 5
    assert set(get_predictions(store, old + new)) == set(new)
    assert len(store.labelled_predictions("churn", since=0)) == 5


def test_the_started_sweeper_sweeps_in_the_background(store: PredictionStore) -> None:
    old, new = _fill(store)
    swept = threading.Event()
    deleted: list[int] = []

    def on_sweep(count: int) -> None:
        deleted.append(count)
        swept.set()

    sweeper = RetentionSweeper(
        store,
        RetentionPolicy(max_age_seconds=5_000, interval_seconds=3600),
        clock=lambda: 10_000.0,
        on_sweep=on_sweep,
    )
    sweeper.start()
    try:
        assert swept.wait(30), "the sweeper did not run"
    finally:
        sweeper.stop()

    assert deleted == [5]
    assert set(get_predictions(store, old + new)) == set(new)


def test_a_disabled_policy_keeps_everything(store: PredictionStore) -> None:
    old, new = _fill(store)
    sweeper = RetentionSweeper(store, RetentionPolicy(0, 60), clock=lambda: 1e12)

    assert sweeper.sweep_once() == 0
    sweeper.start()
    sweeper.stop()
    assert len(get_predictions(store, old + new)) == 10


def test_retention_alongside_serving_writes_keeps_every_new_row(
    store: PredictionStore, tmp_path: Path
) -> None:
    old = [make_record(created_at=1_000.0 + i % 50) for i in range(3000)]
    for start in range(0, len(old), 500):
        insert_predictions(store, old[start : start + 500])
    journal = JournalWriter(tmp_path / "journal")
    ingester = JournalIngester(store, tmp_path / "journal")
    ingester.start(0.005)  # ingestion transactions interleave with the deleting ones
    acknowledged: list[str] = []
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            for _ in range(150):
                record = make_record(created_at=9_000.0)
                journal.append_lines(journal_lines([record]))
                acknowledged.append(record.prediction_id)
        except BaseException as exc:
            failures.append(exc)

    servers = [threading.Thread(target=serve) for _ in range(4)]
    for t in servers:
        t.start()
    deleted = store.delete_predictions_before(5_000.0, batch=200, pause_seconds=0.001)
    for t in servers:
        t.join()
    journal.close()
    ingester.stop()
    ingester.ingest()
    ingester.close()

    assert failures == []
    assert deleted == len(old)
    assert count_predictions(store) == len(acknowledged) == 600
    assert len(get_predictions(store, acknowledged)) == 600
