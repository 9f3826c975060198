"""The inference server's Prometheus metrics, named as in driftline/metric_catalog.py.

Under gunicorn the metrics are in prometheus_client's multiprocess mode: each
worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (set and wiped
by serving/gunicorn.conf.py before workers fork) and every scrape sums them
with a fresh ``MultiProcessCollector``. Gauge modes are chosen per meaning:

- ``driftline_model_info``: ``livemax``. A worker sets 1 for the version it
  serves and 0 for the one it stopped serving; the max over live workers is 1
  while any worker still serves a version, and a dead worker's file is dropped
  (``mark_process_dead``), so a swapped-out version falls to 0.
- ``driftline_model_load_duration_seconds``: ``livemax``: the slowest live load.

The prediction log's own metrics (ingestion commits, the journal backlog) are
its own: predictionlog/log_metrics.py, given this app's ``registry``.

The request path's counters and latency histogram (count_request,
count_predictions) are held in memory and written by ``flush``, every
SERVING_FLUSH_SECONDS and before each scrape, off the request thread: one
locked file write per counter series and flush, and one public ``observe`` per
held duration (docs/serving.md, Metrics, says why not fewer).

Outside gunicorn (Flask's test client) the metrics live in the app's own registry.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from driftline.metric_catalog import (
    FEEDBACK_OUTCOMES,
    LATENCY_BUCKETS_SECONDS,
    REGRESSION_CLASS,
    RELOAD_OUTCOMES,
    spec,
)
from serving.pending_counts import PendingCounts

GaugeMode = Literal["livemax", "livemostrecent", "livesum", "max", "sum"]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _counter(name: str, registry: CollectorRegistry | None) -> Counter:
    s = spec(name)
    return Counter(s.name, s.help, s.labels, registry=registry)


def _histogram(
    name: str, buckets: tuple[float, ...], registry: CollectorRegistry | None
) -> Histogram:
    s = spec(name)
    return Histogram(s.name, s.help, s.labels, buckets=buckets, registry=registry)


def _gauge(name: str, mode: GaugeMode, registry: CollectorRegistry | None) -> Gauge:
    s = spec(name)
    return Gauge(s.name, s.help, s.labels, registry=registry, multiprocess_mode=mode)


class ServingMetrics:
    """The metric objects of one app; ``render`` produces the /metrics answer."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        # Multiprocess samples live in files; an app-local registry would only duplicate them.
        self._registry = None if self.multiprocess else CollectorRegistry()
        reg = self._registry
        self.requests = _counter("driftline_http_requests_total", reg)
        self.latency = _histogram(
            "driftline_http_request_duration_seconds", LATENCY_BUCKETS_SECONDS, reg
        )
        self.predictions = _counter("driftline_predictions_total", reg)
        self.feedback = _counter("driftline_feedback_total", reg)
        self.model_info = _gauge("driftline_model_info", "livemax", reg)
        self.load_duration = _gauge("driftline_model_load_duration_seconds", "livemax", reg)
        self.reloads = _counter("driftline_model_reloads_total", reg)
        # The request path adds to memory; flush() writes (serving/pending_counts.py).
        self._pending = PendingCounts()

    def count_request(
        self, model: str, version: str, endpoint: str, status: int, seconds: float
    ) -> None:
        """One answered HTTP request: its count by status and its duration (at the next flush)."""
        self._pending.add_request(model, version, endpoint, str(status), seconds)

    def count_predictions(
        self, model: str, version: str, class_keys: Sequence[str], winners: Sequence[int]
    ) -> None:
        """Records predicted: ``winners`` are indices into ``class_keys``, one per record."""
        if len(winners) == 1:
            self._pending.add_predictions(model, version, class_keys[winners[0]], 1)
            return
        tally: dict[int, int] = {}  # one add per class, not per record
        for winner in winners:
            tally[winner] = tally.get(winner, 0) + 1
        for winner, count in tally.items():
            self._pending.add_predictions(model, version, class_keys[winner], count)

    def count_values(self, model: str, version: str, count: int) -> None:
        """Records predicted by a regression version: counted under the one ``class``
        value the catalog gives them (REGRESSION_CLASS)."""
        self._pending.add_predictions(model, version, REGRESSION_CLASS, count)

    def flush(self) -> None:
        """Write what count_request and count_predictions held: one write per counter
        series, one ``observe`` per request's duration.

        The runtime calls this every SERVING_FLUSH_SECONDS and at shutdown; a
        scrape calls it first, so the answering worker's own counts are current.
        """
        drained = self._pending.drain()
        if not drained:
            return
        for (model, version, endpoint, status), count in drained.requests.items():
            self.requests.labels(model, version, endpoint, status).inc(count)
        for labels, durations in drained.latency.items():
            # One by one: a histogram has no public call that adds many observations.
            observe = self.latency.labels(*labels).observe
            for seconds in durations:
                observe(seconds)
        for labels, count in drained.predictions.items():
            self.predictions.labels(*labels).inc(count)

    def preinitialise(self, model: str) -> None:
        """Outcome series exist at zero from the start so rate() and alerts see them."""
        for outcome in FEEDBACK_OUTCOMES:
            self.feedback.labels(model, outcome)
        for outcome in RELOAD_OUTCOMES:
            self.reloads.labels(model, outcome)

    def model_swapped(
        self, model: str, old: tuple[str, str] | None, new: tuple[str, str], load_seconds: float
    ) -> None:
        """``old``/``new`` are (version, run_id)."""
        if old is not None and old != new:
            self.model_info.labels(model, old[0], old[1]).set(0)
        self.model_info.labels(model, new[0], new[1]).set(1)
        self.load_duration.labels(model, new[0]).set(load_seconds)

    @property
    def registry(self) -> CollectorRegistry | None:
        """The app's own registry; None under gunicorn (multiprocess files instead)."""
        return self._registry

    def render(self) -> tuple[bytes, str]:
        self.flush()
        if self._registry is not None:
            return generate_latest(self._registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
