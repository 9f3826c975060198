"""The long-running router process (php/bin/router.php) on a free loopback port.

One router for the module, in front of a real gunicorn inference server (the trained churn
champion): ``churn`` routes to it, ``shaky`` names a dead champion first so every request
falls back to it. Framing is checked on raw sockets; stopping and replacing workers on a
router of their own, in front of a slow stand-in so a request is in hand when SIGTERM comes.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stack.processes import free_port
from tests.conftest import REPO_ROOT
from tests.support.model_store import TrainedStore
from tests.support.processes import running
from training import synthetic

GUNICORN = REPO_ROOT / ".venv" / "bin" / "gunicorn"
ROUTER = REPO_ROOT / "php" / "bin" / "router.php"
MAX_BODY = 4096


@dataclass(frozen=True)
class Router:
    host: str
    port: int
    home: Path
    log: Path
    proc: subprocess.Popen[Any]

    def decisions(self) -> list[dict[str, Any]]:
        path = self.home / "router" / "decisions.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _start_router(
    home: Path, routes: dict[str, str], *, workers: int = 2, idle_seconds: float = 15.0
) -> Any:
    port = free_port()
    env = {
        **os.environ,
        "DRIFTLINE_HOME": str(home),
        "DRIFTLINE_ROUTES": json.dumps(routes),
        "DRIFTLINE_MAX_BODY_BYTES": str(MAX_BODY),
        "DRIFTLINE_ROUTER_CONNECT_TIMEOUT_MS": "200",
    }
    argv = ["php", str(ROUTER), "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--idle-seconds", str(idle_seconds)]  # fmt: skip
    log = home / "router.log"
    return port, log, running(argv, ready_url=f"http://127.0.0.1:{port}/health", log=log,
                              env=env, timeout=30)  # fmt: skip


@pytest.fixture(scope="module")
def router(
    trained_store: TrainedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    work = tmp_path_factory.mktemp("router-process")
    serving_port, dead_port = free_port(), free_port()
    env = {
        **os.environ,
        **trained_store.env,
        "DRIFTLINE_SERVE_BIND": f"127.0.0.1:{serving_port}",
        "DRIFTLINE_SERVE_WORKERS": "1",
        "DRIFTLINE_SERVE_THREADS": "2",
        "DRIFTLINE_RUN_DIR": str(work / "run"),
    }
    serving = f"http://127.0.0.1:{serving_port}"
    routes = {
        "churn": f"champion={serving}:1",
        "shaky": f"champion=http://127.0.0.1:{dead_port}:1,challenger={serving}:0",
    }
    with running([str(GUNICORN), "-c", "serving/gunicorn.conf.py"],
                 ready_url=f"{serving}/ready", log=work / "gunicorn.log", env=env,
                 cwd=REPO_ROOT, timeout=120):  # fmt: skip
        port, log, ctx = _start_router(work, routes)
        with ctx as proc:
            yield Router("127.0.0.1", port, work, log, proc)


def _records(n: int) -> list[dict[str, Any]]:
    frame = synthetic.generate(n, seed=11).drop(columns=[synthetic.TARGET])
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return rows


def _raw(
    router: Router, request: bytes, *, then_closed: bool = False
) -> tuple[int, dict[str, str], Any, bool]:
    """Send raw bytes; (status, headers, JSON body, whether the server then closed: only
    looked at when ``then_closed``, since a kept connection would make it wait)."""
    with socket.create_connection((router.host, router.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(headers["content-length"]):
            body += sock.recv(65536)
        sock.settimeout(5)
        closed = then_closed and sock.recv(1) == b""
    return int(lines[0].split()[1]), headers, json.loads(body), closed


def test_many_predictions_on_one_kept_client_connection(router: Router) -> None:
    before = len(router.decisions())
    conn = http.client.HTTPConnection(router.host, router.port, timeout=10)
    answers = []
    sockets = set()
    for i, record in enumerate(_records(20)):
        conn.request("POST", "/predict/churn", json.dumps({"record": record}),
                     {"Content-Type": "application/json", "X-User-Key": f"u{i}"})  # fmt: skip
        resp = conn.getresponse()
        answers.append((resp.status, resp.getheader("Connection"), json.loads(resp.read())))
        sockets.add(id(conn.sock))
    conn.close()

    assert [status for status, _, _ in answers] == [200] * 20, answers[0]
    assert {connection for _, connection, _ in answers} == {None}, "never Connection: close"
    assert len(sockets) == 1, "one client connection served every request"
    body = answers[0][2]
    assert body["variant"] == "champion" and body["fallback"] is False
    assert body["model"]["name"] == "churn" and len(body["predictions"]) == 1
    new = router.decisions()[before:]
    assert len(new) == 20
    assert {(d["model"], d["answered"], d["status"]) for d in new} == {("churn", "champion", 200)}
    assert all(d["user"] is not None and len(d["user"]) == 16 for d in new), "hashed user keys"


def test_a_dead_variant_falls_back_and_the_log_says_why(router: Router) -> None:
    before = len(router.decisions())
    status, headers, body, _ = _raw(router, _post("/predict/shaky", {"record": _records(1)[0]}))

    assert status == 200 and body["variant"] == "challenger" and body["fallback"] is True
    assert headers["x-driftline-variant"] == "challenger"
    [decision] = router.decisions()[before:]
    assert (decision["chosen"], decision["answered"], decision["fallback"]) == (
        "champion", "challenger", True
    )  # fmt: skip
    assert "cannot connect" in decision["failures"][0]


def test_an_unknown_model_is_a_404_naming_it(router: Router) -> None:
    status, _, body, closed = _raw(
        router, _post("/predict/cars", {"record": {}}, close=True), then_closed=True
    )

    assert status == 404 and body["error"]["code"] == "unknown_model"
    assert '"cars"' in body["error"]["message"] and body["models"] == ["churn", "shaky"]
    assert closed, "Connection: close from the client is honoured"


def test_a_malformed_request_is_a_400_and_the_connection_closes(router: Router) -> None:
    status, headers, body, closed = _raw(router, b"HELLO THERE\r\n\r\n", then_closed=True)

    assert status == 400 and body["error"]["code"] == "bad_request"
    assert "request line" in body["error"]["message"]
    assert headers["connection"] == "close" and closed


def test_a_body_over_the_limit_is_refused_before_it_is_read(router: Router) -> None:
    # Only the head goes out: the router answers from Content-Length alone.
    head = (f"POST /predict/churn HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY + 1}\r\n\r\n").encode()  # fmt: skip
    status, headers, body, closed = _raw(router, head, then_closed=True)

    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert str(MAX_BODY) in body["error"]["message"]
    assert headers["connection"] == "close" and closed


def test_other_paths_are_the_receivers(router: Router) -> None:
    status, _, body, _ = _raw(router, b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert status == 404 and "receiver" in body["error"]["message"]


def _post(path: str, payload: Any, *, close: bool = False) -> bytes:
    data = json.dumps(payload).encode()
    extra = "Connection: close\r\n" if close else ""
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data  # fmt: skip


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True, check=False).stdout  # fmt: skip
    return {int(p) for p in out.split()}


def _wait_for(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_dead_worker_is_replaced_and_sigterm_finishes_the_request_in_hand(
    tmp_path: Path, stand_in: Any
) -> None:
    arrived = threading.Event()
    slow = stand_in("3", delay=1.0, arrived=arrived)
    port, log, ctx = _start_router(tmp_path, {"churn": f"champion={slow}:1"}, workers=2)
    with ctx as proc:
        workers = _children(proc.pid)
        assert len(workers) == 2
        os.kill(min(workers), signal.SIGKILL)
        _wait_for(lambda: len(_children(proc.pid) - workers) == 1, "a replacement worker")

        answers: list[Any] = []
        client = Router("127.0.0.1", port, tmp_path, log, proc)
        request = threading.Thread(
            target=lambda: answers.append(
                _raw(client, _post("/predict", {"record": {}}), then_closed=True)
            )
        )
        request.start()
        # The stand-in sleeps a second before answering: SIGTERM comes while it does.
        assert arrived.wait(10), "the request reached the upstream"
        proc.send_signal(signal.SIGTERM)
        request.join(10)
        assert proc.wait(10) == 0

    [(status, headers, body, closed)] = answers
    assert status == 200 and body["variant"] == "champion"
    assert headers["connection"] == "close" and closed, "a stopping worker closes after answering"
    text = log.read_text()
    assert "ended (signal 9); starting another" in text and "driftline router: stopped" in text


def test_an_idle_kept_connection_is_closed_after_the_idle_timeout(
    tmp_path: Path, stand_in: Any
) -> None:
    port, _, ctx = _start_router(tmp_path, {"churn": f"champion={stand_in('3')}:1"},
                                 workers=1, idle_seconds=0.3)  # fmt: skip
    with ctx, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_post("/predict", {"record": {}}))
        answer = b""
        while b'"variant"' not in answer:
            answer += sock.recv(65536)
        started = time.monotonic()
        # Nothing more is sent: the router closes the connection (recv returns b"").
        assert sock.recv(1) == b""
        waited = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" not in answer
    assert 0.2 <= waited < 5, waited
