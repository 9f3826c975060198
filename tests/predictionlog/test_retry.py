"""Which errors are retried, and how long for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from predictionlog.retry import RetryPolicy, is_lock_contention, run_with_retry
from tests.predictionlog.sqlite_lock import held_write_lock


def _real_busy_error(tmp_path: Path) -> sqlite3.OperationalError:
    path = tmp_path / "busy.db"
    sqlite3.connect(path).close()
    with held_write_lock(path):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return exc
        finally:
            other.close()
    raise AssertionError("BEGIN IMMEDIATE got the lock that was held")


def _wrapped(orig: Exception, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    return kind("INSERT ...", {}, orig)


def test_sqlite_busy_is_lock_contention(tmp_path: Path) -> None:
    busy = _real_busy_error(tmp_path)
    assert is_lock_contention(busy)
    assert is_lock_contention(_wrapped(busy))


def test_a_constraint_violation_is_not_retried(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute("CREATE TABLE t (k TEXT UNIQUE)")
    conn.execute("INSERT INTO t VALUES ('a')")
    with pytest.raises(sqlite3.IntegrityError) as caught:
        conn.execute("INSERT INTO t VALUES ('a')")
    conn.close()
    assert not is_lock_contention(caught.value)
    assert not is_lock_contention(IntegrityError("INSERT ...", {}, caught.value))


class FakePgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("sqlstate", "retried"), [("40P01", True), ("40001", True),
                                                   ("23505", False)])  # fmt: skip
def test_postgres_deadlocks_and_serialization_failures_are_retried(
    sqlstate: str, retried: bool
) -> None:
    assert is_lock_contention(_wrapped(FakePgError(sqlstate))) is retried


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_work_is_rerun_until_it_gets_through(tmp_path: Path) -> None:
    busy = _wrapped(_real_busy_error(tmp_path))
    attempts: list[int] = []
    time = FakeTime()

    def work() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise busy
        return "done"

    policy = RetryPolicy(first_backoff_seconds=0.01, max_backoff_seconds=0.02)
    result = run_with_retry(work, policy, clock=time.clock, sleep=time.sleep)

    assert result == "done"
    assert len(attempts) == 4
    assert len(time.sleeps) == 3
    assert all(0.005 <= s <= 0.02 for s in time.sleeps)


def test_the_error_is_raised_once_the_deadline_passes(tmp_path: Path) -> None:
    busy = _wrapped(_real_busy_error(tmp_path))
    time = FakeTime()

    def work() -> None:
        raise busy

    with pytest.raises(OperationalError) as caught:
        run_with_retry(work, RetryPolicy(deadline_seconds=1.0), clock=time.clock, sleep=time.sleep)
    assert caught.value is busy
    assert 1.0 <= time.now < 1.5


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        raise _wrapped(ValueError("no"), IntegrityError)

    with pytest.raises(IntegrityError):
        run_with_retry(work, RetryPolicy())
    assert calls == [1]


def test_raw_driver_lock_errors_are_retried_too(tmp_path: Path) -> None:
    busy = _real_busy_error(tmp_path)  # as raised on a raw sqlite3 connection
    attempts: list[int] = []
    time = FakeTime()

    def work() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise busy
        return len(attempts)

    assert run_with_retry(work, RetryPolicy(), clock=time.clock, sleep=time.sleep) == 2
