"""The per-request metric methods export what plain ``labels(...).inc()`` calls export.

count_request and count_predictions hold their counts in memory until a flush
(serving/pending_counts.py); what a flush writes must equal one call per event.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftline.metric_catalog import REGRESSION_CLASS
from serving.metrics import ServingMetrics

REPO = Path(__file__).resolve().parents[2]
CLASSES = ("no", "yes")
# (version, endpoint, status, seconds): several buckets, statuses, versions, a repeat.
REQUESTS = (
    ("1", "/predict", 200, 0.0002),
    ("1", "/predict", 200, 0.0012),
    ("1", "/predict", 400, 0.0004),
    ("1", "/feedback", 200, 0.03),
    ("2", "/predict", 200, 7.5),
    ("none", "unmatched", 404, 0.0001),
    ("1", "/predict", 200, 0.0012),
    ("1", "/predict", 200, 0.001),  # on a bucket bound: in that bucket, as observe() puts it
    ("1", "/predict", 200, 5.0),
    # With a first pass's sum in the series, adding this pass's durations one by one
    # rounds differently from adding their total: the histogram's sum is the same
    # float as one observe() per request only if a flush observes each.
    ("1", "/predict", 200, 0.0007),
)
# (version, winners): single records and batches with repeated classes.
PREDICTIONS = (("1", (1,)), ("1", (0,)), ("1", (0, 1, 1, 0, 1)), ("2", (1, 1)))
# (version, records) of a regression model "revenue": counted under REGRESSION_CLASS.
VALUES = (("3", 1), ("3", 4), ("4", 1))


def drive(metrics: ServingMetrics, methods: bool) -> None:
    """The same traffic through the new methods (``methods``) or through labels()."""
    for version, endpoint, status, seconds in REQUESTS:
        if methods:
            metrics.count_request("churn", version, endpoint, status, seconds)
        else:
            metrics.requests.labels("churn", version, endpoint, str(status)).inc()
            metrics.latency.labels("churn", version, endpoint).observe(seconds)
    for version, winners in PREDICTIONS:
        if methods:
            metrics.count_predictions("churn", version, CLASSES, winners)
        else:
            for winner in winners:
                metrics.predictions.labels("churn", version, CLASSES[winner]).inc()
    for version, count in VALUES:
        if methods:
            metrics.count_values("revenue", version, count)
        else:
            for _ in range(count):
                metrics.predictions.labels("revenue", version, REGRESSION_CLASS).inc()


def exposition(metrics: ServingMetrics) -> list[str]:
    # _created samples hold the creation time, which differs between two instances.
    return [x for x in metrics.render()[0].decode().splitlines() if "_created" not in x]


def test_methods_export_the_same_samples_as_labels_calls() -> None:
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ, "this test uses app-local metrics"
    plain, fast = ServingMetrics(), ServingMetrics()
    drive(plain, methods=False)
    drive(fast, methods=True)
    fast.flush()
    drive(fast, methods=True)  # the second time onto series a flush already wrote
    drive(plain, methods=False)
    assert exposition(fast) == exposition(plain)  # render() flushes first
    assert 'driftline_predictions_total{class="yes",model="churn",version="1"} 8.0' in (
        exposition(fast)
    )
    regression = 'driftline_predictions_total{class="(regression)",model="revenue",version="3"}'
    assert f"{regression} 10.0" in exposition(fast)
    total = 0.0
    for _ in range(2):  # the sum one observe() per request gives, to the last bit
        for version, endpoint, _status, seconds in REQUESTS:
            if (version, endpoint) == ("1", "/predict"):
                total += seconds
    labels = 'endpoint="/predict",model="churn",version="1"'
    assert f"driftline_http_request_duration_seconds_sum{{{labels}}} {total!r}" in exposition(fast)


# Runs in a fresh interpreter: prometheus_client picks multiprocess mode at import.
WORKER = """
import sys
from serving.metrics import ServingMetrics
from tests.serving.test_metrics import drive
metrics = ServingMetrics()
for _ in range(2):  # the second time onto series a flush already wrote
    drive(metrics, methods=sys.argv[1] == "methods")
    metrics.flush()  # as the runtime does every SERVING_FLUSH_SECONDS and at shutdown
"""
RENDER = "from serving.metrics import ServingMetrics; print(ServingMetrics().render()[0].decode())"


def multiprocess_exposition(directory: Path, mode: str) -> list[str]:
    """The sorted lines of a scrape: the collector's family order follows its file reads."""
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for _ in range(2):  # two worker processes, summed by the scrape
        subprocess.run([sys.executable, "-c", WORKER, mode], env=env, cwd=REPO, check=True)
    done = subprocess.run([sys.executable, "-c", RENDER], env=env, cwd=REPO, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return sorted(done.stdout.splitlines())


@pytest.mark.slow
def test_methods_export_the_same_samples_across_processes(tmp_path: Path) -> None:
    plain = multiprocess_exposition(tmp_path / "plain", "labels")
    fast = multiprocess_exposition(tmp_path / "fast", "methods")
    assert fast == plain
    assert 'driftline_predictions_total{class="yes",model="churn",version="1"} 16.0' in fast
    assert (
        'driftline_http_request_duration_seconds_count{endpoint="/predict",model="churn",'
        'version="1"} 28.0'
    ) in fast
    assert (
        'driftline_http_request_duration_seconds_bucket{endpoint="/predict",le="+Inf",'
        'model="churn",version="1"} 28.0'
    ) in fast


def test_counts_wait_in_memory_until_a_flush() -> None:
    metrics = ServingMetrics()
    metrics.count_request("churn", "1", "/predict", 200, 0.003)
    metrics.count_predictions("churn", "1", CLASSES, (1, 1, 0))
    assert metrics.requests.labels("churn", "1", "/predict", "200")._value.get() == 0
    metrics.flush()
    metrics.flush()  # nothing twice
    assert metrics.requests.labels("churn", "1", "/predict", "200")._value.get() == 1
    assert metrics.predictions.labels("churn", "1", "yes")._value.get() == 2
    text = metrics.render()[0].decode()
    bucket = (
        "driftline_http_request_duration_seconds_bucket"
        '{{endpoint="/predict",le="{}",model="churn",version="1"}} {}'
    )
    assert bucket.format("0.0025", "0.0") in text
    assert bucket.format("0.005", "1.0") in text
