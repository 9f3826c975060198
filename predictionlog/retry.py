"""Rerunning a transaction that lost a race for a database lock.

SQLite: every gunicorn worker writes the same file and SQLite lets one writer
in at a time. ``busy_timeout`` makes a writer wait for the lock, but SQLite
still answers SQLITE_BUSY when the wait runs out and in a few cases where it
does not call the busy handler at all (WAL recovery, a reader that must
upgrade to a writer). PostgreSQL: a deadlock (40P01) or serialization failure
(40001) aborts one of the transactions involved.

In every case the failed transaction was rolled back as a whole, so running it
again writes nothing twice. Anything else (a constraint violation, a bad
value) is not retried: running it again would fail again.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_PG_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep retrying, and how to space the attempts.

    The deadline bounds how long a caller (a request thread waiting for its
    prediction to be durable) can be held up; after it the error is raised and
    the caller answers with an error instead of a false acknowledgement.
    """

    deadline_seconds: float = 15.0
    first_backoff_seconds: float = 0.002
    max_backoff_seconds: float = 0.25

    def backoff(self, attempt: int) -> float:
        """Seconds to sleep before retry number ``attempt`` (1-based), with jitter.

        Jitter keeps workers that collided once from colliding again in step.
        """
        ceiling = min(self.max_backoff_seconds, self.first_backoff_seconds * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


def is_lock_contention(exc: BaseException) -> bool:
    """True when ``exc`` means "another transaction was in the way; try again"."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        # Extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary code in the low byte.
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig)
        return "database is locked" in message or "database table is locked" in message
    return getattr(orig, "sqlstate", None) in _PG_RETRYABLE_SQLSTATES


RetryListener = Callable[[BaseException, int], None]


def run_with_retry(
    work: Callable[[], T],
    policy: RetryPolicy,
    on_retry: RetryListener | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` (one whole transaction), again after lock contention, until the deadline."""
    started = clock()
    attempt = 0
    while True:
        try:
            return work()
        # Not only DBAPIError: work on a raw driver connection raises the driver's own errors.
        except Exception as exc:
            if not is_lock_contention(exc):
                raise
            attempt += 1
            if clock() - started >= policy.deadline_seconds:
                raise
            if on_retry is not None:
                on_retry(exc, attempt)
            sleep(policy.backoff(attempt))
