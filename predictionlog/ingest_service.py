"""The ingestion service: one process that runs every ingestion round of a journal folder.

Ingesting the journals (journal_ingest.py) costs CPU, and inside a serving
worker it also competes with the request threads for the GIL. A service
process beside the workers (started by serving/gunicorn.conf.py) runs the
rounds instead, so a worker's request threads only append to its journal.

While it serves, the service holds an ``flock`` on ``SERVICE_LOCK_FILE`` in the
folder. A worker's background loop (``JournalIngester.start``) skips its rounds
while that lock is held and runs them again within one interval once it is
free: a service that stops, crashes or is killed costs freshness, never
predictions. A second service on the same folder (a second server writing the
same database) waits on standby and takes over when the first one goes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

from predictionlog.journal_ingest import JournalIngester

log = logging.getLogger(__name__)

SERVICE_LOCK_FILE: Final = ".ingest-service.lock"


class ServiceLock:
    """The lock a running ingestion service holds on its journal folder."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(directory / SERVICE_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        self._held = False

    def held_elsewhere(self) -> bool:
        """Whether a service (another open of the file) holds the lock now."""
        if self._held:
            return False
        try:
            # Shared: workers probing at the same moment do not see each other as a service.
            fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        return False

    def acquire(self) -> bool:
        """Take the lock if it is free; whether this holder now has it."""
        if not self._held:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            self._held = True
        return True

    def release(self) -> None:
        if self._held:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._held = False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock with it
            self._fd = -1
            self._held = False


class IngestService:
    """Runs ``ingester``'s rounds every ``interval`` seconds while holding ``lock``."""

    def __init__(self, ingester: JournalIngester, lock: ServiceLock, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self._ingester = ingester
        self._lock = lock
        self._interval = interval

    def run(self, stop: threading.Event, *, orphaned: Callable[[], bool] = lambda: False) -> None:
        """Serve until ``stop`` is set or ``orphaned()`` says the server is gone, then
        run a last round, so what the workers journaled before they stopped is stored."""
        serving = False
        try:
            while not stop.is_set() and not orphaned():
                if not serving:
                    serving = self._lock.acquire()
                    if not serving:
                        stop.wait(self._interval)  # on standby behind another service
                        continue
                    log.info("ingesting the prediction journals in %s", self._ingester.directory)
                self._round()
                stop.wait(self._interval)
            if serving:
                self._round()
        finally:
            self._lock.release()

    def _round(self) -> None:
        try:
            self._ingester.ingest()
        except Exception as exc:  # the lines stay in the journal; the next round retries
            log.warning("ingesting the prediction journal failed: %s", exc)
