"""The real server spreads a keep-alive client's connections over its workers
(serving/balanced_worker.py): gunicorn with two workers of four threads."""

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


def test_connections_are_spread_over_the_workers_and_none_is_refused(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    with live_server(trained_store.env, tmp_path, workers=WORKERS, threads=THREADS) as server:
        # Every worker in its accept loop (past post_worker_init's collection) first.
        assert len(server.worker_pids(WORKERS)) == WORKERS
        # Plain gthread gives 7:1 or 8:0 in about half the tries on a busy host. The
        # balanced worker gave 4:4 or 5:3, once 6:2: when its 20 ms are up a hesitating
        # worker takes whichever connection waits, which under load is often the client's
        # next one rather than the one it left (docs/serving.md).
        splits = [
            sorted(_held_connections_by_worker(server.url, WORKERS * THREADS).values())
            for _ in range(5)
        ]
        assert [THREADS] * WORKERS in splits, splits
        assert all(split[0] >= THREADS - 2 for split in splits), splits
        # More connections than threads: a hesitation delays, never refuses.
        split = _held_connections_by_worker(server.url, 3 * WORKERS * THREADS)
        assert sum(split.values()) == 3 * WORKERS * THREADS
        assert len(split) == WORKERS
