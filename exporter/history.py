"""The exporter's recent cycles, kept in memory for the /report page's history charts.

A ring of the last ``capacity`` published cycles: per model version, each
feature's PSI and KS statistic and the version's quality figures. Nothing here
is exported to Prometheus (which keeps its own history); the ring lets the report
show how the figures moved without a Prometheus to ask.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from exporter.results import CycleResults, VersionResult
from exporter.stats.estimation import EstimatedErrors, EstimatedPerformance

Key = tuple[str, str]


def _realized_accuracy(v: VersionResult) -> float | None:
    return None if v.performance is None else v.performance.accuracy


def _realized_mae(v: VersionResult) -> float | None:
    return None if v.regression_errors is None else v.regression_errors.mean_absolute_error


def _estimated_accuracy(v: VersionResult) -> float | None:
    e = v.estimated_performance
    return e.accuracy.estimate if isinstance(e, EstimatedPerformance) else None


def _estimated_mae(v: VersionResult) -> float | None:
    e = v.estimated_performance
    return e.mean_absolute_error.estimate if isinstance(e, EstimatedErrors) else None


# The version-level quality series the report draws, by legend: a new figure
# joins the chart with one more line here.
QUALITY_SERIES: tuple[tuple[str, Callable[[VersionResult], float | None]], ...] = (
    ("accuracy (realized)", _realized_accuracy),
    ("accuracy (estimated)", _estimated_accuracy),
    ("MAE (realized)", _realized_mae),
    ("MAE (estimated)", _estimated_mae),
)


@dataclass(frozen=True)
class CyclePoint:
    at: float  # when the cycle finished (unix seconds)
    psi: dict[str, float | None]  # feature -> PSI
    ks: dict[str, float | None]  # numeric feature -> KS statistic
    quality: dict[str, float | None]  # QUALITY_SERIES legend -> value


def point(at: float, v: VersionResult) -> CyclePoint:
    return CyclePoint(
        at=at,
        psi={f.name: f.psi for f in v.features},
        ks={f.name: f.ks_statistic for f in v.features if f.kind == "numeric"},
        quality={name: get(v) for name, get in QUALITY_SERIES},
    )


class CycleHistory:
    """Thread-safe: the cycle thread records, HTTP threads read."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("history capacity must be at least 1")
        self.capacity = capacity
        self._points: dict[Key, deque[CyclePoint]] = {}
        self._last: CycleResults | None = None
        self._lock = threading.Lock()

    def record(self, results: CycleResults) -> None:
        """Add one point per version of a newly published cycle (a repeat is ignored)."""
        if results.last_run_at is None:
            return
        with self._lock:
            if self._last is not None and results.versions is self._last.versions:
                return  # a failed cycle republishes the previous figures: not a new point
            self._last = results
            live = {(v.model, v.version) for v in results.versions}
            for key in list(self._points):
                if key not in live:
                    del self._points[key]  # the version aged out of the windows
            for v in results.versions:
                ring = self._points.setdefault((v.model, v.version), deque(maxlen=self.capacity))
                ring.append(point(results.last_run_at, v))

    def of(self, model: str, version: str) -> tuple[CyclePoint, ...]:
        with self._lock:
            return tuple(self._points.get((model, version), ()))
