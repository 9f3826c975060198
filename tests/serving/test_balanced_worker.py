"""The real server with the balanced worker (serving/balanced_worker.py): gunicorn with two
workers of four threads holds every keep-alive connection a client opens, more of them
than it has threads included, and answers each.

Where the connections land depends on how soon a sibling is scheduled, which a loaded host
decides: that the mechanism leaves a full worker's next connection to a sibling is tested
step by step in test_balanced_worker_loop.py, and bench/serving_limit.py reports the splits
under load."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.serving.live_server import live_server
from tests.support.model_store import TrainedStore

pytestmark = pytest.mark.slow

WORKERS, THREADS = 2, 4


def _held_connections_by_worker(url: str, count: int) -> Counter[int]:
    """Open ``count`` keep-alive connections one after another, each asking /health
    (which names the worker's pid), all held open until counted."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    pids: Counter[int] = Counter()
    with ExitStack() as held:
        for _ in range(count):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            held.callback(conn.close)
            conn.request("GET", "/health")
            answer = conn.getresponse()
            assert answer.status == 200
            assert answer.getheader("Connection", "keep-alive").lower() != "close"
            pids[json.loads(answer.read())["pid"]] += 1
    return pids


def test_every_connection_is_held_and_answered_none_refused(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    with live_server(trained_store.env, tmp_path, workers=WORKERS, threads=THREADS) as server:
        # Every worker in its accept loop (past post_worker_init's collection) first.
        pids = server.worker_pids(WORKERS)
        assert len(pids) == WORKERS
        # Three times the threads of both workers: every worker is full and hesitates at
        # times; a hesitation delays a connection, never refuses it.
        split = _held_connections_by_worker(server.url, 3 * WORKERS * THREADS)
        assert sum(split.values()) == 3 * WORKERS * THREADS
        assert set(split) <= pids
