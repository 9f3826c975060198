"""Drift alert end to end: exporter -> Prometheus -> Alertmanager -> webhook, and resolved.

Real Prometheus and Alertmanager on loopback ports with the rendered --fast
configuration (`for:` scaled 1/300, Alertmanager timings of seconds). The PHP
receiver is replaced by a recording sink (tests/monitoring/webhook_sink.py).
Two drift sources:
- the real drift exporter (`driftline exporter serve`) over a prediction log
  filled with drifted, then clean traffic (skips while exporter.app is missing);
- a catalog exposition whose drift verdict the test flips: quick, always runs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from driftline import alert_contract as contract
from driftline.monitoring_render import (
    ALERTMANAGER,
    FAST_ALERTMANAGER_TIMING,
    JOB_EXPORTER,
    TargetGroup,
    render_alertmanager_config,
)
from driftline.runbooks import runbook_url
from stack.processes import free_port
from tests.monitoring.catalog_exposition import ExpositionState, serving_exposition
from tests.monitoring.monitoring_stack import ALERTMANAGER as ALERTMANAGER_BIN
from tests.monitoring.monitoring_stack import PROMETHEUS, Prometheus, alertmanager, prometheus
from tests.monitoring.webhook_sink import Notification, Sink, webhook_sink
from tests.support.processes import running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PROMETHEUS is None or ALERTMANAGER_BIN is None, reason="prometheus Debian packages missing"
    ),
]

TOKEN = "test-webhook-token-5f1c"
FOR_SCALE = 1 / 300  # DriftlineModelDriftDetected: for 15m -> 3s
ALERT = "DriftlineModelDriftDetected"


@contextmanager
def alerting_stack(tmp_path: Path, exporter: str) -> Iterator[tuple[Prometheus, Sink]]:
    """Sink, Alertmanager and Prometheus watching ``exporter`` (host:port)."""
    token_file = tmp_path / "webhook-token"
    token_file.write_text(TOKEN + "\n")
    with ExitStack() as stack:
        sink = stack.enter_context(webhook_sink())
        am_config = render_alertmanager_config(
            tmp_path / "runtime",
            receiver_url=sink.url,
            credentials_file=token_file,
            timing=FAST_ALERTMANAGER_TIMING,
        )
        am = stack.enter_context(alertmanager(tmp_path, am_config))
        targets = {JOB_EXPORTER: [TargetGroup((exporter,))], ALERTMANAGER: [TargetGroup((am,))]}
        prom = stack.enter_context(prometheus(tmp_path, targets, for_scale=FOR_SCALE))
        yield prom, sink


def _drift_notification(sink: Sink, status: str, timeout: float) -> Notification:
    """The next notification about ALERT with ``status``, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {status} {ALERT} notification within {timeout}s")
        note = sink.next(remaining)
        alerts = [a for a in note.payload["alerts"] if a["labels"]["alertname"] == ALERT]
        if alerts and note.payload["status"] == status:
            return note


def _check_round_trip(
    prom: Prometheus, sink: Sink, version: str, stop_drift: Callable[[], None]
) -> None:
    fired = _drift_notification(sink, "firing", timeout=90)
    assert fired.path == contract.WEBHOOK_PATH
    assert fired.authorization == f"Bearer {TOKEN}"
    payload = fired.payload
    assert payload["version"] == contract.WEBHOOK_PAYLOAD_VERSION
    # Drift without an accuracy loss is a notification for the PHP app, not a retrain.
    assert payload["receiver"] == "driftline-notify"
    assert payload["groupLabels"] == {"alertname": ALERT, contract.MODEL_LABEL: "churn"}
    (alert,) = [a for a in payload["alerts"] if a["labels"]["alertname"] == ALERT]
    assert alert["status"] == "firing"
    assert {k: alert["labels"][k] for k in ("model", "version", "severity")} == {
        "model": "churn",
        "version": version,
        "severity": "warning",
    }
    assert alert["annotations"]["runbook_url"] == runbook_url(ALERT)  # absolute: opens anywhere
    assert all(contract.RETRAIN_LABEL not in a["labels"] for a in payload["alerts"])

    stop_drift()
    resolved = _drift_notification(sink, "resolved", timeout=90)
    assert resolved.authorization == f"Bearer {TOKEN}"
    (alert,) = [a for a in resolved.payload["alerts"] if a["labels"]["alertname"] == ALERT]
    assert alert["status"] == "resolved" and alert["labels"]["version"] == version
    assert not prom.query(f'ALERTS{{alertname="{ALERT}", alertstate="firing"}}')["data"]["result"]


def test_drift_alert_delivered_and_resolved_with_controlled_exposition(tmp_path: Path) -> None:
    state = ExpositionState(versions=("3", "4"), drifting=True)
    with (
        serving_exposition("exporter", state) as exporter,
        alerting_stack(tmp_path, exporter) as (prom, sink),
    ):

        def stop_drift() -> None:
            state.drifting = False

        _check_round_trip(prom, sink, "3", stop_drift)


# --- with the real drift exporter ------------------------------------------------------


def _exporter_missing() -> str | None:
    if importlib.util.find_spec("exporter.app") is None:
        return "exporter.app is not importable yet"
    return None


@pytest.mark.skipif(_exporter_missing() is not None, reason=str(_exporter_missing()))
def test_drift_alert_delivered_and_resolved_with_real_exporter(
    tmp_path: Path, trained_store: object
) -> None:
    from tests.exporter.logdata import champion_model, log_traffic, open_log
    from tests.support.model_store import TrainedStore
    from training.synthetic import Drift, generate

    assert isinstance(trained_store, TrainedStore)
    log_url = f"sqlite:///{tmp_path / 'predictions.db'}"
    engine = open_log(log_url)
    model = champion_model(trained_store)
    version = str(trained_store.champion.version)
    window = 400
    drifted = generate(window, seed=11, drifts=[Drift("covariate", 1.5, ("tenure_months",))])
    log_traffic(engine, model, drifted, version=version, created_at=time.time())

    env = {
        **os.environ,
        **trained_store.env,
        "DRIFTLINE_PREDICTION_DB": log_url,
        "DRIFTLINE_EXPORTER_INTERVAL_SECONDS": "1",
        "DRIFTLINE_EXPORTER_WINDOW_SIZE": str(window),
        "DRIFTLINE_EXPORTER_MIN_SAMPLES": "100",
    }
    port = free_port()
    argv = [
        sys.executable,
        "-c",
        "import sys; from cli.main import main; sys.exit(main())",
        "exporter",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with (
        running(
            argv,
            ready_url=f"http://127.0.0.1:{port}/metrics",
            log=tmp_path / "exporter.log",
            env=env,
            timeout=120,
        ),
        alerting_stack(tmp_path, f"127.0.0.1:{port}") as (prom, sink),
    ):

        def stop_drift() -> None:
            # A full window of traffic like the training data pushes the drifted rows out.
            clean = generate(window, seed=12)
            log_traffic(engine, model, clean, version=version, created_at=time.time() + 1)

        _check_round_trip(prom, sink, version, stop_drift)
    engine.dispose()
