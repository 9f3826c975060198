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

from mlflow.tracking import MlflowClient

from driftline.metric_catalog import SERVING_FLUSH_SECONDS
from driftline.outcomes import ReloadOutcome
from predictionlog.log_metrics import LogMetrics
from predictionlog.prediction_log import PredictionLog
from serving.config import ServingConfig
from serving.metrics import ServingMetrics
from serving.reload_signal import ReloadSignal
from serving.served_model import ServedModel, client_for, load_version, resolve_version

log = logging.getLogger(__name__)

# How often the watcher looks at the reload signal file, in seconds.
SIGNAL_POLL_SECONDS = 0.2
# Registry checks while no model could be loaded yet come at least this often.
UNLOADED_RETRY_SECONDS = 2.0


class ServingRuntime:
    def __init__(
        self, config: ServingConfig, metrics: ServingMetrics, *, instrument: bool = True
    ) -> None:
        """``instrument=False`` (benchmarks only, through create_app): no metrics are
        written, neither the request metrics' flushes nor the prediction log's."""
        self.config = config
        self.metrics = metrics
        self._instrument = instrument
        self.model: ServedModel | None = None
        self.last_error: str | None = None
        self.prediction_log: PredictionLog | None = None
        self._client: MlflowClient | None = None
        self._signal = ReloadSignal(config.run_dir)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._check_lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._flusher: threading.Thread | None = None
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
            log_metrics = LogMetrics(self.metrics.registry) if self._instrument else None
            self.prediction_log = PredictionLog.open(self.config.log, metrics=log_metrics)
            self._client = client_for(self.config)
            self.check_registry()
            self._watcher = threading.Thread(
                target=self._watch, name="registry-watcher", daemon=True
            )
            self._watcher.start()
            if self._instrument:
                self._flusher = threading.Thread(
                    target=self._flush_metrics, name="metrics-flush", daemon=True
                )
                self._flusher.start()
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
        if self.prediction_log is not None:
            self.prediction_log.close()  # what this worker journaled goes into the database

    def opened_log(self) -> PredictionLog:
        """This process's prediction log; RuntimeError while it is not open."""
        if self.prediction_log is None:
            raise RuntimeError("the prediction log is not open")
        return self.prediction_log

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
