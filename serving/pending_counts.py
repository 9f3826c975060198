"""Request-path metric updates held in memory until the next flush; bookkeeping only, no I/O.

In prometheus_client's multiprocess mode every ``inc()`` and ``observe()`` takes a
lock and writes this worker's memory-mapped file: four writes per answered
prediction, which cost ~35 us of request-thread CPU under load (docs/serving.md,
Benchmark). A request adds to these tallies instead (one lock, a few dict updates),
and ServingMetrics.flush writes them off the request thread: each counter series
once per flush, and each held duration through the public ``Histogram.observe``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

RequestKey = tuple[str, str, str, str]  # model, version, endpoint, status
LatencyKey = tuple[str, str, str]  # model, version, endpoint
PredictionKey = tuple[str, str, str]  # model, version, class


@dataclass
class DrainedCounts:
    requests: dict[RequestKey, int] = field(default_factory=dict)
    # Every duration, in arrival order, not a count per bucket: prometheus_client has
    # no public call adding many observations at once, and observing each in order
    # keeps the histogram's sum the same float as one observe() per request.
    latency: dict[LatencyKey, list[float]] = field(default_factory=dict)
    predictions: dict[PredictionKey, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.requests or self.latency or self.predictions)


class PendingCounts:
    """What requests counted since the last ``drain``. Thread-safe.

    The durations grow with the requests between two drains; the runtime drains
    every SERVING_FLUSH_SECONDS (driftline/metric_catalog.py).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = DrainedCounts()

    def add_request(
        self, model: str, version: str, endpoint: str, status: str, seconds: float
    ) -> None:
        with self._lock:
            pending = self._pending
            key = (model, version, endpoint, status)
            pending.requests[key] = pending.requests.get(key, 0) + 1
            durations = pending.latency.get(key[:3])
            if durations is None:
                pending.latency[key[:3]] = [seconds]
            else:
                durations.append(seconds)

    def add_predictions(self, model: str, version: str, class_key: str, count: int) -> None:
        with self._lock:
            predictions = self._pending.predictions
            key = (model, version, class_key)
            predictions[key] = predictions.get(key, 0) + count

    def drain(self) -> DrainedCounts:
        """Everything counted since the last drain; the tallies start again from empty."""
        with self._lock:
            drained, self._pending = self._pending, DrainedCounts()
        return drained
