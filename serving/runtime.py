"""The live state of one server process: the served model, the prediction log, the watchers.

The served model is one attribute holding an immutable :class:`ServedModel`.
A request reads it once and uses that object to the end, so swapping it (one
reference assignment, atomic under the GIL) needs no lock and never blocks or
fails a request. Loading a new version happens on the watcher thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Literal

from mlflow.tracking import MlflowClient

from driftline.metric_catalog import SERVING_FLUSH_SECONDS
from predictionlog.ingest_service import ServiceLock
from predictionlog.journal import JournalWriter
from predictionlog.journal_ingest import JournalIngester
from predictionlog.records import LabelResult
from predictionlog.store import PredictionStore
from serving.config import ServingConfig
from serving.metrics import ServingMetrics
from serving.reload_signal import ReloadSignal
from serving.retention_leader import RetentionLeader
from serving.served_model import ServedModel, client_for, load_version, resolve_version
from serving.write_turns import TurnTakingStore

log = logging.getLogger(__name__)

ReloadOutcome = Literal["swapped", "unchanged", "failed"]

# How often the watcher looks at the reload signal file, in seconds.
SIGNAL_POLL_SECONDS = 0.2
# Registry checks while no model could be loaded yet come at least this often.
UNLOADED_RETRY_SECONDS = 2.0


class ServingRuntime:
    def __init__(self, config: ServingConfig, metrics: ServingMetrics) -> None:
        self.config = config
        self.metrics = metrics
        self.model: ServedModel | None = None
        self.last_error: str | None = None
        self.store: PredictionStore | None = None
        self.journal: JournalWriter | None = None
        self.ingester: JournalIngester | None = None
        self._service_lock: ServiceLock | None = None
        self._client: MlflowClient | None = None
        self._signal = ReloadSignal(config.run_dir)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._check_lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._flusher: threading.Thread | None = None
        self._leader: RetentionLeader | None = None
        self._start_lock = threading.Lock()
        self.started = False
        self.pid = os.getpid()

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Open the prediction log, load the model, start the background threads (once)."""
        with self._start_lock:
            if self.started:
                return
            self.pid = os.getpid()
            self.metrics.preinitialise(self.config.model_name)
            self.store = TurnTakingStore.open_for(self.config.prediction_db_url)
            journal_dir = self.config.journal_dir
            self.journal = JournalWriter(journal_dir, sync=self.config.journal_sync)
            self.ingester = JournalIngester(
                self.store, journal_dir, **self.metrics.ingestion_listeners(self.config.instrument)
            )
            # Under gunicorn the ingestion service runs the rounds; this loop takes
            # them over whenever no service is running (predictionlog/ingest_service.py).
            self._service_lock = ServiceLock(journal_dir)
            self.ingester.start(self.config.ingest_interval_seconds, service=self._service_lock)
            self._client = client_for(self.config)
            self.check_registry()
            self._watcher = threading.Thread(
                target=self._watch, name="registry-watcher", daemon=True
            )
            self._watcher.start()
            if self.config.instrument:
                self._flusher = threading.Thread(
                    target=self._flush_metrics, name="metrics-flush", daemon=True
                )
                self._flusher.start()
            self._leader = RetentionLeader(self.store, self.config.retention, self.config.run_dir)
            self._leader.start()
            self.started = True

    def shutdown(self) -> None:
        """Drain the prediction log and stop the threads; safe to call twice."""
        self._stop.set()
        self._wake.set()
        if self._watcher is not None:
            self._watcher.join(10)
        if self._flusher is not None:
            self._flusher.join(10)
            self.metrics.flush()  # the last requests' counts, before the process goes
        if self._leader is not None:
            self._leader.stop()
        if self.journal is not None:
            try:
                self.journal.close()
            except OSError as exc:  # its lines are in the file; ingestion still takes them
                log.warning("closing the prediction journal failed: %s", exc)
        if self.ingester is not None:
            self.ingester.stop()
            try:
                # What this worker journaled goes into the database before it exits
                # (a failure leaves it in the journal for the next ingestion).
                self.ingester.ingest()
            except Exception as exc:
                log.warning("final ingestion of the prediction journal failed: %s", exc)
            self.ingester.close()
        if self._service_lock is not None:
            self._service_lock.close()
        if self.store is not None:
            self.store.close()
            self.store = None

    # --- the prediction log ---------------------------------------------------------------

    def record_labels(self, pairs: list[tuple[str, str]]) -> list[LabelResult]:
        """Store labels; a prediction still in a journal is ingested first, not refused.

        Any worker may have journaled the prediction a label names; a round of
        ingestion (which takes every worker's journal) puts it in the database.
        """
        store, ingester = self.store, self.ingester
        if store is None or ingester is None:
            raise RuntimeError("the prediction log is not open")
        results = store.record_labels(pairs)
        unknown = [i for i, r in enumerate(results) if r.outcome == "unknown_prediction"]
        if not unknown:
            return results
        # Asked again even if this round found nothing: another worker's round
        # may have ingested the prediction while this one waited for it.
        ingester.ingest()
        retried = store.record_labels([pairs[i] for i in unknown])
        for index, result in zip(unknown, retried, strict=True):
            results[index] = result
        return results

    # --- hot reload ------------------------------------------------------------------------

    def request_reload(self) -> None:
        """Check the registry now in this process and, through the signal file, in its siblings."""
        self._signal.send()
        self._wake.set()

    def check_registry(self) -> ReloadOutcome:
        """Load and swap in the version the alias points at, if it is not the served one."""
        assert self._client is not None
        with self._check_lock:
            name = self.config.model_name
            try:
                version = resolve_version(self._client, self.config)
                current = self.model
                if current is not None and current.version == version:
                    outcome: ReloadOutcome = "unchanged"
                else:
                    loaded = load_version(self._client, self.config, version)
                    self.model = loaded  # the atomic swap
                    self.metrics.model_swapped(
                        name,
                        None if current is None else (current.version, current.run_id),
                        (loaded.version, loaded.run_id),
                        loaded.load_seconds,
                    )
                    log.info(
                        "pid %d serves %s version %s (was %s, fast path %s)",
                        self.pid,
                        name,
                        version,
                        "none" if current is None else current.version,
                        loaded.fast_path,
                    )
                    outcome = "swapped"
                self.last_error = None
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "registry check for %s failed: %s", self.config.model_uri, self.last_error
                )
                outcome = "failed"
            self.metrics.reloads.labels(name, outcome).inc()
            return outcome

    def _watch(self) -> None:
        next_check = time.monotonic() + self._interval()
        while not self._stop.is_set():
            woken = self._wake.wait(SIGNAL_POLL_SECONDS)
            if self._stop.is_set():
                return
            self._wake.clear()
            signalled = self._signal.received()
            if woken or signalled or time.monotonic() >= next_check:
                self.check_registry()
                next_check = time.monotonic() + self._interval()

    def _flush_metrics(self) -> None:
        while not self._stop.wait(SERVING_FLUSH_SECONDS):
            try:
                self.metrics.flush()
            except Exception as exc:  # a full disk, say: keep serving, try again next time
                log.warning("writing the request metrics failed: %s", exc)

    def _interval(self) -> float:
        if self.model is None:
            return min(self.config.reload_interval_seconds, UNLOADED_RETRY_SECONDS)
        return self.config.reload_interval_seconds
