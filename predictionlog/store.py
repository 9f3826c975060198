"""The prediction log's SQL database (tables in predictionlog/schema.py).

SQLAlchemy Core, one short transaction per call, each rerun on lock
contention (see retry.py). Works on SQLite (many processes, one file) and
PostgreSQL; engine.py holds the per-backend set-up, schema_migrations.py
brings the tables to the current schema when the store opens.

Every write transaction takes its turn (write_turns.py), so the processes
writing one SQLite file queue in the kernel instead of in SQLite's busy
handler. On SQLite, ingestion writes through one raw sqlite3 connection
(sqlite_writer.py), which also runs the WAL checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import pandas as pd
from sqlalchemy import Connection, Engine, Insert, delete, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from predictionlog.engine import (
    DEFAULT_BUSY_TIMEOUT_MS,
    SqliteSynchronous,
    create_log_engine,
    enable_wal,
    sqlite_synchronous_from_env,
)
from predictionlog.feature_frame import LabelledRow, labelled_frame
from predictionlog.journal_format import COLUMNS, sqlite_insert_from_json
from predictionlog.records import LabelOutcome, LabelResult
from predictionlog.retry import RetryListener, RetryPolicy, run_with_retry
from predictionlog.row_codec import EncodedPrediction, check_label
from predictionlog.schema import journal_progress, labels, predictions
from predictionlog.schema_migrations import migrate
from predictionlog.sqlite_writer import CHECKPOINT_INTERVAL_SECONDS, SqliteWriter
from predictionlog.write_turns import WriteTurns

T = TypeVar("T")

_P = predictions.c
_L = labels.c
# Retention pauses between batches so writers waiting for the SQLite lock get it.
DEFAULT_RETENTION_PAUSE_SECONDS: Final = 0.02

# Ingestion may meet a line again after a crash between its commit and the
# file's deletion; the prediction id decides, and the second copy is dropped.
SQLITE_INGEST_PREDICTIONS: Final = (
    f"INSERT OR IGNORE INTO {predictions.name} ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in COLUMNS)})"
)
_SQLITE_INGEST_JSON: Final = sqlite_insert_from_json(predictions.name)
_SQLITE_SET_PROGRESS: Final = (
    f"INSERT INTO {journal_progress.name} (journal, ingested_bytes) "
    "VALUES (:journal, :ingested_bytes) "
    "ON CONFLICT (journal) DO UPDATE SET ingested_bytes = excluded.ingested_bytes"
)


class PredictionStore:
    """The prediction log in one SQL database. Thread-safe; open one per process."""

    def __init__(
        self,
        engine: Engine,
        *,
        turns: WriteTurns | None = None,
        retry: RetryPolicy | None = None,
        on_retry: RetryListener | None = None,
        clock: Callable[[], float] = time.time,
        checkpoint_interval_seconds: float | None = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        """``turns``: the write turns of the database (none: writes never queue);
        ``checkpoint_interval_seconds``: see sqlite_writer.py (SQLite only)."""
        self._engine = engine
        self._turns = turns or WriteTurns(None)
        self._retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self._clock = clock
        self._sqlite: SqliteWriter | None = (
            SqliteWriter(engine, checkpoint_interval_seconds=checkpoint_interval_seconds)
            if engine.dialect.name == "sqlite"
            else None
        )

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
        """Connect to ``url`` (a SQLAlchemy URL), with write turns for a SQLite file,
        and bring its tables to the current schema.

        ``synchronous`` defaults to ``DRIFTLINE_SQLITE_SYNCHRONOUS`` (NORMAL); SQLite only.
        """
        engine = create_log_engine(
            url,
            synchronous=synchronous or sqlite_synchronous_from_env(),
            busy_timeout_ms=busy_timeout_ms,
        )
        turns = WriteTurns.for_url(url)
        store = cls(
            engine,
            turns=turns,
            retry=retry,
            on_retry=on_retry,
            checkpoint_interval_seconds=checkpoint_interval_seconds,
        )
        try:
            store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    def _prepare(self) -> None:
        self._run(lambda: enable_wal(self._engine))
        # Under the migration lock, so the processes starting at once take turns.
        migrate(self._engine)

    def _run(self, work: Callable[[], T]) -> T:
        return run_with_retry(work, self._retry, self._on_retry)

    def _write(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one write transaction, in this process's turn, retried on contention."""
        with self._turns.turn():
            return self._run(lambda: self._in_transaction(work))

    def _write_raw(self, writer: SqliteWriter, statements: list[tuple[str, list[Any]]]) -> None:
        with self._turns.turn():
            self._run(lambda: writer.write(statements))

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as conn:
            return work(conn)

    # --- ingestion of the journals -------------------------------------------------------

    def ingest_journal(
        self, rows: Sequence[EncodedPrediction], journal: str, ingested_bytes: int
    ) -> None:
        """Insert ``rows`` read from ``journal`` and record that its first
        ``ingested_bytes`` are done, in one transaction. A row whose prediction id
        is already stored is skipped."""
        params = list(rows)
        progress = [{"journal": journal, "ingested_bytes": ingested_bytes}]
        if self._sqlite is not None:
            statements = [(SQLITE_INGEST_PREDICTIONS, params), (_SQLITE_SET_PROGRESS, progress)]
            self._write_raw(self._sqlite, statements if params else statements[1:])
            return
        self._write(lambda c: self._ingest(c, params, progress))

    @property
    def ingests_json(self) -> bool:
        """Whether ``ingest_journal_json`` works here (SQLite)."""
        return self._sqlite is not None

    def ingest_journal_json(self, rows_json: str, journal: str, ingested_bytes: int) -> None:
        """``ingest_journal`` for rows given as one JSON array (journal_format.lines_as_json),
        SQLite only. A row of the wrong shape fails it with an error naming
        ``journal_format.MALFORMED_JSON``, and nothing is written."""
        if self._sqlite is None:
            raise NotImplementedError("ingest_journal_json needs SQLite; use ingest_journal")
        statements: list[tuple[str, list[Any]]] = [
            (_SQLITE_INGEST_JSON, [{"rows": rows_json}]),
            (_SQLITE_SET_PROGRESS, [{"journal": journal, "ingested_bytes": ingested_bytes}]),
        ]
        self._write_raw(self._sqlite, statements)

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
        self._write(lambda c: c.execute(stmt))

    # --- labels --------------------------------------------------------------------------

    def record_labels(self, labels_in: Sequence[tuple[str, str]]) -> list[LabelResult]:
        """Store ``(prediction_id, label)`` pairs; one result per pair, in the same order.

        Idempotent, one transaction, durable on return. Within one call a repeated
        id is judged against the first occurrence (same label: duplicate).
        """
        for prediction_id, label in labels_in:
            check_label(prediction_id, label)
        if not labels_in:
            return []
        pairs = list(labels_in)
        return self._write(lambda c: self._record_labels(c, pairs))

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
            deleted = self._write(lambda c: self._delete_batch(c, cutoff, batch))
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
        if self._sqlite is not None:
            self._sqlite.close()
        self._turns.close()
        self._engine.dispose()
