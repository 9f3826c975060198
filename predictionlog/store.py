"""Reading and writing the prediction log (tables in predictionlog/schema.py).

SQLAlchemy Core, one short transaction per call, each rerun on lock
contention (see retry.py). Works on SQLite (many worker processes, one file)
and PostgreSQL; engine.py holds the per-backend set-up.

One exception, on the serving hot path: on SQLite, predictions are inserted
through one raw sqlite3 connection per store (``BEGIN IMMEDIATE``,
``executemany``, ``COMMIT``). SQLAlchemy Core spends ~175 us of CPU on a
one-row insert transaction where sqlite3 spends ~31 us, and every gunicorn
worker pays that per group commit. Driver errors are wrapped in the same
SQLAlchemy exceptions the Core path raises, so callers see no difference.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import pandas as pd
from sqlalchemy import Column, Connection, Engine, Insert, String, delete, func, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError

from predictionlog.engine import (
    DEFAULT_BUSY_TIMEOUT_MS,
    SqliteSynchronous,
    create_log_engine,
    enable_wal,
    sqlite_synchronous_from_env,
)
from predictionlog.feature_frame import LabelledRow, labelled_frame
from predictionlog.records import LabelOutcome, LabelResult, PredictionRecord
from predictionlog.retry import RetryListener, RetryPolicy, run_with_retry
from predictionlog.schema import journal_progress, labels, metadata, predictions

log = logging.getLogger(__name__)

T = TypeVar("T")
EncodedPrediction = dict[str, Any]  # bind parameters of one predictions row

_P = predictions.c
_L = labels.c
# Retention pauses between batches so writers waiting for the SQLite lock get it.
DEFAULT_RETENTION_PAUSE_SECONDS: Final = 0.02


def _max_length(column: Column[Any]) -> int:
    column_type = column.type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


# Checked here so SQLite (which does not enforce VARCHAR lengths) refuses what PostgreSQL would.
_BOUNDED_COLUMNS: Final = {
    name: _max_length(predictions.c[name])
    for name in ("prediction_id", "model_name", "model_version", "predicted_class")
}
_LABEL_MAX_LENGTH: Final = _max_length(labels.c.label)

# Built once: json.dumps with non-default options builds a new encoder per call.
# allow_nan=False: NaN is not JSON; a missing value must arrive as None.
_JSON: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
# Seconds between two checkpoints of the WAL by the store's checkpoint thread (SQLite).
CHECKPOINT_INTERVAL_SECONDS: Final = 0.5

# The columns encode_prediction fills, as named parameters (seq is assigned by SQLite).
_PREDICTION_COLUMNS: Final = tuple(c.name for c in predictions.c if c.name != "seq")
_SQLITE_INSERT_PREDICTIONS: Final = (
    f"INSERT INTO {predictions.name} ({', '.join(_PREDICTION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _PREDICTION_COLUMNS)})"
)
# Ingestion may meet a line again after a crash between its commit and the
# file's deletion; the prediction id decides, and the second copy is dropped.
_SQLITE_INGEST_PREDICTIONS: Final = _SQLITE_INSERT_PREDICTIONS.replace(
    "INSERT INTO", "INSERT OR IGNORE INTO", 1
)
# One statement ingests a block of journal lines given as one JSON array of rows
# (journal_format.lines_as_json): SQLite parses and inserts it in C, and the GIL
# is released once for the block instead of once per row. A row of the wrong
# shape makes the statement fail with "malformed JSON" (json() of a non-JSON
# text), and the caller falls back to checking the lines one by one.
_JSON_ROW_OK: Final = " AND ".join(
    [
        "json_array_length(value) = 7",
        "json_type(value, '$[0]') = 'text'",
        "json_type(value, '$[1]') IN ('integer', 'real')",
        "json_type(value, '$[2]') = 'text'",
        "json_type(value, '$[3]') = 'text'",
        "json_type(value, '$[4]') = 'text'",
        "json_type(value, '$[5]') = 'object'",
        "json_type(value, '$[6]') = 'object'",
    ]
)
_SQLITE_INGEST_JSON: Final = (
    f"INSERT OR IGNORE INTO {predictions.name} (prediction_id, created_at, model_name, "
    "model_version, predicted_class, features, probabilities) "
    f"SELECT CASE WHEN {_JSON_ROW_OK} THEN json_extract(value, '$[0]') "
    "ELSE json('a journal row of the wrong shape') END, "
    "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
    "json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]') "
    "FROM json_each(:rows)"
)
MALFORMED_JSON: Final = "malformed JSON"
_SQLITE_SET_PROGRESS: Final = (
    f"INSERT INTO {journal_progress.name} (journal, ingested_bytes) "
    "VALUES (:journal, :ingested_bytes) "
    "ON CONFLICT (journal) DO UPDATE SET ingested_bytes = excluded.ingested_bytes"
)


def check_stored_string(column: str, value: object, prediction_id: str | None = None) -> None:
    """ValueError unless ``value`` fits the bounded string ``column`` of ``predictions``."""
    limit = _BOUNDED_COLUMNS[column]
    if not isinstance(value, str) or not value or len(value) > limit:
        whose = "" if prediction_id is None else f"prediction {prediction_id!r}: "
        raise ValueError(
            f"{whose}{column} must be a non-empty string of at most {limit} characters, "
            f"got {value!r}"
        )


def features_json(features: Mapping[str, object]) -> str:
    """The ``features`` column's text: compact JSON (ValueError or TypeError if it cannot be)."""
    return _JSON.encode(features if isinstance(features, dict) else dict(features))


