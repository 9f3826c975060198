"""Versioned schema of the prediction log: the Alembic revisions in predictionlog/migrations/.

``migrate(engine)`` brings a database to the newest revision this code knows (the
head). Every process that opens the log calls it at start-up, so:

- **Nothing to do is cheap.** One short read transaction (on SQLite a plain
  deferred ``BEGIN``: no write lock) reads the version table; at head, done.
- **One process migrates.** Otherwise the migration runs in one write
  transaction that first takes a lock, then reads the version again (another
  process may have migrated while this one waited: then there is nothing left
  to do), runs the missing revisions and commits. DDL is transactional on both
  backends, so the others see the old schema or the new one, never half of it,
  and a failed migration leaves the database as it was.

The lock:

- **PostgreSQL**: ``pg_advisory_xact_lock`` with a fixed key, the transaction's
  first statement. It holds across hosts and is released by the commit, the
  rollback or the death of the connection.
- **SQLite**: the transaction starts with ``BEGIN IMMEDIATE``, SQLite's own write
  lock (engine.py begins every write transaction so; for another engine it is
  issued here). Preferred to an ``flock`` on a file beside the database because
  the lock and the migration are then one and the same transaction: nothing
  writes between the check and the commit, not even a process of an older
  release still running ``create_all``; there is no extra file to create, own or
  leave behind (read-only directories, ``file:`` URIs); and SQLite releases it
  when a process dies. The price: a waiter gets SQLITE_BUSY each time
  ``busy_timeout`` (5 s) runs out; that is retried until ``MIGRATION_RETRY``'s
  deadline, so a long migration holds the others up rather than failing them.

The version table is ``predictionlog_schema_version``, not Alembic's default
``alembic_version``: MLflow keeps its own Alembic revision in ``alembic_version``,
and the prediction log and MLflow may share one PostgreSQL database.

A database written before versioning (today's three tables, no version table) is
stamped ``0001_initial`` (the revision that creates exactly those tables) and
then upgraded. Revisions must not use ``autocommit_block``: it would commit the
transaction early and release the lock.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from predictionlog.retry import RetryPolicy, run_with_retry

log = logging.getLogger(__name__)

VERSION_TABLE: Final = "predictionlog_schema_version"
INITIAL_REVISION: Final = "0001_initial"
# Any fixed 64-bit number; the first 8 bytes of sha256(b"driftline predictionlog schema migration").
PG_LOCK_KEY: Final = 2137034646460341813
# Waiting for another process's migration (a table rebuilt on a big log) may take minutes.
MIGRATION_RETRY: Final = RetryPolicy(deadline_seconds=600.0, max_backoff_seconds=1.0)
# Failures other than lock contention (a CREATE racing an older release's create_all
# on PostgreSQL) are retried this many times in all: the next attempt sees the result.
_ATTEMPTS: Final = 3
_SCRIPT_LOCATION: Final = Path(__file__).resolve().parent / "migrations"

# The tables and columns of a database written before versioning, which revision
# 0001_initial creates. History: never changes when schema.py does.
_UNVERSIONED_LAYOUT: Final[Mapping[str, frozenset[str]]] = {
    "predictions": frozenset(
        {
            "seq",
            "prediction_id",
            "created_at",
            "model_name",
            "model_version",
            "features",
            "predicted_class",
            "probabilities",
        }
    ),
    "labels": frozenset({"seq", "prediction_id", "label", "received_at"}),
    "journal_progress": frozenset({"journal", "ingested_bytes"}),
}


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no alembic.ini); env.py runs on ``connection``."""
    config = Config()
    # The config parser interpolates "%": a literal one is written "%%".
    config.set_main_option("script_location", str(_SCRIPT_LOCATION).replace("%", "%%"))
    # A revision's file is named by its id alone: versions/0002_numeric_labels.py.
    config.set_main_option("file_template", "%%(rev)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows (one head: the history is a line)."""
    head = _scripts().get_current_head()
    if head is None:
        raise RuntimeError(f"no revisions in {_SCRIPT_LOCATION / 'versions'}")
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision in predictionlog/migrations/versions/."""
    return frozenset(script.revision for script in _scripts().walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before versioning (or for an empty database)."""
    found = run_with_retry(lambda: _read_versions_now(engine), MIGRATION_RETRY)
    if not found:
        return None
    if len(found) > 1:
        raise RuntimeError(f"{VERSION_TABLE} holds several revisions: {', '.join(found)}")
    return found[0]


def migrate(engine: Engine) -> None:
    """Bring the database to ``head_revision()``; see the module's docstring.

    RuntimeError when the database is at a revision this code does not know (a
    newer release migrated it) or holds some of the log's tables but no version.
    """
    head = head_revision()
    found = run_with_retry(lambda: _read_versions_now(engine), MIGRATION_RETRY)
    if found == (head,):
        return
    _refuse_unknown(found, head)  # before taking any lock
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            run_with_retry(lambda: _migrate_under_lock(engine, head), MIGRATION_RETRY)
            return
        except DBAPIError:
            if attempt == _ATTEMPTS:
                raise
            log.warning(
                "migrating the prediction log's schema failed (attempt %d of %d); retrying",
                attempt,
                _ATTEMPTS,
                exc_info=True,
            )
            time.sleep(0.1 * attempt)


def _read_versions_now(engine: Engine) -> tuple[str, ...] | None:
    # read_only: engine.py begins a plain BEGIN on SQLite, which takes no write lock.
    with engine.connect().execution_options(read_only=True) as conn, conn.begin():
        return _read_versions(conn)


def _read_versions(conn: Connection) -> tuple[str, ...] | None:
    """The revisions in the version table, sorted; None when there is no version table."""
    if not conn.dialect.has_table(conn, VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return tuple(sorted(str(row) for row in rows))


def _refuse_unknown(found: Sequence[str] | None, head: str) -> None:
    unknown = [revision for revision in found or () if revision not in known_revisions()]
    if unknown:
        raise RuntimeError(
            f"the prediction log's database is at schema revision {', '.join(unknown)} "
            f"(table {VERSION_TABLE}), which this release of driftline does not know: its "
            f"newest is {head}. A newer release has migrated this database; run that release "
            "or a later one (or restore a backup taken before the upgrade)."
        )


def _migrate_under_lock(engine: Engine, head: str) -> None:
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        # The version must be read after the lock is granted: READ COMMITTED takes a
        # snapshot per statement, where a stricter default would take it before the wait.
        conn = conn.execution_options(isolation_level="READ COMMITTED")
    with conn, conn.begin():
        _take_lock(conn)
        found = _read_versions(conn)
        if found == (head,):
            return  # migrated by another process while this one waited for the lock
        _refuse_unknown(found, head)
        config = alembic_config(conn)
        if not found and _holds_unversioned_tables(conn):
            command.stamp(config, INITIAL_REVISION)
            found = (INITIAL_REVISION,)
        command.upgrade(config, "head")
    log.info(
        "prediction log schema migrated from %s to %s",
        ", ".join(found) if found else "an empty database",
        head,
    )


def _take_lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    # create_log_engine's SQLite engines have begun with BEGIN IMMEDIATE already;
    # pysqlite's default mode begins lazily, before the first write: take the lock now.
    elif conn.dialect.name == "sqlite" and not _sqlite_in_transaction(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_in_transaction(conn: Connection) -> bool:
    return bool(getattr(conn.connection.dbapi_connection, "in_transaction", True))


def _holds_unversioned_tables(conn: Connection) -> bool:
    """True for the tables of a release before versioning, False for none of them."""
    inspector = inspect(conn)
    present = {
        table: frozenset(column["name"] for column in inspector.get_columns(table))
        for table in _UNVERSIONED_LAYOUT
        if inspector.has_table(table)
    }
    if not present:
        return False
    if present != _UNVERSIONED_LAYOUT:
        raise RuntimeError(
            "the prediction log's database has no schema revision (table "
            f"{VERSION_TABLE}) and tables that are not those of the release before "
            f"versioning: found {_describe(present)}, expected {_describe(_UNVERSIONED_LAYOUT)}"
        )
    return True


def _describe(layout: Mapping[str, frozenset[str]]) -> str:
    return "; ".join(
        f"{table}({', '.join(sorted(columns))})" for table, columns in sorted(layout.items())
    )
