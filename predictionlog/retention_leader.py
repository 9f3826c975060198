"""Run the prediction-log retention sweeper in exactly one process per journal folder.

Every process that opens the log's write side (each serving worker) tries, at
each sweep interval, to take an exclusive non-blocking ``flock`` on
``.retention.lock`` in the journal folder. The one that gets it runs the
sweeper and keeps the lock for its whole life; the others keep trying. When
that process exits or crashes the kernel releases the lock and another takes
over at its next try, so there is always one sweeper and never two among the
processes sharing the folder: every worker of one server, and every server on
the host writing the same SQLite file (the folder sits beside it). (A sweeper in
the gunicorn arbiter would need a thread in the process that forks workers.)
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

LOCK_FILE: Final = ".retention.lock"


class RetentionLeader:
    def __init__(self, store: PredictionStore, policy: RetentionPolicy, lock_dir: Path) -> None:
        self._store = store
        self._policy = policy
        self._lock_dir = lock_dir
        self._lock_file: IO[bytes] | None = None
        self._sweeper: RetentionSweeper | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._sweeper is not None

    def start(self) -> None:
        """Campaign for the lock on a daemon thread (nothing when retention is off)."""
        if not self._policy.enabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._campaign, name="retention-leader", daemon=True)
        self._thread.start()

    def _try_lock(self) -> bool:
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        handle = (self._lock_dir / LOCK_FILE).open("ab")
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
                    log.info("this process runs the prediction-log retention sweeper")
                    self._sweeper = RetentionSweeper(self._store, self._policy)
                    self._sweeper.start()
                    return
            except OSError:
                log.exception("cannot take the retention lock; trying again later")
            self._stop.wait(min(self._policy.interval_seconds, 60.0))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._sweeper is not None:
            self._sweeper.stop()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None
