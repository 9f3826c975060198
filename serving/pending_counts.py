"""Request-path metric updates held in memory until the next flush; bookkeeping only, no I/O.

In prometheus_client's multiprocess mode every ``inc()`` and ``observe()`` takes a
lock and writes this worker's memory-mapped file: four writes per answered
prediction, which cost ~35 us of request-thread CPU under load (docs/serving.md,
Benchmark). A request adds to these tallies instead (one lock, a few dict updates),
and ServingMetrics.flush writes each series once per flush, however many requests
it holds.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

RequestKey = tuple[str, str, str, str]  # model, version, endpoint, status
LatencyKey = tuple[str, str, str]  # model, version, endpoint
PredictionKey = tuple[str, str, str]  # model, version, class


@dataclass
class LatencyTally:
    """Observations of one latency series: their sum and their count per bucket."""

    total: float
    buckets: list[int]  # one count per upper bound, then one for above the last bound


@dataclass
class DrainedCounts:
    requests: dict[RequestKey, int] = field(default_factory=dict)
    latency: dict[LatencyKey, LatencyTally] = field(default_factory=dict)
    predictions: dict[PredictionKey, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.requests or self.latency or self.predictions)


class PendingCounts:
    """What requests counted since the last ``drain``. Thread-safe."""

    def __init__(self, upper_bounds: Sequence[float]) -> None:
        if list(upper_bounds) != sorted(upper_bounds):
            raise ValueError(f"bucket bounds must be sorted, got {upper_bounds}")
        self._bounds = tuple(upper_bounds)
        self._lock = threading.Lock()
        self._pending = DrainedCounts()

    def add_request(
        self, model: str, version: str, endpoint: str, status: str, seconds: float
    ) -> None:
        # Bucket i holds what is <= bounds[i] and above bounds[i-1], as Histogram.observe.
        bucket = bisect_left(self._bounds, seconds)
        with self._lock:
            pending = self._pending
            key = (model, version, endpoint, status)
            pending.requests[key] = pending.requests.get(key, 0) + 1
            tally = pending.latency.get(key[:3])
            if tally is None:
                tally = pending.latency[key[:3]] = LatencyTally(0.0, [0] * (len(self._bounds) + 1))
            tally.total += seconds
            tally.buckets[bucket] += 1

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
