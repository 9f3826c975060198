"""Run the engine's cycle on a schedule in one background thread."""

from __future__ import annotations

import logging
import threading

from exporter.engine import Engine

log = logging.getLogger(__name__)


class Scheduler:
    """Runs ``engine.run_cycle`` every ``interval`` seconds in one daemon thread."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="drift-cycle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.engine.run_cycle()
            except Exception:  # keep the schedule alive whatever happens
                log.exception("drift cycle failed")
            self._stop.wait(self.interval)