def probabilities_json(probabilities: Mapping[str, float]) -> str:
    """The ``probabilities`` column's text; ValueError for NaN or infinity."""
    return _JSON.encode({str(k): float(v) for k, v in probabilities.items()})


def encode_prediction(record: PredictionRecord) -> EncodedPrediction:
    """The bind parameters for ``record``; ValueError names the field that cannot be stored."""
    row: EncodedPrediction = {
        "prediction_id": record.prediction_id,
        "created_at": float(record.created_at),
        "model_name": record.model_name,
        "model_version": record.model_version,
        "predicted_class": record.predicted_class,
    }
    for name in _BOUNDED_COLUMNS:
        check_stored_string(name, row[name], record.prediction_id)
    try:
        row["features"] = features_json(record.features)
        row["probabilities"] = probabilities_json(record.probabilities)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"prediction {record.prediction_id!r}: features or probabilities cannot be stored "
            f"as JSON ({exc})"
        ) from exc
    return row


def decode_prediction(row: Mapping[Any, Any]) -> PredictionRecord:
    return PredictionRecord(
        prediction_id=row["prediction_id"],
        created_at=float(row["created_at"]),
        model_name=row["model_name"],
        model_version=row["model_version"],
        features=json.loads(row["features"]),
        predicted_class=row["predicted_class"],
        probabilities=json.loads(row["probabilities"]),
    )


