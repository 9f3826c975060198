"""The real server: gunicorn with two workers, a real MLflow store and a real SQLite log."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from driftline import registry
from driftline.mlflow_setup import connect
from predictionlog.ingest_process import NICENESS
from predictionlog.ingest_service import ServiceLock
from predictionlog.journal import default_journal_dir
from predictionlog.store import PredictionStore
from serving.cli import CONFIG_FILE
from tests.serving.conftest import ADMIN_TOKEN
from tests.serving.live_server import LiveServer, live_server
from tests.serving.records import one_record, records
from tests.support.log_rows import get_predictions
from tests.support.model_store import TrainedStore, make_trained_store
from training.dataset import load
from training.train import TrainOptions, fit_and_log

pytestmark = pytest.mark.slow


def stored_ids(server: LiveServer, ids: list[str]) -> set[str]:
    store = PredictionStore.open(server.prediction_db_url)
    try:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found.update(get_predictions(store, ids[start : start + 500]))
        return found
    finally:
        store.close()


def test_config_file_passes_gunicorn_check(subprocess_env: dict[str, str], tmp_path: Path) -> None:
    env = {**subprocess_env, "DRIFTLINE_RUN_DIR": str(tmp_path / "run")}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE), "--check-config"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_predict_feedback_metrics_and_held_connections_over_both_workers(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    with live_server(trained_store.env, tmp_path) as server:
        pids = server.worker_pids(2)
        assert len(pids) == 2, "both workers should answer"
        document = requests.get(f"{server.url}/openapi.json", timeout=10).json()
        openapi = OpenAPI.from_dict(document)
        n = 60
        ids: list[str] = []
        for record in records(n):
            # A fresh connection each time, so the kernel spreads requests over both workers.
            response = requests.post(f"{server.url}/predict", json={"record": record}, timeout=10)
            openapi.validate_response(RequestsOpenAPIRequest(response.request),
                                      RequestsOpenAPIResponse(response))  # fmt: skip
            assert response.status_code == 200, response.text
            ids.append(response.json()["predictions"][0]["prediction_id"])
        bad = requests.post(f"{server.url}/predict", json={"records": []}, timeout=10)
        assert bad.status_code == 400
        label = requests.post(f"{server.url}/feedback", json={"prediction_id": ids[0], "label": 1},
                              timeout=10)  # fmt: skip
        assert label.json()["status"] == "recorded"
        unknown = requests.post(
            f"{server.url}/feedback",
            json={"prediction_id": str(uuid.uuid4()), "label": 1},
            timeout=10,
        )
        assert unknown.status_code == 404

        predict = {"model": "churn", "version": "1", "endpoint": "/predict"}
        # Each worker writes its request counts every SERVING_FLUSH_SECONDS.
        _wait(lambda: server.metric("driftline_http_request_duration_seconds_count", **predict)
              == n + 1, 5, "both workers' request counts")  # fmt: skip
        assert server.metric("driftline_http_requests_total", status="200", **predict) == n
        assert server.metric("driftline_http_requests_total", status="400", **predict) == 1
        assert server.metric("driftline_predictions_total", model="churn", version="1") == n
        assert server.metric("driftline_feedback_total", outcome="recorded") == 1
        assert server.metric("driftline_feedback_total", outcome="unknown_prediction") == 1
        # Ingestion moves the journaled predictions into the database within a round.
        _wait(lambda: server.metric("driftline_prediction_log_batch_size_sum") == n, 10,
              "every prediction to be ingested")  # fmt: skip
        backlog = "driftline_prediction_journal_backlog_bytes"
        _wait(lambda: f"\n{backlog} 0.0" in requests.get(f"{server.url}/metrics", timeout=10).text,
              10, "the backlog gauge to show an empty journal")  # fmt: skip
        assert server.metric("driftline_model_info", version="1") == 1
        assert server.metric("driftline_model_reloads_total", outcome="swapped") == 2
        files = list((server.run_dir / "prometheus").glob("counter_*.db"))
        assert len(files) >= 2, "each worker writes its own multiprocess file"
        assert stored_ids(server, ids) == set(ids)
        # A chunked body (no Content-Length) is read to its end, and refused over the limit.
        limit = 1_048_576  # DRIFTLINE_MAX_BODY_BYTES by default
        whole = _post_chunked(server.url, json.dumps({"record": records(1)[0]}).encode())
        assert whole[0] == 200, whole
        over = _post_chunked(server.url, b" " * (limit + 1))
        assert over[0] == 413 and over[1]["error"]["code"] == "body_too_large", over
        # Three times the threads of both workers in keep-alive connections, all held: every
        # worker is full and hesitates at times (serving/balanced_worker.py), which delays a
        # connection, never refuses it. Where they land depends on when a sibling is
        # scheduled; test_balanced_worker_loop.py tests the mechanism itself.
        held = _held_connections_by_worker(server.url, 3 * 2 * 4)
        assert sum(held.values()) == 3 * 2 * 4
        assert set(held) <= pids


def _post_chunked(url: str, body: bytes) -> tuple[int, Any]:
    """POST ``body`` to /predict in chunked transfer coding; the status and JSON answer."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
        conn.request("POST", "/predict", body=chunks, encode_chunked=True,
                     headers={"Content-Type": "application/json",
                              "Transfer-Encoding": "chunked"})  # fmt: skip
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def _held_connections_by_worker(url: str, count: int) -> Counter[int]:
    """Open ``count`` keep-alive connections one after another, each asking /health
    (which names the worker's pid), all held open until counted."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    pids: Counter[int] = Counter()
    with ExitStack() as held:
        for _ in range(count):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            held.callback(conn.close)
            conn.request("GET", "/health")
            answer = conn.getresponse()
            assert answer.status == 200
            assert answer.getheader("Connection", "keep-alive").lower() != "close"
            pids[json.loads(answer.read())["pid"]] += 1
    return pids


class Traffic:
    """Threads sending single-record predictions until stopped; every answer is kept."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.acknowledged: list[str] = []
        self.versions: list[str] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._record = one_record()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Traffic:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def _run(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            try:
                response = session.post(f"{self.url}/predict", json={"record": self._record},
                                        timeout=30)  # fmt: skip
            except requests.RequestException as exc:
                with self._lock:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                session = requests.Session()
                time.sleep(0.01)
                continue
            with self._lock:
                if response.status_code == 200:
                    body = response.json()
                    self.acknowledged.append(body["predictions"][0]["prediction_id"])
                    self.versions.append(body["model"]["version"])
                else:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:200]}")

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_champion_moves_while_requests_flow(tmp_path: Path) -> None:
    store = make_trained_store(tmp_path / "store")
    extra = {"DRIFTLINE_RELOAD_INTERVAL": "300"}  # only the admin signal triggers the check
    with live_server(store.env, tmp_path, extra_env=extra) as server, Traffic(server.url) as t:
        _wait(lambda: t.count() > 50, 60, "traffic on version 1")
        result, _ = fit_and_log(store.settings, load(None, None, rows=3000, seed=7),
                                TrainOptions(seed=7))  # fmt: skip
        assert result.version == "2"
        registry.promote(connect(store.settings), "churn", "2")
        reload = requests.post(
            f"{server.url}/admin/reload",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        assert reload.status_code == 202

        def every_worker_on_2() -> bool:
            return (server.metric("driftline_model_info", version="2") == 1
                    and server.metric("driftline_model_info", version="1") == 0)  # fmt: skip

        _wait(every_worker_on_2, 60, "every worker to serve version 2")
        settled = t.count()
        _wait(lambda: t.count() > settled + 50, 60, "traffic on version 2")
        # A/B: a second server pinned to version 1 beside the champion follower,
        # both writing the same prediction log.
        with live_server(store.env, tmp_path, version="1", name="pinned") as pinned:
            answers = {}
            for target in (server, pinned):
                response = requests.post(f"{target.url}/predict",
                                         json={"records": records(3)}, timeout=10)  # fmt: skip
                answers[target.url] = response.json()
            assert answers[server.url]["model"]["version"] == "2"
            assert answers[pinned.url]["model"]["version"] == "1"
            ids = {p["prediction_id"]: answers[url]["model"]["version"]
                   for url in answers for p in answers[url]["predictions"]}  # fmt: skip
            _wait(lambda: stored_ids(server, list(ids)) == set(ids), 10, "ingestion")
            log = PredictionStore.open(server.prediction_db_url)
            try:
                stored = get_predictions(log, list(ids))
            finally:
                log.close()
            assert {i: r.model_version for i, r in stored.items()} == ids
    assert t.failures == []
    assert "1" in t.versions and "2" in t.versions
    # Answers that started after every worker swapped all come from version 2
    # (a few in flight at that moment may still carry version 1).
    assert set(t.versions[settled + 8 :]) == {"2"}


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_graceful_restart_loses_no_acknowledged_prediction(
    trained_store: TrainedStore, tmp_path: Path, sig: signal.Signals
) -> None:
    with live_server(trained_store.env, tmp_path) as server, Traffic(server.url, 6) as t:
        _wait(lambda: t.count() > 100, 60, "traffic before the signal")
        server.proc.send_signal(sig)
        if sig == signal.SIGHUP:
            before = t.count()
            _wait(lambda: t.count() > before + 200, 90, "traffic after the reload")
            server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(60)
    assert server.proc.returncode == 0, server.log.read_text()[-2000:]
    assert t.count() > 100
    acknowledged = list(t.acknowledged)
    assert stored_ids(server, acknowledged) == set(acknowledged)
    assert "predictions not logged" not in server.log.read_text()
    assert not _service_lock_held(server, tmp_path), "the ingestion service outlived the server"


def _journal_dir(server: LiveServer, tmp_path: Path) -> Path:
    return default_journal_dir(server.prediction_db_url, tmp_path)


def _service_lock_held(server: LiveServer, tmp_path: Path) -> bool:
    probe = ServiceLock(_journal_dir(server, tmp_path))
    try:
        return probe.held_elsewhere()
    finally:
        probe.close()


def _children(pid: int, module: str) -> list[int]:
    """Live child processes of ``pid`` running ``python -m module``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z" and module.encode() in command:
            found.append(int(entry.name))
    return found


def _predict(server: LiveServer, n: int) -> list[str]:
    ids = []
    for record in records(n):
        response = requests.post(f"{server.url}/predict", json={"record": record}, timeout=10)
        assert response.status_code == 200, response.text
        ids.append(response.json()["predictions"][0]["prediction_id"])
    return ids


def test_the_ingestion_service_stores_predictions_and_the_workers_take_over_when_it_dies(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    with live_server(trained_store.env, tmp_path) as server:
        services = _children(server.proc.pid, "predictionlog.ingest_process")
        assert len(services) == 1, "the arbiter should run one ingestion service"
        assert _service_lock_held(server, tmp_path)
        # It yields the CPU to the workers.
        niceness = os.getpriority(os.PRIO_PROCESS, services[0])
        assert niceness - os.getpriority(os.PRIO_PROCESS, server.proc.pid) == NICENESS
        ids = _predict(server, 20)
        _wait(lambda: stored_ids(server, ids) == set(ids), 30, "the service to ingest")

        os.kill(services[0], signal.SIGKILL)
        _wait(lambda: not _service_lock_held(server, tmp_path), 10, "the service to be gone")
        more = _predict(server, 20)  # no label asks for them: only a background round stores them
        _wait(lambda: stored_ids(server, more) == set(more), 30, "the workers to take over")
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(60)
    assert server.proc.returncode == 0, server.log.read_text()[-2000:]
    text = server.log.read_text()
    assert "ingestion service started" in text
    assert "no ingestion service runs; ingesting" in text


def test_without_the_service_the_workers_ingest(
    trained_store: TrainedStore, tmp_path: Path
) -> None:
    extra = {"DRIFTLINE_NO_INGEST_SERVICE": "1"}
    with live_server(trained_store.env, tmp_path, extra_env=extra) as server:
        assert _children(server.proc.pid, "predictionlog.ingest_process") == []
        assert not _service_lock_held(server, tmp_path)
        ids = _predict(server, 20)
        _wait(lambda: stored_ids(server, ids) == set(ids), 30, "the workers to ingest")
