"""Wake every worker's registry watcher at once through a file in the run directory.

``POST /admin/reload`` reaches one gunicorn worker only. That worker bumps the
modification time of ``<run dir>/reload-signal``; every worker's watcher stats
the file a few times a second (one cheap syscall) and checks the registry as
soon as the time moves. A file needs no extra process, survives worker
restarts, and works for any number of workers on the host.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

SIGNAL_FILE: Final = "reload-signal"


class ReloadSignal:
    def __init__(self, run_dir: Path | None) -> None:
        self._path = None if run_dir is None else run_dir / SIGNAL_FILE
        self._seen = self._stamp()

    def _stamp(self) -> int:
        if self._path is None:
            return 0
        try:
            return self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def send(self) -> None:
        """Ask every worker sharing the run directory to check the registry now."""
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.touch()
        # Set the time explicitly: two touches within the file system's timestamp
        # granularity must still read as two different signals.
        stamp = max(time.time_ns(), self._stamp() + 1_000)
        os.utime(self._path, ns=(stamp, stamp))

    def received(self) -> bool:
        """True once for every send() since the last call (by any process)."""
        stamp = self._stamp()
        if stamp != self._seen:
            self._seen = stamp
            return True
        return False
