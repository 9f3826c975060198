"""The balanced worker's mechanism, step by step: one real BalancedThreadWorker runs its event
loop on a thread of the test, on a real listening socket; the test's own ``accept`` stands in
for a sibling worker. Nothing here depends on how fast the host is: the waits are for events
(an answer, a connection), and a hesitation long enough never to end by itself is used where
a test needs the worker to hold back.

Also the guard of the gthread internals the worker relies on (see GTHREAD_DIGEST)."""

from __future__ import annotations

import hashlib
import inspect
import os
import selectors
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import gunicorn
import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers import gthread

from serving.balanced_worker import BalancedThreadWorker

THREADS = 2
ANSWER = b"HTTP/1.1 200 OK"


def _app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


class _Patient(BalancedThreadWorker):
    # Never ends by itself within a test: only a closing connection of its own ends it.
    hesitation = 600.0


@contextmanager
def _running(worker_class: type[BalancedThreadWorker]) -> Iterator[tuple[Any, socket.socket]]:
    """A worker of ``worker_class`` with THREADS threads serving ``_app`` on a fresh
    listener, its loop on a thread; stopped as gunicorn's SIGTERM handler stops it."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    cfg = Config()
    cfg.set("threads", THREADS)
    cfg.set("keepalive", 60)
    worker = worker_class(0, os.getppid(), [listener], None, 30, cfg, Logger(cfg))
    # init_process without its signal handlers and process set-up, which a test must not do.
    worker.tpool = worker.get_thread_pool()
    worker.poller = selectors.DefaultSelector()
    worker.method_queue.init()
    worker.wsgi = _app
    loop = threading.Thread(target=worker.run, daemon=True)
    loop.start()
    try:
        yield worker, listener
    finally:
        worker.handle_exit(None, None)
        loop.join(30)
        worker.tmp.close()
        listener.close()


def _connect(listener: socket.socket, held: ExitStack) -> socket.socket:
    client = socket.create_connection(listener.getsockname(), timeout=30)
    held.callback(client.close)
    return client


def _asks(client: socket.socket) -> bytes:
    """One keep-alive request; the start of the answer (waits for it, up to the timeout)."""
    client.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    return client.recv(4096)


def test_a_worker_with_free_threads_accepts_and_a_full_one_leaves_the_next_to_a_sibling() -> None:
    with _running(_Patient) as (worker, listener), ExitStack() as held:
        clients = [_connect(listener, held) for _ in range(THREADS)]
        assert all(_asks(c).startswith(ANSWER) for c in clients)  # kept alive, all of them
        assert worker.nr_conns == THREADS
        # Full: the next connection stays in the listen queue, for a sibling to take. Plain
        # gthread answers it within milliseconds; the worker leaves it unanswered.
        late = _connect(listener, held)
        late.settimeout(2)
        with pytest.raises(TimeoutError):
            _asks(late)
        listener.settimeout(30)
        taken, _ = listener.accept()  # the "sibling": fails by timing out if the worker took it
        taken.close()
        assert worker.nr_conns == THREADS


def test_a_full_worker_takes_the_waiting_connection_when_one_of_its_own_closes() -> None:
    with _running(_Patient) as (_, listener), ExitStack() as held:
        clients = [_connect(listener, held) for _ in range(THREADS)]
        assert all(_asks(c).startswith(ANSWER) for c in clients)
        waiting = _connect(listener, held)
        waiting.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        # No sibling takes it; the hesitation would last ten minutes: a closing connection
        # of the worker's own ends it, and the waiting one is answered.
        clients[0].close()
        assert waiting.recv(4096).startswith(ANSWER)


def test_no_connection_is_refused_when_every_worker_is_full() -> None:
    # The shipped hesitation: when it is up, the worker takes what waits. Four times the
    # threads in connections, all held: each one is answered.
    with _running(BalancedThreadWorker) as (worker, listener), ExitStack() as held:
        clients = [_connect(listener, held) for _ in range(4 * THREADS)]
        assert all(_asks(c).startswith(ANSWER) for c in clients)
        assert worker.nr_conns == 4 * THREADS


# The gthread code BalancedThreadWorker overrides or relies on, as gunicorn 26.2.0 has it
# (constraints.txt pins that version). When this fails, gunicorn's gthread worker changed:
# read serving/balanced_worker.py against the new code (accept, set_accept_enabled and the
# loop's call of it each turn, finish_request, nr_conns, method_queue.defer, sockets,
# alive), fix what no longer holds, run this module and tests/serving/test_live_server.py
# (which holds more connections than the threads), then record the new digest printed by
# the failure.
RELIED_ON = (
    gthread.ThreadWorker.__init__,
    gthread.ThreadWorker.accept,
    gthread.ThreadWorker.set_accept_enabled,
    gthread.ThreadWorker.enqueue_req,
    gthread.ThreadWorker.finish_request,
    gthread.ThreadWorker.run,
    gthread.ThreadWorker.handle_exit,
    gthread.PollableMethodQueue.defer,
    gthread.PollableMethodQueue.run_callbacks,
)
GTHREAD_DIGEST = "7b75d5bcaadcaee8f3921c09af4a948e15be706b572ad183c8562f1832cdff28"


def test_the_gthread_internals_it_relies_on_are_the_ones_it_was_checked_against() -> None:
    digest = hashlib.sha256("".join(inspect.getsource(f) for f in RELIED_ON).encode()).hexdigest()
    assert digest == GTHREAD_DIGEST, (
        f"gunicorn {gunicorn.__version__}: the gthread code serving/balanced_worker.py relies "
        f"on changed (digest {digest}); see the comment above RELIED_ON"
    )
