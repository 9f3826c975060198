"""The write side of the prediction log in one process: the one object serving talks to.

``PredictionLog.open(settings)`` opens everything a serving worker needs to log
predictions and labels, and owns it to ``close``:

- the journal (journal.py): ``append`` copies a prediction's line into this
  process's journal file, durable on return; nothing else is on the request path;
- ingestion (journal_ingest.py): a background loop moves every process's journal
  lines into the database, standing back while an ingestion service
  (ingest_service.py, ingest_process.py) runs the rounds;
- the store (store.py), whose every write takes its SQLite write turn
  (write_turns.py) and whose raw writer runs the WAL checkpoints (sqlite_writer.py);
- retention leadership (retention_leader.py): one process per journal folder
  deletes old predictions.

Data goes one way: the caller hands lines and labels down, and nothing here
calls back up except the metrics it is given (log_metrics.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from predictionlog.ingest_service import ServiceLock
from predictionlog.journal import JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.log_metrics import LogMetrics, ingestion_listeners
from predictionlog.records import LabelResult
from predictionlog.retention_leader import RetentionLeader
from predictionlog.settings import LogSettings
from predictionlog.store import PredictionStore

log = logging.getLogger(__name__)


class PredictionLog:
    """Journal, ingestion, store and retention of one process. Thread-safe."""

    def __init__(
        self,
        settings: LogSettings,
        store: PredictionStore,
        journal: JournalWriter,
        ingester: JournalIngester,
        service_lock: ServiceLock,
        leader: RetentionLeader,
    ) -> None:
        """Use ``open``; this takes parts already open and owns them from now on."""
        self.settings = settings
        self._store = store
        self._journal = journal
        self._ingester = ingester
        self._service_lock = service_lock
        self._leader = leader
        self._closed = False

    @classmethod
    def open(cls, settings: LogSettings, *, metrics: LogMetrics | None = None) -> PredictionLog:
        """Open the log's write side in this process (after a fork, in each worker) and
        start its background work: ingestion rounds and the retention campaign."""
        directory = settings.journal_dir
        store = PredictionStore.open(settings.db_url, synchronous=settings.synchronous)
        opened: list[JournalWriter | JournalIngester | ServiceLock] = []
        try:
            journal = JournalWriter(directory, sync=settings.journal_sync)
            opened.append(journal)
            ingester = JournalIngester(
                store,
                directory,
                **ingestion_listeners(metrics),
            )
            opened.append(ingester)
            service_lock = ServiceLock(directory)
            opened.append(service_lock)
        except BaseException:
            for part in reversed(opened):
                part.close()
            store.close()
            raise
        # Under gunicorn the ingestion service runs the rounds; this loop takes them
        # over whenever no service is running (ingest_service.py).
        ingester.start(settings.ingest_interval_seconds, service=service_lock)
        leader = RetentionLeader(store, settings.retention, directory)
        leader.start()
        return cls(settings, store, journal, ingester, service_lock, leader)

    def append(self, lines: bytes) -> None:
        """Log predictions given as journal lines (journal_format: ``EntryEncoder``,
        ``encode_entry``); durable (as ``settings.synchronous`` says) on return.

        OSError if no journal file can take them; JournalClosedError after close.
        """
        self._journal.append_lines(lines)

    def record_labels(self, pairs: Sequence[tuple[str, str]]) -> list[LabelResult]:
        """Store ``(prediction_id, label)`` pairs, one result per pair in order; durable on
        return. A prediction still in a journal is ingested first, not refused: any
        process may have journaled it, and a round takes every journal in the folder.
        """
        results = self._store.record_labels(pairs)
        unknown = [i for i, r in enumerate(results) if r.outcome == "unknown_prediction"]
        if not unknown:
            return results
        # Asked again even if this round found nothing: another process's round
        # may have ingested the prediction while this one waited for it.
        self._ingester.ingest()
        retried = self._store.record_labels([pairs[i] for i in unknown])
        for index, result in zip(unknown, retried, strict=True):
            results[index] = result
        return results

    def ingest(self) -> int:
        """Move everything journaled so far into the database now; rows inserted."""
        return self._ingester.ingest()

    def close(self) -> None:
        """Close this process's journal and put what it holds into the database, then stop
        the background work. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._leader.stop()
        try:
            self._journal.close()
        except OSError as exc:  # its lines are in the file; ingestion still takes them
            log.warning("closing the prediction journal failed: %s", exc)
        self._ingester.stop()
        try:
            # What this process journaled goes into the database before it exits
            # (a failure leaves it in the journal for the next ingestion).
            self._ingester.ingest()
        except Exception as exc:
            log.warning("final ingestion of the prediction journal failed: %s", exc)
        self._ingester.close()
        self._service_lock.close()
        self._store.close()
