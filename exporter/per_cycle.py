"""A value derived from the published cycle results once, and reused until the next cycle."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from exporter.results import CycleResults

T = TypeVar("T")


class PerCycle(Generic[T]):
    """``derive(results)`` when the engine has published new results, else the last value.

    Returns the results it was derived from too, so a caller can add what depends
    on the moment (the staleness gauge) from the same snapshot.
    """

    def __init__(
        self, results: Callable[[], CycleResults], derive: Callable[[CycleResults], T]
    ) -> None:
        self._results = results
        self._derive = derive
        self._lock = threading.Lock()
        self._last: tuple[CycleResults, T] | None = None

    def __call__(self) -> tuple[CycleResults, T]:
        results = self._results()
        with self._lock:
            if self._last is None or self._last[0] is not results:
                self._last = (results, self._derive(results))
            return self._last
