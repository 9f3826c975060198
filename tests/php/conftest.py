"""Fixtures that start the real PHP receiver (`php -S`) and talk HTTP to it."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from stack.processes import free_port
from tests.conftest import REPO_ROOT
from tests.support.processes import running

PHP_DIR = REPO_ROOT / "php"
TOKEN = "test-webhook-token-0123456789"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> HttpAnswer:
    """One request; an HTTP error status is an answer, not an exception."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return HttpAnswer(resp.status, dict(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, dict(exc.headers.items()), exc.read())


@dataclass
class Receiver:
    """A running `php -S` serving php/public with its own DRIFTLINE_HOME."""

    url: str
    home: Path
    env: dict[str, str]
    log: Path
    token: str = TOKEN
    extra: dict[str, Any] = field(default_factory=dict)

    def post_alerts(
        self,
        payload: Any,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ) -> HttpAnswer:
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": content_type}
        if token is None:
            token = self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http("POST", f"{self.url}/alerts", body, headers)

    def get(self, path: str) -> HttpAnswer:
        return http("GET", f"{self.url}{path}")

    def jobs(self) -> list[dict[str, Any]]:
        answer = self.get("/jobs?limit=500")
        assert answer.status == 200, answer.body
        jobs: list[dict[str, Any]] = answer.json()["jobs"]
        return jobs

    def job(self, job_id: int) -> dict[str, Any]:
        answer = self.get(f"/jobs/{job_id}")
        assert answer.status == 200, answer.body
        job: dict[str, Any] = answer.json()
        return job

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "receiver" / "queue.db")

    def worker(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run `php php/bin/worker.php ARGS` to the end with this receiver's environment."""
        return subprocess.run(
            ["php", str(PHP_DIR / "bin" / "worker.php"), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def alert(
    name: str = "DriftlineFeatureDrift",
    model: str = "churn",
    status: str = "firing",
    retrain: bool = True,
    feature: str = "tenure_months",
) -> dict[str, Any]:
    """One alert the way Alertmanager 0.2x sends it."""
    labels = {"alertname": name, "model": model, "severity": "warning", "feature": feature}
    if retrain:
        labels["retrain"] = "true"
    return {
        "status": status,
        "labels": labels,
        "annotations": {
            "summary": "A feature's distribution moved away from the training data.",
            "description": f"PSI of {feature} for {model} is 0.31 (threshold 0.2).",
        },
        "startsAt": "2026-11-26T10:15:30.512345678Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-26T11:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=driftline%3Afeature_psi",
        "fingerprint": hashlib.sha256(f"{name}/{model}/{feature}".encode()).hexdigest()[:16],
    }


def notification(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    """An Alertmanager webhook payload, version 4."""
    models = sorted({a["labels"]["model"] for a in alerts})
    return {
        "receiver": "driftline-retrain",
        "status": status,
        "alerts": list(alerts),
        "groupLabels": {"model": models[0]} if len(models) == 1 else {},
        "commonLabels": {"retrain": "true"},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "version": "4",
        "groupKey": '{}/{retrain="true"}:{model="churn"}',
        "truncatedAlerts": 0,
    }


def receiver_env(home: Path, **overrides: str) -> dict[str, str]:
    token_file = home / "webhook.token"
    if not token_file.exists():
        token_file.write_text(TOKEN + "\n")
    env = dict(os.environ)
    env.update(
        {
            "DRIFTLINE_HOME": str(home),
            "DRIFTLINE_WEBHOOK_TOKEN_FILE": str(token_file),
            "DRIFTLINE_RETRAIN_COOLDOWN_SECONDS": "3600",
            # php -S answers several requests at once only with workers.
            "PHP_CLI_SERVER_WORKERS": "4",
        }
    )
    env.update(overrides)
    return env


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[Any]:
    """Factory: start_receiver(**env) starts `php -S` and stops it when the test ends."""
    stack: list[Any] = []

    def start(**overrides: str) -> Receiver:
        home = tmp_path / f"home{len(stack)}"
        home.mkdir()
        env = receiver_env(home, **overrides)
        port = free_port()
        log = home / "php-server.log"
        ctx = running(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(PHP_DIR / "public")],
            ready_url=f"http://127.0.0.1:{port}/health",
            log=log,
            env=env,
            timeout=30,
        )
        ctx.__enter__()
        stack.append(ctx)
        return Receiver(url=f"http://127.0.0.1:{port}", home=home, env=env, log=log)

    try:
        yield start
    finally:
        for ctx in reversed(stack):
            ctx.__exit__(None, None, None)


@pytest.fixture
def receiver(start_receiver: Any) -> Receiver:
    started: Receiver = start_receiver()
    return started


class _InferenceStandIn(BaseHTTPRequestHandler):
    """Answers the inference API's shape with a chosen status and delay (a real inference
    server cannot be told to answer 503 or to be slow on demand)."""

    version = "3"
    status = 200
    delay = 0.0
    arrived: threading.Event | None = None  # set as each request comes in, before the delay

    def do_POST(self) -> None:
        if self.arrived is not None:
            self.arrived.set()
        time.sleep(self.delay)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.status != 200:
            answer: dict[str, Any] = {"error": {"code": "unavailable", "message": "no model"}}
            status = self.status
        elif "record" not in body and "records" not in body:
            answer = {
                "error": {"code": "invalid_body", "message": "need record", "field": "record"}
            }
            status = 400
        else:
            answer = {
                "model": {"name": "churn", "version": self.version},
                "predictions": [{"prediction_id": "00000000-0000-4000-8000-000000000000",
                                 "predicted_class": 1, "probabilities": {"0": 0.3, "1": 0.7}}],
                "received": body,
            }  # fmt: skip
            status = 200
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[Any]:
    """Factory: stand_in(version, status, delay, arrived) -> base URL of a running server."""
    servers: list[ThreadingHTTPServer] = []

    def start(
        version: str, status: int = 200, delay: float = 0.0, arrived: threading.Event | None = None
    ) -> str:
        attributes = {"version": version, "status": status, "delay": delay, "arrived": arrived}
        handler = type("Handler", (_InferenceStandIn,), attributes)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
