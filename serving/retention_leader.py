"""Run the prediction-log retention sweeper in exactly one worker of a server.

Every worker tries, at each sweep interval, to take an exclusive non-blocking
``flock`` on ``<run dir>/retention.lock``. The one that gets it runs the
sweeper and keeps the lock for its whole life; the others keep trying. When
that worker exits or crashes the kernel releases the lock and another worker
takes over at its next try, so there is always one sweeper and never two.
(A sweeper in the gunicorn arbiter would need a thread in the process that
forks workers; "worker age 1" is lost for good once that worker is replaced.)
Without a run directory (a single process, Flask's test client) the process
sweeps itself.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO, Final

from predictionlog.retention import RetentionPolicy, RetentionSweeper
from predictionlog.store import PredictionStore

log = logging.getLogger(__name__)

LOCK_FILE: Final = "retention.lock"


class RetentionLeader:
    def __init__(
        self, store: PredictionStore, policy: RetentionPolicy, run_dir: Path | None
    ) -> None:
        self._store = store
        self._policy = policy
        self._run_dir = run_dir
        self._lock_file: IO[bytes] | None = None
        self._sweeper: RetentionSweeper | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._sweeper is not None

    def start(self) -> None:
        if not self._policy.enabled:
            return
        if self._run_dir is None:
            self._lead()
            return
        self._thread = threading.Thread(target=self._campaign, name="retention-leader", daemon=True)
        self._thread.start()

    def _try_lock(self) -> bool:
        assert self._run_dir is not None
        self._run_dir.mkdir(parents=True, exist_ok=True)
        handle = (self._run_dir / LOCK_FILE).open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def _campaign(self) -> None:
        while not self._stop.is_set():
            try:
                if self._try_lock():
                    log.info("this worker runs the prediction-log retention sweeper")
                    self._lead()
                    return
            except OSError:
                log.exception("cannot take the retention lock; trying again later")
            self._stop.wait(min(self._policy.interval_seconds, 60.0))

    def _lead(self) -> None:
        self._sweeper = RetentionSweeper(self._store, self._policy)
        self._sweeper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.stop()
        if self._thread is not None:
            self._thread.join(5)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None
