"""gunicorn's gthread worker, but a busy worker lets a less busy one take a new connection.

The workers of a server share one listening socket, and every worker's poller
wakes when a connection arrives: whichever main thread calls ``accept`` first
keeps the connection for as long as the client keeps it alive. That is mostly
the worker already running, so the connections of a keep-alive client (wrk, a
PHP app with persistent handles) pile up in one worker: eight connections split
7:1 or 8:0 about as often as 4:4 (bench/serving_limit.py measures it). A worker
is one process with one GIL, about one core; with most connections in it the
server answers at about one worker's speed while the other idles, for as long as
those connections live: the "sags" of issue 19.

Here a worker that already holds as many connections as it has threads waits
``HESITATION_SECONDS`` before accepting another: a sibling with a free thread,
woken by the same connection, takes it meanwhile. If none does (every worker is
as busy), the hesitating worker accepts it when the time is up, so a connection
is never refused nor held longer than that. A worker with a free thread accepts
at once, as gthread does.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from gunicorn.workers.gthread import ThreadWorker

# Long enough for a sibling woken by the same connection to be scheduled and accept it
# on a busy host; short against a request's answer time when every worker is full.
HESITATION_SECONDS: Final = 0.005


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``worker_class = "serving.balanced_worker.BalancedThreadWorker"``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Until when this worker leaves new connections to its siblings (monotonic time).
        self._hesitate_until = 0.0

    def accept(self, listener: Any) -> None:
        now = time.monotonic()
        full = self.nr_conns >= self.cfg.threads
        # A hesitation long past is over: a new connection starts a new one.
        if full and now > self._hesitate_until + HESITATION_SECONDS:
            self._hesitate_until = now + HESITATION_SECONDS
            super().set_accept_enabled(False)
            # The poller may sleep up to a second: the main thread is woken when the time is up.
            timer = threading.Timer(
                HESITATION_SECONDS, self.method_queue.defer, (self._end_hesitation,)
            )
            timer.daemon = True
            timer.start()
            return
        super().accept(listener)

    def _end_hesitation(self) -> None:
        """On the main thread (through the method queue): accept again, unless stopping."""
        self._hesitate_until = min(self._hesitate_until, time.monotonic())
        if self.alive:
            super().set_accept_enabled(True)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop enables accepting again at every turn while it has room for
        # connections; not before the hesitation is over.
        if enabled and time.monotonic() < self._hesitate_until:
            return
        super().set_accept_enabled(enabled)
