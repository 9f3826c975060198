"""A real Alertmanager delivers to the real PHP receiver: its payload parses, its bearer
token is accepted, and a retrain alert becomes exactly one job."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stack.processes import free_port
from tests.php.conftest import Receiver, http
from tests.support.eventually import eventually
from tests.support.processes import running

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ALERTMANAGER is None, reason="Alertmanager is not installed"),
]


def _config(receiver: Receiver) -> str:
    return json.dumps({
        "route": {
            "receiver": "default",
            "group_by": ["model"],
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "1h",
            "routes": [{"receiver": "driftline-retrain", "matchers": ['retrain="true"']}],
        },
        "receivers": [
            {"name": "default"},
            {"name": "driftline-retrain", "webhook_configs": [{
                "url": f"{receiver.url}/alerts",
                "send_resolved": True,
                "http_config": {"authorization": {
                    "type": "Bearer",
                    "credentials_file": receiver.env["DRIFTLINE_WEBHOOK_TOKEN_FILE"],
                }},
            }]},
        ],
    })  # fmt: skip


def _alert(name: str, feature: str, ends: datetime | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    alert: dict[str, Any] = {
        "labels": {"alertname": name, "model": "churn", "version": "3", "feature": feature,
                   "severity": "warning", "retrain": "true"},
        "annotations": {"summary": "Feature drift.", "description": f"PSI of {feature} is 0.31"},
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
    }  # fmt: skip
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def test_alertmanager_notifications_become_one_job(receiver: Receiver, tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(_config(receiver))  # JSON is YAML
    port = free_port()
    argv = [
        str(ALERTMANAGER), f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
    ]  # fmt: skip
    am = f"http://127.0.0.1:{port}"
    with running(argv, ready_url=f"{am}/-/ready", log=tmp_path / "am.log", timeout=60):
        two = [_alert("DriftlineFeatureDriftDetected", "tenure_months"),
               _alert("DriftlineFeatureDriftDetected", "monthly_charges")]  # fmt: skip
        posted = http("POST", f"{am}/api/v2/alerts", json.dumps(two).encode(),
                      {"Content-Type": "application/json"})  # fmt: skip
        assert posted.status == 200, posted.body

        eventually(lambda: len(receiver.jobs()) == 1, 30, "Alertmanager's notification")
        [job] = receiver.jobs()
        assert job["model"] == "churn" and job["state"] == "queued"
        assert job["reason"]["receiver"] == "driftline-retrain"
        features = sorted(a["labels"]["feature"] for a in job["reason"]["alerts"])
        assert features == ["monthly_charges", "tenure_months"]

        # Resolving the alerts sends a resolved notification, recorded without a new job.
        ended = datetime.now(UTC) - timedelta(seconds=1)
        resolved = [
            _alert("DriftlineFeatureDriftDetected", f, ended)
            for f in ("tenure_months", "monthly_charges")
        ]
        http("POST", f"{am}/api/v2/alerts", json.dumps(resolved).encode(),
             {"Content-Type": "application/json"})  # fmt: skip

        def outcomes() -> list[str]:
            with receiver.db() as db:
                return [r[0] for r in db.execute("SELECT outcome FROM notifications ORDER BY id")]

        eventually(lambda: "resolved" in outcomes(), 30, "the resolved notification")
    assert outcomes()[0] == "queued"
    assert len(receiver.jobs()) == 1
    with receiver.db() as db:
        assert (
            db.execute(
                "SELECT count FROM webhook_outcomes WHERE outcome = 'unauthorized'"
            ).fetchone()
            is None
        )
