"""The prediction log's own metrics: what ingestion reports, and to whom."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from predictionlog.log_metrics import LogMetrics, ingestion_listeners


def test_ingestion_reports_to_the_log_metrics_it_is_given() -> None:
    registry = CollectorRegistry()
    listeners = ingestion_listeners(LogMetrics(registry))
    assert listeners["on_batch"] is not None and listeners["on_backlog"] is not None
    listeners["on_batch"](3, 0.002)
    listeners["on_backlog"](120)
    text = generate_latest(registry).decode()
    assert "driftline_prediction_log_batch_size_count 1.0" in text
    assert "driftline_prediction_log_batch_size_sum 3.0" in text
    assert "driftline_prediction_log_commit_duration_seconds_count 1.0" in text
    assert "driftline_prediction_journal_backlog_bytes 120.0" in text


def test_no_metrics_means_no_listeners() -> None:
    assert ingestion_listeners(None) == {"on_batch": None, "on_backlog": None}
