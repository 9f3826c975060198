"""A real Prometheus scrapes the exporter every second; the metrics arrive with their labels."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.config import Settings
from exporter.app import build
from exporter.scheduler import Scheduler
from exporter.server import make_server
from exporter.settings import ExporterConfig
from stack.processes import free_port
from tests.exporter.logdata import log_labels, log_traffic
from tests.support.processes import running
from training.synthetic import NUMERIC_FEATURES, Drift, generate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus not installed"),
]


@pytest.fixture
def exporter_port(log_settings: Settings) -> Iterator[int]:
    exporter = build(log_settings, ExporterConfig(interval_seconds=0.5, min_labelled=10))
    scheduler = Scheduler(exporter.engine, 0.5)
    port = free_port()
    server = make_server("127.0.0.1", port, exporter.page, exporter.engine.latest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    scheduler.start()
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        scheduler.stop()


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success"
    return doc["data"]["result"]  # type: ignore[no-any-return]


def wait_query(base: str, promql: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = query(base, promql)
        if len(result) >= count:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{promql}: {len(result)} series, wanted {count}: {result}")


def test_prometheus_scrapes_drift_metrics(
    exporter_port: int, log_db: Engine, model: Any, tmp_path: Path
) -> None:
    logged = log_traffic(
        log_db, model, generate(2000, seed=21, drifts=[Drift("covariate", 1.0, ("age",))])
    )
    log_labels(log_db, logged.ids[:500], logged.truth[:500])
    prom_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: driftline-exporter\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    argv = [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
    ]
    base = f"http://127.0.0.1:{prom_port}"
    with running(argv, ready_url=f"{base}/-/ready", log=tmp_path / "prometheus.log"):
        psi = wait_query(base, "driftline_feature_psi", 20)
        assert {r["metric"]["feature"] for r in psi} >= set(NUMERIC_FEATURES)
        assert {(r["metric"]["model"], r["metric"]["version"]) for r in psi} == {("churn", "1")}
        assert all(r["metric"]["job"] == "driftline-exporter" for r in psi)
        (verdict,) = wait_query(base, "driftline_model_drift_detected", 1)
        assert verdict["value"][1] == "1"
        (age,) = query(base, 'driftline_feature_drift_detected{feature="age"}')
        assert age["value"][1] == "1"
        (acc,) = wait_query(base, "driftline_model_accuracy_ratio", 1)
        assert 0.5 < float(acc["value"][1]) <= 1.0
        kinds = wait_query(base, "driftline_window_samples", 2)
        assert {r["metric"]["kind"]: r["value"][1] for r in kinds} == {
            "predictions": "2000",
            "labelled": "500",
        }
        errors = wait_query(base, "driftline_exporter_errors_total", 3)
        assert {r["metric"]["stage"] for r in errors} == {"store", "registry", "compute"}
        assert query(base, "driftline_exporter_staleness_seconds < 30")
