"""Make the processes writing one SQLite prediction log take turns through a file lock.

Every gunicorn worker has its own group-commit writer, and SQLite lets one
writer in at a time. A writer that finds the file locked waits in SQLite's busy
handler, which sleeps in growing steps (1, 2, 5, 10 ... 100 ms) instead of
waking when the lock is free. Under load one worker keeps winning and the
other's requests wait for seconds: measured with two processes of four
threads each, one committed 300 rows/s and the other 14, with a p99 of 3.3 s.

A blocking ``flock`` on ``<database file>.write-lock`` around each write
transaction queues the writers in the kernel, which wakes the next one the
moment the lock is released: both processes then committed ~600 rows/s with a
p99 of 31 ms (``FULL``), ~1900 rows/s each with 15 ms (``NORMAL``). The lock file
sits beside the database, so every server on the host that writes the same
file (an A/B pair) takes part. PostgreSQL needs none of this.

Within a process, a threading lock comes first: flock locks belong to an open
file, which all threads of the process share.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from predictionlog.records import LabelResult
from predictionlog.store import EncodedPrediction, PredictionStore


def sqlite_lock_path(url: str) -> Path | None:
    """``<database file>.write-lock`` for a SQLite file URL, else None."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None  # URI filenames may carry options; leave them to SQLite's own locking
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".write-lock")


class TurnTakingStore(PredictionStore):
    """A PredictionStore whose write transactions queue on a file lock (SQLite only)."""

    _turn_file: IO[bytes] | None = None
    _turn_lock: threading.Lock | None = None

    @classmethod
    def open_for(cls, url: str) -> PredictionStore:
        """Open ``url``; SQLite files get write turns, anything else a plain store."""
        lock_path = sqlite_lock_path(url)
        if lock_path is None:
            return PredictionStore.open(url)
        store = cls.open(url)
        assert isinstance(store, TurnTakingStore)
        store._turn_file = lock_path.open("ab")
        store._turn_lock = threading.Lock()
        return store

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._turn_file is None or self._turn_lock is None:
            yield
            return
        with self._turn_lock:
            fcntl.flock(self._turn_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._turn_file.fileno(), fcntl.LOCK_UN)

    def insert_encoded(self, rows: Sequence[EncodedPrediction]) -> None:
        with self._turn():
            super().insert_encoded(rows)

    def ingest_journal(
        self, rows: Sequence[EncodedPrediction], journal: str, ingested_bytes: int
    ) -> None:
        with self._turn():
            super().ingest_journal(rows, journal, ingested_bytes)

    def ingest_journal_json(self, rows_json: str, journal: str, ingested_bytes: int) -> None:
        with self._turn():
            super().ingest_journal_json(rows_json, journal, ingested_bytes)

    def forget_journal(self, journal: str) -> None:
        with self._turn():
            super().forget_journal(journal)

    def record_labels(self, labels_in: Sequence[tuple[str, str]]) -> list[LabelResult]:
        with self._turn():
            return super().record_labels(labels_in)

    def close(self) -> None:
        super().close()
        if self._turn_file is not None:
            self._turn_file.close()
            self._turn_file = None
