"""The inhibition rules of alerting/alertmanager.yml, checked in a real Alertmanager.

Alerts are posted straight to Alertmanager's API (as Prometheus would) and the
API's own verdict (`status.state`, `status.inhibitedBy`) is read back.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from driftline.monitoring_render import render_alertmanager_config
from tests.monitoring.monitoring_stack import ALERTMANAGER, alertmanager, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ALERTMANAGER is None, reason="prometheus-alertmanager package missing"),
]


def _alert(**labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": labels,
        "annotations": {"summary": "test"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(minutes=10)).isoformat(),
    }


def _states(am: str) -> dict[str, str]:
    with urllib.request.urlopen(f"http://{am}/api/v2/alerts", timeout=10) as resp:
        alerts = json.load(resp)
    return {a["labels"]["case"]: a["status"]["state"] for a in alerts}


def test_inhibitions_suppress_exactly_the_intended_alerts(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("unused\n")
    # The receiver URL is a closed loopback port: deliveries fail, inhibition does not care.
    config = render_alertmanager_config(
        tmp_path, receiver_url="http://127.0.0.1:9", credentials_file=token
    )
    alerts = [
        _alert(
            case="service-down",
            alertname="DriftlineInferenceServiceDown",
            model="churn",
            deployment="champion",
            severity="critical",
        ),
        _alert(
            case="churn-drift",
            alertname="DriftlineModelDriftDetected",
            model="churn",
            version="3",
            severity="warning",
            retrain="true",
        ),
        _alert(
            case="churn-accuracy",
            alertname="DriftlineModelAccuracyLow",
            model="churn",
            version="3",
            severity="critical",
            retrain="true",
        ),
        _alert(
            case="houses-service-down",
            alertname="DriftlineInferenceServiceDown",
            model="houses",
            deployment="champion",
            severity="critical",
        ),
        _alert(
            case="houses-error",
            alertname="DriftlineModelErrorHigh",
            model="houses",
            version="2",
            severity="critical",
            retrain="true",
        ),
        _alert(
            case="churn-latency",
            alertname="DriftlineHighLatencyP99",
            model="churn",
            version="3",
            endpoint="/predict",
            severity="warning",
        ),
        _alert(
            case="other-drift",
            alertname="DriftlineModelDriftDetected",
            model="upsell",
            version="1",
            severity="warning",
            retrain="true",
        ),
        _alert(
            case="churn-feature-drift",
            alertname="DriftlineFeatureDriftDetected",
            model="churn",
            version="3",
            feature="tenure_months",
            severity="warning",
        ),
        _alert(
            case="upsell-feature-drift",
            alertname="DriftlineFeatureDriftDetected",
            model="upsell",
            version="1",
            feature="tenure_months",
            severity="warning",
        ),
        _alert(case="exporter-down", alertname="DriftlineExporterDown", severity="critical"),
        _alert(case="exporter-stale", alertname="DriftlineExporterStale", severity="warning"),
    ]
    expected = {
        "service-down": "active",
        "churn-drift": "suppressed",
        "churn-accuracy": "suppressed",
        "houses-service-down": "active",
        "houses-error": "suppressed",
        "churn-latency": "active",  # serving alerts are not inhibited by the outage
        "other-drift": "active",  # another model
        "churn-feature-drift": "suppressed",
        "upsell-feature-drift": "active",
        "exporter-down": "active",
        "exporter-stale": "suppressed",
    }
    with alertmanager(tmp_path, config) as am:
        request = urllib.request.Request(
            f"http://{am}/api/v2/alerts",
            data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
        wait_until(lambda: _states(am) == expected, 20, f"states never became {expected}")
