"""The router keeps its upstream connections alive, under `php -S` workers and php-fpm.

The upstream here is a small HTTP/1.1 server that counts connections and can misbehave on
demand (close a kept connection without a word, drop a request unanswered, answer chunked),
because a real inference server cannot be told to; tests/php/test_router.py routes to real
gunicorn servers, which keep connections alive the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from stack.processes import free_port
from tests.conftest import REPO_ROOT
from tests.php.conftest import HttpAnswer, Receiver, http
from tests.support.processes import running

RECORD = {"record": {"tenure_months": 3}}


@dataclass
class Upstream:
    """What the counting server saw, and how it should behave."""

    url: str
    connections: int = 0
    requests: int = 0
    # Requests (1-based, counted per connection) read and then dropped without a byte back.
    drop_on_connection: set[int] = field(default_factory=set)
    close_after_answer: bool = False  # close silently, no "Connection: close"
    chunked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise
    upstream: Upstream

    def setup(self) -> None:
        super().setup()
        with self.upstream.lock:
            self.upstream.connections += 1
        self.on_this_connection = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.on_this_connection += 1
        with self.upstream.lock:
            self.upstream.requests += 1
            n = self.upstream.requests
        if self.on_this_connection in self.upstream.drop_on_connection:
            self.close_connection = True
            return
        data = json.dumps(
            {"model": {"name": "churn", "version": "3"}, "n": n, "received": json.loads(body)}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.upstream.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            for part in (data[:half], data[half:], b""):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        self.close_connection = self.upstream.close_after_answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[Any]:
    """Factory: upstream(**behaviour) -> a running counting server."""
    servers: list[ThreadingHTTPServer] = []

    def start(**behaviour: Any) -> Upstream:
        port = free_port()
        state = Upstream(url=f"http://127.0.0.1:{port}", **behaviour)
        handler = type("Handler", (_CountingHandler,), {"upstream": state})
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _predict(receiver: Receiver, user: str) -> HttpAnswer:
    headers = {"Content-Type": "application/json", "X-User-Key": user}
    return http("POST", f"{receiver.url}/predict", json.dumps(RECORD).encode(), headers)


def _single_process_router(start_receiver: Any, server: Upstream) -> Receiver:
    """php -S without workers, routing to ``server`` alone: one process, so one connection."""
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={server.url}:1", PHP_CLI_SERVER_WORKERS="1"
    )
    return receiver


def _decisions(receiver: Receiver) -> list[dict[str, Any]]:
    path = receiver.home / "router" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_php_s_workers_reuse_one_connection_each(start_receiver: Any, upstream: Any) -> None:
    server: Upstream = upstream()
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={server.url}:1", PHP_CLI_SERVER_WORKERS="2"
    )

    answers = [_predict(receiver, f"u{i}") for i in range(20)]

    assert [a.status for a in answers] == [200] * 20
    assert all(a.json()["received"] == RECORD for a in answers)
    assert server.requests == 20
    # One kept connection per serving process: with PHP_CLI_SERVER_WORKERS=2, php -S 8.2
    # answers from three (the parent serves too).
    assert 1 <= server.connections <= 3, server.connections


def test_chunked_answers_pass_through_on_a_kept_connection(
    start_receiver: Any, upstream: Any
) -> None:
    server: Upstream = upstream(chunked=True)
    receiver = _single_process_router(start_receiver, server)

    answers = [_predict(receiver, f"u{i}") for i in range(5)]

    assert [a.json()["n"] for a in answers] == [1, 2, 3, 4, 5]
    assert server.connections == 1


def test_a_connection_the_server_closed_after_answering_is_not_reused(
    start_receiver: Any, upstream: Any
) -> None:
    server: Upstream = upstream(close_after_answer=True)
    receiver = _single_process_router(start_receiver, server)

    answers = [_predict(receiver, f"u{i}") for i in range(5)]

    assert [a.status for a in answers] == [200] * 5
    assert (server.requests, server.connections) == (5, 5)
    assert all(not d["failures"] for d in _decisions(receiver))


def test_a_kept_connection_dropped_unanswered_is_retried_once_on_a_fresh_one(
    start_receiver: Any, upstream: Any
) -> None:
    # Every second request on a connection is read and dropped: the kept-alive race.
    server: Upstream = upstream(drop_on_connection={2})
    receiver = _single_process_router(start_receiver, server)

    answers = [_predict(receiver, f"u{i}") for i in range(3)]

    assert [a.status for a in answers] == [200] * 3
    assert [a.json()["fallback"] for a in answers] == [False] * 3
    # 1 on A; 2 dropped on A, again as 1 on B; 3 dropped on B, again as 1 on C.
    assert (server.requests, server.connections) == (5, 3)


def test_a_fresh_connection_dropped_unanswered_is_not_sent_again(
    start_receiver: Any, upstream: Any
) -> None:
    dropping: Upstream = upstream(drop_on_connection={1})
    healthy: Upstream = upstream()
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={healthy.url}:0,challenger={dropping.url}:1",
        PHP_CLI_SERVER_WORKERS="1",
    )

    answer = _predict(receiver, "dave")

    assert answer.status == 200 and answer.json()["variant"] == "champion"
    assert dropping.requests == 1, "a prediction is never sent twice on fresh connections"
    [decision] = _decisions(receiver)
    assert "before any answer" in decision["failures"][0]


# --- php-fpm, as docker compose runs the receiver ---------------------------------------


def _fpm_request(port: int, script: Path, body: bytes, user: str) -> tuple[int, dict[str, Any]]:
    """One POST /predict straight to the pool over FastCGI (cgi-fcgi), as nginx would send it."""
    env = {
        "SCRIPT_FILENAME": str(script),
        "SCRIPT_NAME": "/index.php",
        "REQUEST_URI": "/predict",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_USER_KEY": user,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    out = subprocess.run(
        ["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"],
        input=body, env=env, capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    head, _, payload = out.stdout.partition(b"\r\n\r\n")
    status = 200
    for line in head.decode().splitlines():
        if line.lower().startswith("status:"):
            status = int(line.split()[1])
    return status, json.loads(payload)


def test_php_fpm_children_reuse_their_connections(upstream: Any) -> None:
    for binary in ("php-fpm8.2", "cgi-fcgi"):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} not installed (apt-get install php8.2-fpm libfcgi-bin)")
    server: Upstream = upstream()
    # Under /tmp, not pytest's 0700 tmp_path: the pool runs as nobody when the suite is root.
    with tempfile.TemporaryDirectory(prefix="driftline-fpm-") as raw:
        work = Path(raw)
        work.chmod(0o777)
        port = free_port()
        # The image's pool configuration, listening on loopback.
        shipped = (REPO_ROOT / "docker" / "php-fpm.conf").read_text()
        assert "listen = 0.0.0.0:9000" in shipped
        conf = work / "php-fpm.conf"
        conf.write_text(shipped.replace("listen = 0.0.0.0:9000", f"listen = 127.0.0.1:{port}"))
        log = work / "fpm.log"
        log.touch()
        argv = ["php-fpm8.2", "--nodaemonize", "--fpm-config", str(conf)]
        if os.geteuid() == 0:
            shutil.chown(log, "nobody", "nogroup")
            argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
        env = {
            **os.environ,
            "DRIFTLINE_HOME": str(work / "home"),
            "DRIFTLINE_VARIANTS": f"champion={server.url}:1",
        }
        script = REPO_ROOT / "php" / "public" / "index.php"
        with running(argv, ready_url=None, log=log, env=env, timeout=30):
            answers = []
            for i in range(12):
                answers.append(_retry_until_listening(lambda i=i: _fpm_request(
                    port, script, json.dumps(RECORD).encode(), f"u{i}")))  # fmt: skip

        assert [status for status, _ in answers] == [200] * 12, answers
        assert server.requests == 12
        # pm = dynamic starts 2 children; a sequential client keeps to the idle ones.
        assert server.connections <= 4, f"{server.connections} connections for 12 requests"


def _retry_until_listening(call: Any) -> Any:
    """The pool's socket appears a moment after the master starts; poll for it."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return call()
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
