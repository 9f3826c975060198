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
up to ``HESITATION_SECONDS`` before accepting another: a sibling with a free
thread, woken by the same connection, takes it meanwhile. If none does (every
worker is as busy), the hesitating worker accepts it as soon as one of its own
connections closes, or when the time is up: a connection is never refused, and
waits at most that long, only while every worker is full. A worker with a free
thread accepts at once, as gthread does.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from gunicorn.workers.gthread import ThreadWorker

# Long enough for a sibling woken by the same connection to be scheduled and accept it
# on a host at load average 20 (5 ms was not: 3 of 5 tries split evenly there); a
# worker's own closing connection ends the wait sooner.
HESITATION_SECONDS: Final = 0.02


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``worker_class = "serving.balanced_worker.BalancedThreadWorker"``."""

    # Seconds a full worker leaves a new connection to its siblings.
    hesitation: float = HESITATION_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The end of the current hesitation (monotonic time), None when not hesitating.
        self._hesitating_until: float | None = None

    def accept(self, listener: Any) -> None:
        if self.nr_conns < self.cfg.threads:
            super().accept(listener)
            return
        # Full: stop listening for a while; a sibling with a free thread takes it meanwhile.
        deadline = time.monotonic() + self.hesitation
        self._hesitating_until = deadline
        super().set_accept_enabled(False)
        # The poller may sleep up to a second: the main thread is woken when the time is up.
        timer = threading.Timer(
            self.hesitation, self.method_queue.defer, (self._end_hesitation, deadline)
        )
        timer.daemon = True
        timer.start()

    def _end_hesitation(self, deadline: float) -> None:
        """On the main thread: take the connection left waiting, if it still is, and listen
        again; nothing if the hesitation ending at ``deadline`` is over already."""
        if self._hesitating_until != deadline:
            return
        self._hesitating_until = None
        if not self.alive:
            return
        super().set_accept_enabled(True)
        for listener in self.sockets:
            super().accept(listener)  # a non-blocking accept: nothing if a sibling took it

    def finish_request(self, conn: Any, fs: Any) -> None:
        super().finish_request(conn, fs)
        # A connection of ours closed: room for the one we left waiting.
        if self._hesitating_until is not None and self.nr_conns < self.cfg.threads:
            self._end_hesitation(self._hesitating_until)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop enables accepting again at every turn while it has room for
        # connections; not while hesitating.
        if enabled and self._hesitating_until is not None:
            return
        super().set_accept_enabled(enabled)
