"""`driftline exporter serve` as a real process: pages, metrics, bad paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.config import Settings
from stack.processes import free_port
from tests.exporter.logdata import log_traffic
from tests.support.model_store import TrainedStore
from tests.support.processes import running
from training.synthetic import Drift, generate

pytestmark = pytest.mark.slow


def exporter_env(store: TrainedStore, settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(store.env)
    env["DRIFTLINE_PREDICTION_DB"] = settings.prediction_db_url
    env["DRIFTLINE_EXPORTER_INTERVAL_SECONDS"] = "0.5"
    return env


def get(url: str, timeout: float = 5) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def wait_for(url: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        _, _, body = get(url)
        if text in body:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared at {url}: {body[-2000:]}")


def test_serve_pages_and_metrics(
    trained_store: TrainedStore, log_settings: Settings, log_db: Engine, model: Any, tmp_path: Path
) -> None:
    log_traffic(
        log_db,
        model,
        generate(1000, seed=12, drifts=[Drift("covariate", 1.0, ("monthly_charges",))]),
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "cli", "exporter", "serve", "--port", str(port)]
    with running(
        argv,
        ready_url=f"{base}/healthz",
        log=tmp_path / "exporter.log",
        env=exporter_env(trained_store, log_settings),
    ):
        metrics = wait_for(f"{base}/metrics", "driftline_feature_psi{")
        assert (
            'driftline_feature_drift_detected{feature="monthly_charges",model="churn",'
            'version="1"} 1.0'
        ) in metrics
        assert 'driftline_exporter_errors_total{stage="store"} 0.0' in metrics
        if shutil.which("promtool"):
            check = subprocess.run(
                ["promtool", "check", "metrics"],
                input=metrics.encode(),
                capture_output=True,
                timeout=30,
            )
            assert check.returncode == 0, check.stdout + check.stderr
        status, ctype, index = get(f"{base}/")
        assert status == 200 and "text/html" in ctype and "href='/report'" in index
        status, ctype, report = get(f"{base}/report")
        assert status == 200 and "monthly_charges" in report and "DRIFT" in report
        assert '<svg class="bars"' in report and '<svg class="history"' in report
        status, ctype, body = get(f"{base}/report/evidently?model=churn")
        assert status == 400 and json.loads(body)["error"].endswith("version")
        status, ctype, body = get(f"{base}/report/evidently?model=churn&version=9")
        assert status == 404 and "churn/1" in json.loads(body)["error"]
        status, ctype, page = get(f"{base}/report/evidently?model=churn&version=1", timeout=120)
        assert status == 200 and "text/html" in ctype
        assert "data-drift report of churn version 1: the newest 1000 predictions" in page
        assert "frozen decile bins" in page and "monthly_charges" in page
        status, ctype, body = get(f"{base}/nope")
        assert status == 404 and ctype == "application/json"
        assert json.loads(body)["error"] == "no such page: /nope"
        request = urllib.request.Request(f"{base}/metrics", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 405
        assert json.loads(refused.value.read())["allowed"] == ["GET"]


def test_bad_setting_exits_with_a_message(
    trained_store: TrainedStore, log_settings: Settings, tmp_path: Path
) -> None:
    env = exporter_env(trained_store, log_settings)
    env["DRIFTLINE_EXPORTER_WINDOW_SIZE"] = "lots"
    out = subprocess.run(
        [sys.executable, "-m", "cli", "exporter", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert b"DRIFTLINE_EXPORTER_WINDOW_SIZE='lots' is not a number" in out.stderr


def test_once_prints_json(
    trained_store: TrainedStore, log_settings: Settings, log_db: Engine, model: Any
) -> None:
    log_traffic(log_db, model, generate(500, seed=13))
    out = subprocess.run(
        [sys.executable, "-m", "cli", "exporter", "once", "--name", "churn", "--json"],
        env=exporter_env(trained_store, log_settings),
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()
    doc = json.loads(out.stdout)
    (version,) = doc["versions"]
    assert (version["model"], version["version"], version["window_samples"]) == ("churn", "1", 500)
    assert version["drift"] is False
