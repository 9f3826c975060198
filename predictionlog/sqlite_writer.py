"""Write transactions on one raw sqlite3 connection, and the WAL checkpoint thread beside it.

Ingestion writes large blocks of journal lines into SQLite. SQLAlchemy Core
spends ~175 us of CPU on a one-row insert transaction where sqlite3 spends
~31 us, so on SQLite the store's ingestion goes through this writer: one raw
connection per process (``BEGIN IMMEDIATE``, ``executemany`` per statement,
``COMMIT``). Driver errors are wrapped in the same SQLAlchemy exceptions the
Core path raises, so callers (and the retry loop, retry.py) see no difference.

The connection never checkpoints inside a commit (``wal_autocheckpoint = 0``):
with ``synchronous = NORMAL`` a checkpoint fsyncs the WAL and the database (~1 %
of commits took 5-11 ms instead of 0.1), and it would run while every other
writer waits its turn. A thread copies the WAL into the database file instead,
every ``checkpoint_interval_seconds``, PASSIVE (it never waits for or blocks a
writer).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# Seconds between two checkpoints of the WAL by the checkpoint thread.
CHECKPOINT_INTERVAL_SECONDS: Final = 0.5

Statement = tuple[str, Sequence[Any]]  # SQL and the parameter sets of one executemany


class SqliteWriter:
    """Raw write transactions on ``engine`` (a SQLite engine from engine.py). Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        *,
        checkpoint_interval_seconds: float | None = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        """``checkpoint_interval_seconds``: how often the checkpoint thread copies the
        WAL into the database file, from the first write on; None: no thread (call
        ``checkpoint``)."""
        if engine.dialect.name != "sqlite":
            raise ValueError(f"SqliteWriter needs a SQLite engine, got {engine.dialect.name}")
        self._engine = engine
        self._lock = threading.Lock()
        self._raw: Any = None  # a pooled connection (PoolProxiedConnection) or None
        self._raw_pid = 0
        self._checkpoint_interval = checkpoint_interval_seconds
        self._checkpoint_stop = threading.Event()
        self._checkpointer: threading.Thread | None = None

    def write(self, statements: Sequence[Statement]) -> None:
        """One IMMEDIATE transaction, each statement an ``executemany``; durable (as
        the file's ``synchronous`` says) on return; errors as SQLAlchemy raises them."""
        with self._lock:
            conn = self._connection()
            sql = ""
            try:
                conn.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    conn.executemany(sql, params)
                conn.execute("COMMIT")
            except BaseException as exc:
                self._abandon_transaction(conn)
                if isinstance(exc, sqlite3.Error):
                    raise DBAPIError.instance(
                        sql, None, exc, sqlite3.Error, hide_parameters=True
                    ) from exc
                raise

    def _abandon_transaction(self, conn: sqlite3.Connection) -> None:
        if not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            # A connection whose transaction state is unknown is not used again.
            self._drop(invalidate=True)

    def _connection(self) -> sqlite3.Connection:
        """The sqlite3 connection, checked out of the engine's pool once per process so
        it has the pragmas engine.py sets; caller holds ``_lock``."""
        if self._raw is not None and self._raw_pid != os.getpid():
            # Opened before a fork: the parent's, not ours to use or close.
            self._raw = None
        if self._raw is None:
            self._raw = self._engine.raw_connection()
            self._raw_pid = os.getpid()
            self._raw.driver_connection.execute("PRAGMA wal_autocheckpoint = 0")
            self._start_checkpointer()
        conn = self._raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        return conn

    def _start_checkpointer(self) -> None:
        if self._checkpoint_interval is None:
            return
        self._checkpoint_stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_periodically,
            args=(self._checkpoint_stop, self._checkpoint_interval),
            name="prediction-log-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _checkpoint_periodically(self, stop: threading.Event, interval: float) -> None:
        while not stop.wait(interval):
            try:
                self.checkpoint()
            except Exception as exc:  # the next round tries again; writes are unaffected
                log.warning("checkpoint of the prediction log failed: %s", exc)

    def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file.

        PASSIVE: it neither waits for nor blocks writers; what it cannot copy now
        (frames a reader still needs) the next checkpoint copies.
        """
        # A raw connection in autocommit mode: through SQLAlchemy the pragma would
        # run inside BEGIN IMMEDIATE and take the write lock.
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchall()
            cursor.close()
        finally:
            raw.close()

    def _drop(self, *, invalidate: bool = False) -> None:
        raw, self._raw = self._raw, None
        if raw is None or self._raw_pid != os.getpid():
            return
        if invalidate:
            raw.invalidate()
        else:
            raw.close()

    def close(self) -> None:
        """Stop the checkpoint thread and give the connection back; safe to call twice."""
        self._checkpoint_stop.set()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None and checkpointer.is_alive():
            checkpointer.join(10)
        with self._lock:
            self._drop()
