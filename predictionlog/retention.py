"""Deleting old predictions in the background of a serving process.

``RetentionSweeper`` is a daemon thread that every ``interval_seconds`` deletes
predictions older than ``max_age_seconds`` (and their labels) through
``PredictionStore.delete_predictions_before``, which works in short batches so
serving writers wait at most one batch for the lock. A failed sweep is logged
and tried again at the next interval; it never reaches a request.

Environment (read by ``RetentionPolicy.from_env``):

- ``DRIFTLINE_RETENTION_SECONDS``: maximum age of a prediction, default 2592000
  (30 days); ``0`` keeps everything (no sweeping).
- ``DRIFTLINE_RETENTION_INTERVAL_SECONDS``: time between sweeps, default 3600.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from predictionlog.store import PredictionStore

log = logging.getLogger(__name__)

RETENTION_ENV: Final = "DRIFTLINE_RETENTION_SECONDS"
INTERVAL_ENV: Final = "DRIFTLINE_RETENTION_INTERVAL_SECONDS"
DEFAULT_MAX_AGE_SECONDS: Final = 30 * 24 * 3600.0
DEFAULT_INTERVAL_SECONDS: Final = 3600.0


def _seconds(env: Mapping[str, str], name: str, default: float, *, allow_zero: bool) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value != value or value < 0 or (value == 0 and not allow_zero) or value == float("inf"):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{name} must be a finite number of seconds, {bound}, got {raw!r}")
    return value


@dataclass(frozen=True)
class RetentionPolicy:
    max_age_seconds: float  # 0: keep everything
    interval_seconds: float

    @property
    def enabled(self) -> bool:
        return self.max_age_seconds > 0

    @classmethod
    def default(cls) -> RetentionPolicy:
        return cls(DEFAULT_MAX_AGE_SECONDS, DEFAULT_INTERVAL_SECONDS)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionPolicy:
        env = os.environ if environ is None else environ
        return cls(
            max_age_seconds=_seconds(env, RETENTION_ENV, DEFAULT_MAX_AGE_SECONDS, allow_zero=True),
            interval_seconds=_seconds(
                env, INTERVAL_ENV, DEFAULT_INTERVAL_SECONDS, allow_zero=False
            ),
        )


SweepListener = Callable[[int], None]


class RetentionSweeper:
    """Runs retention every ``policy.interval_seconds`` on a daemon thread (first run at start)."""

    def __init__(
        self,
        store: PredictionStore,
        policy: RetentionPolicy,
        *,
        batch: int = 5000,
        clock: Callable[[], float] = time.time,
        on_sweep: SweepListener | None = None,
    ) -> None:
        """``on_sweep(deleted)`` is called after every successful sweep."""
        self._store = store
        self._policy = policy
        self._batch = batch
        self._clock = clock
        self._on_sweep = on_sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep_once(self) -> int:
        """Delete what is older than the maximum age now; returns how many predictions went."""
        if not self._policy.enabled:
            return 0
        cutoff = self._clock() - self._policy.max_age_seconds
        deleted = self._store.delete_predictions_before(cutoff, batch=self._batch)
        if deleted:
            log.info("retention deleted %d predictions made before %.0f", deleted, cutoff)
        return deleted

    def start(self) -> None:
        """Start the background thread (does nothing when retention is disabled)."""
        if not self._policy.enabled or self._thread is not None:
            return
        thread = threading.Thread(target=self._run, name="prediction-log-retention", daemon=True)
        thread.start()
        # Published only once started: stop() from another thread may join it at any time.
        self._thread = thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` for a sweep in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deleted = self.sweep_once()
                if self._on_sweep is not None:
                    self._on_sweep(deleted)
            except Exception:
                log.exception(
                    "retention sweep failed; trying again in %.0fs", self._policy.interval_seconds
                )
            self._stop.wait(self._policy.interval_seconds)