class PredictionStore:
    """The prediction log in one SQL database. Thread-safe; open one per process."""

    def __init__(
        self,
        engine: Engine,
        *,
        retry: RetryPolicy | None = None,
        on_retry: RetryListener | None = None,
        clock: Callable[[], float] = time.time,
        checkpoint_interval_seconds: float | None = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        """``checkpoint_interval_seconds``: how often the checkpoint thread copies the
        SQLite WAL into the database file; None: no thread (call ``checkpoint``)."""
        self._engine = engine
        self._retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self._clock = clock
        # The raw connection of the SQLite insert path, opened on first use in this process.
        self._sqlite_fast = engine.dialect.name == "sqlite"
        self._raw_lock = threading.Lock()
        self._raw: Any = None  # a pooled connection (PoolProxiedConnection) or None
        self._raw_pid = 0
        self._checkpoint_interval = checkpoint_interval_seconds
        self._checkpoint_stop = threading.Event()
        self._checkpointer: threading.Thread | None = None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        synchronous: SqliteSynchronous | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        retry: RetryPolicy | None = None,
        on_retry: RetryListener | None = None,
        checkpoint_interval_seconds: float | None = CHECKPOINT_INTERVAL_SECONDS,
    ) -> PredictionStore:
        """Connect to ``url`` (a SQLAlchemy URL) and create the tables if missing.

        ``synchronous`` defaults to ``DRIFTLINE_SQLITE_SYNCHRONOUS`` (NORMAL); SQLite only.
        """
        engine = create_log_engine(
            url,
            synchronous=synchronous or sqlite_synchronous_from_env(),
            busy_timeout_ms=busy_timeout_ms,
        )
        store = cls(
            engine,
            retry=retry,
            on_retry=on_retry,
            checkpoint_interval_seconds=checkpoint_interval_seconds,
        )
        try:
            store._prepare()
        except BaseException:
            engine.dispose()
            raise
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    def _prepare(self) -> None:
        self._run(lambda: enable_wal(self._engine))
        self._create_tables()

    def _create_tables(self) -> None:
        # Several workers start at once: on SQLite the IMMEDIATE transaction
        # serialises them; on PostgreSQL one may lose a CREATE race, and the
        # next attempt finds the tables there.
        for attempt in range(3):
            try:
                self._run(lambda: self._in_transaction(metadata.create_all))
                return
            except DBAPIError:
                if attempt == 2:
                    raise
                time.sleep(0.05)

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as conn:
            return work(conn)

    def _run(self, work: Callable[[], T]) -> T:
        return run_with_retry(work, self._retry, self._on_retry)

    # --- predictions -------------------------------------------------------------------

    def insert_predictions(self, rows: Sequence[PredictionRecord]) -> None:
        """Insert ``rows`` in one transaction; durable when this returns."""
        self.insert_encoded([encode_prediction(r) for r in rows])

    def insert_encoded(self, rows: Sequence[EncodedPrediction]) -> None:
        """Insert rows made by ``encode_prediction`` in one transaction (one executemany)."""
        if not rows:
            return
        params = list(rows)
        if self._sqlite_fast:
            self._run(lambda: self._sqlite_write([(_SQLITE_INSERT_PREDICTIONS, params)]))
            return
        self._run(lambda: self._in_transaction(lambda c: c.execute(predictions.insert(), params)))

    def ingest_journal(
        self, rows: Sequence[EncodedPrediction], journal: str, ingested_bytes: int
    ) -> None:
        """Insert ``rows`` read from ``journal`` and record that its first
        ``ingested_bytes`` are done, in one transaction. A row whose prediction id
        is already stored is skipped."""
        params = list(rows)
        progress = [{"journal": journal, "ingested_bytes": ingested_bytes}]
        if self._sqlite_fast:
            statements = [(_SQLITE_INGEST_PREDICTIONS, params), (_SQLITE_SET_PROGRESS, progress)]
            self._run(lambda: self._sqlite_write(statements if params else statements[1:]))
            return
        self._run(lambda: self._in_transaction(lambda c: self._ingest(c, params, progress)))

    @property
    def ingests_json(self) -> bool:
        """Whether ``ingest_journal_json`` works here (SQLite)."""
        return self._sqlite_fast

    def ingest_journal_json(self, rows_json: str, journal: str, ingested_bytes: int) -> None:
        """``ingest_journal`` for rows given as one JSON array (journal_format.lines_as_json),
        SQLite only. A row of the wrong shape fails it with an error naming
        ``MALFORMED_JSON``, and nothing is written."""
        if not self._sqlite_fast:
            raise NotImplementedError("ingest_journal_json needs SQLite; use ingest_journal")
        statements: list[tuple[str, list[dict[str, Any]]]] = [
            (_SQLITE_INGEST_JSON, [{"rows": rows_json}]),
            (_SQLITE_SET_PROGRESS, [{"journal": journal, "ingested_bytes": ingested_bytes}]),
        ]
        self._run(lambda: self._sqlite_write(statements))

    @staticmethod
    def _ingest(conn: Connection, params: list[EncodedPrediction], progress: list[Any]) -> None:
        if params:
            insert = pg_dialect.insert(predictions).on_conflict_do_nothing(
                index_elements=["prediction_id"]
            )
            conn.execute(insert, params)
        upsert = pg_dialect.insert(journal_progress)
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["journal"],
                set_={"ingested_bytes": upsert.excluded.ingested_bytes},
            ),
            progress,
        )

    def journal_progress(self) -> dict[str, int]:
        """Bytes ingested so far, by journal file name."""
        stmt = select(journal_progress.c.journal, journal_progress.c.ingested_bytes)
        with self._engine.connect().execution_options(read_only=True) as conn:
            return {row.journal: int(row.ingested_bytes) for row in conn.execute(stmt)}

    def forget_journal(self, journal: str) -> None:
        """Drop the progress of a journal file that has been deleted."""
        stmt = delete(journal_progress).where(journal_progress.c.journal == journal)
        self._run(lambda: self._in_transaction(lambda c: c.execute(stmt)))

    def _sqlite_write(self, statements: list[tuple[str, list[dict[str, Any]]]]) -> None:
        """One IMMEDIATE transaction on the raw connection, each statement an
        ``executemany``; errors as SQLAlchemy raises them."""
        with self._raw_lock:
            conn = self._raw_sqlite()
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
            self._drop_raw(invalidate=True)

    def _raw_sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection for inserts: checked out of the engine's pool once per
        process, so it has the pragmas engine.py sets; caller holds ``_raw_lock``."""
        if self._raw is not None and self._raw_pid != os.getpid():
            # Opened before a fork: the parent's, not ours to use or close.
            self._raw = None
        if self._raw is None:
            self._raw = self._engine.raw_connection()
            self._raw_pid = os.getpid()
            conn = self._raw.driver_connection
            # No checkpoint inside our COMMIT: with NORMAL it fsyncs the WAL and the
            # database (~1 % of commits took 5-11 ms instead of 0.1), and it would run
            # while this process's writer and every other worker (write turns) wait.
            # The checkpoint thread does it off the insert path instead.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
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
            except Exception as exc:  # the next round tries again; inserts are unaffected
                log.warning("checkpoint of the prediction log failed: %s", exc)

    def checkpoint(self) -> None:
        """Copy committed WAL frames into the SQLite database file; no-op elsewhere.

        PASSIVE: it neither waits for nor blocks writers; what it cannot copy now
        (frames a reader still needs) the next checkpoint copies.
        """
        if not self._sqlite_fast:
            return
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

    def _drop_raw(self, *, invalidate: bool = False) -> None:
        raw, self._raw = self._raw, None
        if raw is None or self._raw_pid != os.getpid():
            return
        if invalidate:
            raw.invalidate()
        else:
            raw.close()

    def get_predictions(self, prediction_ids: Sequence[str]) -> dict[str, PredictionRecord]:
        """The stored predictions among ``prediction_ids``, by id."""
        if not prediction_ids:
            return {}
        stmt = select(predictions).where(_P.prediction_id.in_(list(prediction_ids)))
        with self._engine.connect().execution_options(read_only=True) as conn:
            found = conn.execute(stmt).mappings().all()
        return {row["prediction_id"]: decode_prediction(row) for row in found}

    def count_predictions(self) -> int:
        with self._engine.connect().execution_options(read_only=True) as conn:
            return int(conn.execute(select(func.count()).select_from(predictions)).scalar_one())

    # --- labels --------------------------------------------------------------------------

    def record_labels(self, labels_in: Sequence[tuple[str, str]]) -> list[LabelResult]:
        """Store ``(prediction_id, label)`` pairs; one result per pair, in the same order.

        Idempotent, one transaction, durable on return. Within one call a repeated
        id is judged against the first occurrence (same label: duplicate).
        """
        for prediction_id, label in labels_in:
            if not isinstance(label, str) or not label or len(label) > _LABEL_MAX_LENGTH:
                raise ValueError(
                    f"label for prediction {prediction_id!r} must be a non-empty string of at "
                    f"most {_LABEL_MAX_LENGTH} characters, got {label!r}"
                )
        if not labels_in:
            return []
        pairs = list(labels_in)
        return self._run(lambda: self._in_transaction(lambda c: self._record_labels(c, pairs)))

    def _record_labels(self, conn: Connection, pairs: list[tuple[str, str]]) -> list[LabelResult]:
        ids = sorted({pid for pid, _ in pairs})
        # FOR SHARE (PostgreSQL; SQLite's IMMEDIATE transaction already excludes
        # writers) keeps retention from deleting the prediction before our label
        # is committed, which would leave an orphan label.
        known = {
            row.prediction_id: (row.model_name, row.model_version)
            for row in conn.execute(
                select(_P.prediction_id, _P.model_name, _P.model_version)
                .where(_P.prediction_id.in_(ids))
                .order_by(_P.prediction_id)
                .with_for_update(read=True)
            )
        }
        stored = {
            row.prediction_id: row.label
            for row in conn.execute(
                select(_L.prediction_id, _L.label).where(_L.prediction_id.in_(ids))
            )
        }
        insert = self._insert_label_ignoring_conflict()
        received_at = self._clock()
        outcomes: dict[int, LabelOutcome] = {}
        # Ids in sorted order: concurrent PostgreSQL transactions take the
        # unique-index locks in the same order and cannot deadlock.
        for index, (pid, label) in sorted(enumerate(pairs), key=lambda item: (item[1][0], item[0])):
            if pid not in known:
                outcomes[index] = "unknown_prediction"
                continue
            if pid not in stored:
                # RETURNING, not rowcount: psycopg reports -1 for an insert with RETURNING,
                # and SQLAlchemy adds one on PostgreSQL to fetch the primary key.
                inserted = conn.execute(
                    insert, {"prediction_id": pid, "label": label, "received_at": received_at}
                ).first()
                if inserted is not None:
                    stored[pid] = label
                    outcomes[index] = "recorded"
                    continue
                # Another transaction committed a label for pid after our read.
                stored[pid] = conn.execute(
                    select(_L.label).where(_L.prediction_id == pid)
                ).scalar_one()
            outcomes[index] = "duplicate" if stored[pid] == label else "conflict"
        results = []
        for index, (pid, _) in enumerate(pairs):
            model = known.get(pid)
            results.append(
                LabelResult(
                    prediction_id=pid,
                    outcome=outcomes[index],
                    model_name=model[0] if model else None,
                    model_version=model[1] if model else None,
                )
            )
        return results

    def _insert_label_ignoring_conflict(self) -> Insert:
        dialect = pg_dialect if self._engine.dialect.name == "postgresql" else sqlite_dialect
        stmt: Insert = dialect.insert(labels).on_conflict_do_nothing(
            index_elements=["prediction_id"]
        )
        return stmt.returning(_L.prediction_id)

    # --- reading for retraining ----------------------------------------------------------

    def labelled_predictions(
        self, model_name: str, since: float, until: float | None = None
    ) -> pd.DataFrame:
        """Labelled predictions of ``model_name`` made in [since, until), oldest first.

        Columns: prediction_id, created_at, model_version, one per feature,
        predicted_class, label (see feature_frame.py).
        """
        stmt = (
            select(
                _P.prediction_id,
                _P.created_at,
                _P.model_version,
                _P.features,
                _P.predicted_class,
                _L.label,
            )
            .join(labels, _L.prediction_id == _P.prediction_id)
            .where(_P.model_name == model_name, _P.created_at >= since)
            .order_by(_P.created_at, _P.seq)
        )
        if until is not None:
            stmt = stmt.where(_P.created_at < until)
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = [LabelledRow(*row) for row in conn.execute(stmt)]
        return labelled_frame(rows)

    # --- retention -----------------------------------------------------------------------

    def delete_predictions_before(
        self,
        cutoff: float,
        batch: int = 5000,
        *,
        pause_seconds: float = DEFAULT_RETENTION_PAUSE_SECONDS,
    ) -> int:
        """Delete predictions made before ``cutoff`` (Unix seconds) and their labels.

        ``batch`` predictions per transaction, so a serving writer waits for the
        lock at most one short batch; returns how many predictions were deleted.
        """
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        total = 0
        while True:
            deleted = self._run(
                lambda: self._in_transaction(lambda c: self._delete_batch(c, cutoff, batch))
            )
            total += deleted
            if deleted < batch:
                return total
            time.sleep(pause_seconds)

    @staticmethod
    def _delete_batch(conn: Connection, cutoff: float, batch: int) -> int:
        doomed = conn.execute(
            select(_P.seq, _P.prediction_id)
            .where(_P.created_at < cutoff)
            .order_by(_P.created_at)
            .limit(batch)
        ).all()
        if not doomed:
            return 0
        # Predictions first: on PostgreSQL this waits for a label transaction
        # holding FOR SHARE on one of them, whose label the next statement then sees.
        conn.execute(delete(predictions).where(_P.seq.in_([row.seq for row in doomed])))
        ids = [row.prediction_id for row in doomed]
        conn.execute(delete(labels).where(_L.prediction_id.in_(ids)))
        return len(doomed)

    def close(self) -> None:
        self._checkpoint_stop.set()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None and checkpointer.is_alive():
            checkpointer.join(10)
        with self._raw_lock:
            self._drop_raw()
        self._engine.dispose()
