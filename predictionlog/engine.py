"""The SQLAlchemy engine behind the prediction log, with SQLite set up for many writers.

SQLite (the embedded default) is opened in WAL mode so readers never block the
writer, with ``busy_timeout`` so a writer waits for the lock instead of failing
at once, and with every write transaction started as ``BEGIN IMMEDIATE``: the
write lock is taken up front, so a transaction never has to upgrade from reader
to writer halfway (an upgrade that SQLite refuses with SQLITE_BUSY without
waiting). Read-only work asks for a plain deferred ``BEGIN`` with the
``read_only`` execution option and never holds the write lock.

``synchronous`` (environment variable ``DRIFTLINE_SQLITE_SYNCHRONOUS``):

- ``NORMAL`` (default): a commit writes the transaction to the WAL file, which
  is fsynced only at checkpoints. A committed prediction is in the file (the
  operating system's page cache), so it survives a killed worker, a restart
  and a crash of the process; only a power loss or kernel crash can lose the
  last commits. The file stays consistent either way.
- ``FULL``: the WAL is also fsynced at every commit, so a committed prediction
  survives a power loss or kernel crash too, at the price of an fsync per
  group commit (serving throughput: see docs/serving.md).

PostgreSQL needs nothing of this: its own WAL and ``synchronous_commit`` decide.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError

SqliteSynchronous = Literal["FULL", "NORMAL"]

SYNCHRONOUS_ENV: Final = "DRIFTLINE_SQLITE_SYNCHRONOUS"
DEFAULT_SYNCHRONOUS: Final[SqliteSynchronous] = "NORMAL"
DEFAULT_BUSY_TIMEOUT_MS: Final = 5000
SUPPORTED_BACKENDS: Final = ("sqlite", "postgresql")


def sqlite_synchronous_from_env(environ: Mapping[str, str] | None = None) -> SqliteSynchronous:
    """``DRIFTLINE_SQLITE_SYNCHRONOUS`` (FULL or NORMAL, any case); NORMAL when unset or empty."""
    env = os.environ if environ is None else environ
    raw = env.get(SYNCHRONOUS_ENV, "").strip().upper()
    if not raw:
        return DEFAULT_SYNCHRONOUS
    if raw not in ("FULL", "NORMAL"):
        raise ValueError(f"{SYNCHRONOUS_ENV} must be FULL or NORMAL, got {raw!r}")
    return cast(SqliteSynchronous, raw)


def create_log_engine(
    url: str | URL,
    *,
    synchronous: SqliteSynchronous = DEFAULT_SYNCHRONOUS,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> Engine:
    """An engine for ``url``; SQLite gets the pragmas and locking described above."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ValueError(
            f"prediction log database must be SQLite or PostgreSQL, got {backend!r} in {sa_url!r}"
        )
    if backend == "postgresql":
        # pre_ping replaces connections the server closed (restart, idle timeout).
        engine = create_engine(sa_url, pool_pre_ping=True)
    else:
        engine = _sqlite_engine(sa_url, synchronous, busy_timeout_ms)
    _refuse_connections_inherited_across_fork(engine)
    return engine


def _refuse_connections_inherited_across_fork(engine: Engine) -> None:
    """A pooled connection opened before ``fork`` (gunicorn --preload) is not used after it.

    Two processes on one connection corrupt the protocol stream (PostgreSQL) or
    the file's locks (SQLite). The child drops the inherited connection without
    closing it (closing would disturb the parent's) and opens its own.
    """

    @event.listens_for(engine, "connect")
    def _remember_pid(_dbapi_connection: Any, record: Any) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _check_pid(_dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise DisconnectionError(
                f"connection opened in process {record.info.get('pid')}, used in {os.getpid()}"
            )


def _sqlite_engine(sa_url: URL, synchronous: SqliteSynchronous, busy_timeout_ms: int) -> Engine:
    database = sa_url.database or ""
    if database in ("", ":memory:") or sa_url.query.get("mode") == "memory":
        raise ValueError(
            "the prediction log needs a SQLite file shared by all workers, "
            f"not an in-memory database: {sa_url!r}"
        )
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
    if not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(sa_url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: transactions are begun by _on_begin below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get("read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def enable_wal(engine: Engine) -> None:
    """Switch the SQLite file to WAL (a persistent property of the file); no-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return
    # On the raw driver connection: SQLAlchemy would wrap the pragma in a
    # transaction, and SQLite refuses to change the journal mode inside one.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        row = cursor.fetchone()
        cursor.close()
    finally:
        raw.close()
    mode = row[0] if row else None
    if str(mode).lower() != "wal":
        raise RuntimeError(f"could not put {engine.url!r} in WAL mode (journal_mode is {mode!r})")
