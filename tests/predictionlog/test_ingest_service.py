"""The ingestion service: it runs the rounds while it holds its lock, a worker's
background loop stands back meanwhile, and takes over once the service is gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from predictionlog.ingest_service import IngestService, ServiceLock
from predictionlog.journal import JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.store import PredictionStore
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import count_predictions, journal_lines

INTERVAL = 0.02


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore.open(sqlite_url(tmp_path / "predictions.db"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def lock(journal_dir: Path) -> Iterator[ServiceLock]:
    opened = ServiceLock(journal_dir)
    try:
        yield opened
    finally:
        opened.close()


def _ingester(store: PredictionStore, journal_dir: Path) -> JournalIngester:
    return JournalIngester(store, journal_dir, parse_in_database=False)


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class RunningService:
    """An IngestService on a thread of this test, as the service process runs it."""

    def __init__(self, store: PredictionStore, journal_dir: Path) -> None:
        self.ingester = _ingester(store, journal_dir)
        self.lock = ServiceLock(journal_dir)
        self.stop = threading.Event()
        self.orphaned = threading.Event()
        service = IngestService(self.ingester, self.lock, INTERVAL)
        self.thread = threading.Thread(
            target=service.run, args=(self.stop,), kwargs={"orphaned": self.orphaned.is_set}
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.lock.close()
        self.ingester.close()


@pytest.fixture
def start_service(
    store: PredictionStore, journal_dir: Path
) -> Iterator[Callable[[], RunningService]]:
    started: list[RunningService] = []

    def start() -> RunningService:
        started.append(RunningService(store, journal_dir))
        return started[-1]

    yield start
    for service in started:
        service.close()


# --- the lock ---------------------------------------------------------------------------------


def test_the_lock_is_seen_held_by_others_and_not_by_its_holder(journal_dir: Path) -> None:
    holder, other = ServiceLock(journal_dir), ServiceLock(journal_dir)
    try:
        assert not other.held_elsewhere()
        assert holder.acquire()
        assert holder.acquire()  # taking it again is a no-op
        assert other.held_elsewhere()
        assert not holder.held_elsewhere()
        assert not other.acquire()
        holder.release()
        assert not other.held_elsewhere()
        assert other.acquire()
    finally:
        holder.close()
        other.close()


def test_probing_leaves_the_lock_free_for_a_service(journal_dir: Path) -> None:
    probe, service = ServiceLock(journal_dir), ServiceLock(journal_dir)
    try:
        for _ in range(3):
            assert not probe.held_elsewhere()
        assert service.acquire()
    finally:
        probe.close()
        service.close()


def test_closing_the_holder_frees_the_lock(journal_dir: Path, lock: ServiceLock) -> None:
    holder = ServiceLock(journal_dir)
    assert holder.acquire()
    holder.close()
    holder.close()  # twice is harmless
    assert not lock.held_elsewhere()


# --- the service ------------------------------------------------------------------------------


def test_the_service_ingests_while_it_runs(
    store: PredictionStore,
    writer: JournalWriter,
    lock: ServiceLock,
    start_service: Callable[[], RunningService],
) -> None:
    start_service()
    _wait_for(lock.held_elsewhere, "the service to take its lock")
    writer.append_lines(journal_lines([make_record() for _ in range(5)]))
    _wait_for(lambda: count_predictions(store) == 5, "the service to ingest")


def test_stopping_runs_a_last_round_and_frees_the_lock(
    store: PredictionStore,
    journal_dir: Path,
    lock: ServiceLock,
) -> None:
    service = RunningService(store, journal_dir)
    _wait_for(lock.held_elsewhere, "the service to take its lock")
    # Journaled and closed the moment before the stop, as a worker does on shutdown.
    writer = JournalWriter(journal_dir)
    writer.append_lines(journal_lines([make_record() for _ in range(4)]))
    writer.close()
    service.close()
    assert count_predictions(store) == 4
    assert list(journal_dir.glob("*.journal")) == []
    assert not lock.held_elsewhere()


def test_an_orphaned_service_stops_after_a_last_round(
    store: PredictionStore,
    journal_dir: Path,
    writer: JournalWriter,
    lock: ServiceLock,
    start_service: Callable[[], RunningService],
) -> None:
    service = start_service()
    _wait_for(lock.held_elsewhere, "the service to take its lock")
    writer.append_lines(journal_lines([make_record() for _ in range(3)]))
    service.orphaned.set()
    service.thread.join(10)
    assert not service.thread.is_alive()
    assert count_predictions(store) == 3
    assert not lock.held_elsewhere()


def test_a_second_service_waits_on_standby_and_takes_over(
    store: PredictionStore,
    journal_dir: Path,
    writer: JournalWriter,
    lock: ServiceLock,
) -> None:
    first = RunningService(store, journal_dir)
    _wait_for(lock.held_elsewhere, "the first service to take its lock")
    second = RunningService(store, journal_dir)
    try:
        time.sleep(5 * INTERVAL)  # the second one tries, and finds the lock taken
        first.close()
        _wait_for(lock.held_elsewhere, "the second service to take over")
        writer.append_lines(journal_lines([make_record() for _ in range(2)]))
        _wait_for(lambda: count_predictions(store) == 2, "the second service to ingest")
    finally:
        first.stop.set()
        second.close()


def test_a_failing_round_is_retried_by_the_next(
    store: PredictionStore,
    writer: JournalWriter,
    start_service: Callable[[], RunningService],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [RuntimeError("database away")] * 3
    real = PredictionStore.ingest_journal

    def flaky(self: PredictionStore, *args: object) -> None:
        if failures:
            raise failures.pop()
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PredictionStore, "ingest_journal", flaky)
    writer.append_lines(journal_lines([make_record() for _ in range(3)]))
    start_service()
    _wait_for(lambda: count_predictions(store) == 3, "a round after the failures")
    assert "ingesting the prediction journal failed: database away" in caplog.text


def test_the_interval_must_be_positive(
    store: PredictionStore, journal_dir: Path, lock: ServiceLock
) -> None:
    ingester = _ingester(store, journal_dir)
    try:
        with pytest.raises(ValueError, match="interval must be positive"):
            IngestService(ingester, lock, 0)
    finally:
        ingester.close()


# --- a worker's background loop beside the service ----------------------------------------------


def test_a_workers_loop_stands_back_while_a_service_holds_the_lock_and_takes_over_after(
    store: PredictionStore,
    journal_dir: Path,
    writer: JournalWriter,
    lock: ServiceLock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="predictionlog.journal_ingest")
    service_lock = ServiceLock(journal_dir)
    assert service_lock.acquire()  # a service that runs no rounds: only the lock matters here
    worker = JournalIngester(store, journal_dir)
    try:
        worker.start(INTERVAL, service=lock)
        writer.append_lines(journal_lines([make_record() for _ in range(3)]))
        time.sleep(10 * INTERVAL)
        assert count_predictions(store) == 0  # left to the service
        service_lock.close()  # the service is gone
        _wait_for(lambda: count_predictions(store) == 3, "the worker to take over")
        assert "an ingestion service runs the rounds" in caplog.text
        assert "no ingestion service runs; ingesting" in caplog.text
    finally:
        worker.close()
        service_lock.close()
