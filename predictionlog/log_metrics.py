"""The prediction log's own Prometheus metrics: ingestion commits and the journal backlog.

Named in driftline/metric_catalog.py. Whoever ingests reports them: a serving
worker's background loop or the ingestion service process. Under gunicorn they
are written in prometheus_client's multiprocess mode (``registry=None``: the
samples live in the server's multiprocess files, and any worker's /metrics sums
them); otherwise they join the registry they are given.

``driftline_prediction_journal_backlog_bytes`` is a ``livemostrecent`` gauge:
one process ingests for all in a round, so the latest value any live process
wrote is the backlog.
"""

from __future__ import annotations

from typing import TypedDict

from prometheus_client import CollectorRegistry, Gauge, Histogram

from driftline.metric_catalog import BATCH_SIZE_BUCKETS, LATENCY_BUCKETS_SECONDS, spec
from predictionlog.journal_ingest import BacklogListener, BatchListener


def _histogram(
    name: str, buckets: tuple[float, ...], registry: CollectorRegistry | None
) -> Histogram:
    s = spec(name)
    return Histogram(s.name, s.help, s.labels, buckets=buckets, registry=registry)


class LogMetrics:
    """What ingestion reports; pass ``observe_commit`` and ``observe_backlog`` to an ingester."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.commit_duration = _histogram(
            "driftline_prediction_log_commit_duration_seconds", LATENCY_BUCKETS_SECONDS, registry
        )
        self.commit_batch = _histogram(
            "driftline_prediction_log_batch_size", BATCH_SIZE_BUCKETS, registry
        )
        backlog = spec("driftline_prediction_journal_backlog_bytes")
        self.journal_backlog = Gauge(
            backlog.name,
            backlog.help,
            backlog.labels,
            registry=registry,
            multiprocess_mode="livemostrecent",
        )

    def observe_commit(self, batch_size: int, seconds: float) -> None:
        """One committed ingestion transaction of ``batch_size`` rows."""
        self.commit_batch.observe(batch_size)
        self.commit_duration.observe(seconds)

    def observe_backlog(self, backlog_bytes: int) -> None:
        """What an ingestion round left in the journals."""
        self.journal_backlog.set(backlog_bytes)


class IngestionListeners(TypedDict):
    on_batch: BatchListener | None
    on_backlog: BacklogListener | None


def ingestion_listeners(metrics: LogMetrics | None) -> IngestionListeners:
    """The ``on_batch`` and ``on_backlog`` of a JournalIngester reporting to ``metrics``."""
    if metrics is None:
        return {"on_batch": None, "on_backlog": None}
    return {"on_batch": metrics.observe_commit, "on_backlog": metrics.observe_backlog}
