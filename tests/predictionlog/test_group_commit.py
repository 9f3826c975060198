"""GroupCommitWriter: acknowledged means committed, batching, draining on close."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from predictionlog.group_commit import GroupCommitWriter, WriterClosedError
from predictionlog.records import PredictionRecord
from predictionlog.retry import RetryPolicy
from predictionlog.store import PredictionStore
from tests.predictionlog.conftest import sqlite_url
from tests.predictionlog.sample_records import make_record
from tests.predictionlog.sqlite_lock import held_write_lock


class CommitLog:
    """Records what on_commit reports."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, batch_size: int, seconds: float) -> None:
        with self._lock:
            self.batch_sizes.append(batch_size)
            self.seconds.append(seconds)


def test_every_acknowledged_row_is_committed_and_submissions_are_batched(
    store_url: str,
) -> None:
    threads, per_thread = 16, 500
    commits = CommitLog()
    store = PredictionStore.open(store_url)
    writer = GroupCommitWriter(store, on_commit=commits)
    acknowledged: list[list[str]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []

    def submit_one_by_one(index: int) -> None:
        try:
            for _ in range(per_thread):
                record = make_record()
                writer.submit([record]).result(timeout=60)
                acknowledged[index].append(record.prediction_id)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=submit_one_by_one, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()

    try:
        assert failures == []
        # A fresh connection in a fresh engine sees every acknowledged row.
        fresh = PredictionStore.open(store_url)
        try:
            ids = [pid for per in acknowledged for pid in per]
            assert len(ids) == threads * per_thread
            assert len(fresh.get_predictions(ids)) == len(ids)
            assert fresh.count_predictions() == len(ids)
        finally:
            fresh.close()
        assert sum(commits.batch_sizes) == threads * per_thread
        assert max(commits.batch_sizes) > 1
        assert all(s >= 0 and math.isfinite(s) for s in commits.seconds)
    finally:
        writer.close()
        store.close()


@pytest.fixture
def blockable(tmp_path: Path) -> Iterator[tuple[Path, PredictionStore, threading.Event]]:
    """A SQLite store that gives up waiting for the lock fast and reports each retry."""
    path = tmp_path / "predictions.db"
    retried = threading.Event()
    store = PredictionStore.open(
        sqlite_url(path),
        busy_timeout_ms=20,
        retry=RetryPolicy(deadline_seconds=120),
        on_retry=lambda _exc, _attempt: retried.set(),
    )
    try:
        yield path, store, retried
    finally:
        store.close()


def test_submissions_made_while_a_commit_waits_go_in_one_transaction(
    blockable: tuple[Path, PredictionStore, threading.Event],
) -> None:
    path, store, retried = blockable
    commits = CommitLog()
    writer = GroupCommitWriter(store, max_batch=256, on_commit=commits)
    try:
        with held_write_lock(path):
            first = writer.submit([make_record()])
            assert retried.wait(30), "the writer never hit the held lock"
            rest = [writer.submit([make_record(), make_record()]) for _ in range(10)]
            assert not first.done()
        first.result(timeout=60)
        for future in rest:
            future.result(timeout=60)
    finally:
        writer.close()

    assert commits.batch_sizes == [1, 20]
    assert store.count_predictions() == 21


def test_batches_never_exceed_max_batch_but_keep_submissions_whole(
    blockable: tuple[Path, PredictionStore, threading.Event],
) -> None:
    path, store, retried = blockable
    commits = CommitLog()
    writer = GroupCommitWriter(store, max_batch=5, on_commit=commits)
    try:
        with held_write_lock(path):
            futures = [writer.submit([make_record()])]
            assert retried.wait(30)
            futures += [writer.submit([make_record() for _ in range(n)]) for n in (2, 2, 2, 7, 1)]
        for future in futures:
            future.result(timeout=60)
    finally:
        writer.close()

    assert commits.batch_sizes == [1, 4, 2, 7, 1]
    assert store.count_predictions() == 15


def test_one_bad_submission_fails_alone(
    blockable: tuple[Path, PredictionStore, threading.Event],
) -> None:
    path, store, retried = blockable
    existing = make_record()
    store.insert_predictions([existing])
    writer = GroupCommitWriter(store)
    try:
        with held_write_lock(path):
            blocker = writer.submit([make_record()])
            assert retried.wait(30)
            good_before = writer.submit([make_record()])
            bad = writer.submit([make_record(), existing])
            good_after = writer.submit([make_record()])
        blocker.result(timeout=60)
        good_before.result(timeout=60)
        good_after.result(timeout=60)
        with pytest.raises(IntegrityError):
            bad.result(timeout=60)
    finally:
        writer.close()

    assert store.count_predictions() == 4


def test_close_commits_everything_queued(
    blockable: tuple[Path, PredictionStore, threading.Event],
) -> None:
    path, store, retried = blockable
    writer = GroupCommitWriter(store, max_batch=16)
    futures: list[Future[None]] = []
    closer = threading.Thread(target=writer.close, kwargs={"timeout": 60})
    with held_write_lock(path):
        futures.append(writer.submit([make_record()]))
        assert retried.wait(30)
        futures += [writer.submit([make_record()]) for _ in range(99)]
        closer.start()
        # close() has stopped new submissions while the old ones wait for the lock.
        while True:
            try:
                writer.submit([make_record()]).cancel()
            except WriterClosedError:
                break
    closer.join()

    assert all(f.done() and f.exception() is None for f in futures)
    assert store.count_predictions() == 100  # the cancelled probes were never written


def test_close_fails_what_it_could_not_drain_in_time(
    blockable: tuple[Path, PredictionStore, threading.Event],
) -> None:
    path, store, retried = blockable
    writer = GroupCommitWriter(store)
    with held_write_lock(path):
        in_flight = writer.submit([make_record()])
        assert retried.wait(30)
        queued = writer.submit([make_record()])
        writer.close(timeout=0.2)
        with pytest.raises(WriterClosedError):
            queued.result(timeout=0)
    in_flight.result(timeout=60)  # the transaction under way still commits

    assert store.count_predictions() == 1


def test_close_drains_without_waiting_on_futures(store_url: str) -> None:
    store = PredictionStore.open(store_url)
    writer = GroupCommitWriter(store, max_batch=32)
    records = [make_record() for _ in range(2000)]
    futures = [writer.submit(records[i : i + 10]) for i in range(0, len(records), 10)]

    writer.close()

    assert all(f.done() and f.exception() is None for f in futures)
    assert store.count_predictions() == len(records)
    store.close()


def test_submitting_after_close_is_refused(store: PredictionStore) -> None:
    writer = GroupCommitWriter(store)
    writer.close()

    with pytest.raises(WriterClosedError):
        writer.submit([make_record()])


def test_rows_that_cannot_be_stored_are_refused_at_submit(store: PredictionStore) -> None:
    writer = GroupCommitWriter(store)
    try:
        bad = PredictionRecord(**{**make_record().__dict__, "features": {"x": math.inf}})
        with pytest.raises(ValueError, match="JSON"):
            writer.submit([bad])
        writer.submit([]).result(timeout=1)
    finally:
        writer.close()
    assert store.count_predictions() == 0


def test_a_failing_commit_listener_does_not_lose_acknowledgements(store: PredictionStore) -> None:
    def broken(_size: int, _seconds: float) -> None:
        raise RuntimeError("metrics are broken")

    writer = GroupCommitWriter(store, on_commit=broken)
    try:
        writer.submit([make_record()]).result(timeout=30)
        writer.submit([make_record()]).result(timeout=30)
    finally:
        writer.close()
    assert store.count_predictions() == 2


def test_a_commit_that_cannot_get_the_lock_fails_its_future(tmp_path: Path) -> None:
    path = tmp_path / "predictions.db"
    store = PredictionStore.open(
        sqlite_url(path), busy_timeout_ms=10, retry=RetryPolicy(deadline_seconds=0.3)
    )
    writer = GroupCommitWriter(store)
    try:
        with held_write_lock(path):
            future = writer.submit([make_record()])
            with pytest.raises(OperationalError, match="locked"):
                future.result(timeout=60)
    finally:
        writer.close()
        store.close()
