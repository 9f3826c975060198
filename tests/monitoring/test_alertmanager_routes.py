"""alerting/alertmanager.yml: amtool validity, routing of every alert, inhibitions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from driftline import alert_contract as contract
from driftline.monitoring_render import FAST_ALERTMANAGER_TIMING, render_alertmanager_config
from tests.monitoring.monitoring_files import ALERTMANAGER_YML, alert_rules, load_yaml
from tests.monitoring.monitoring_stack import AMTOOL

pytestmark = pytest.mark.skipif(AMTOOL is None, reason="amtool (Debian package) missing")

RETRAIN_RECEIVER = "driftline-retrain"
NOTIFY_RECEIVER = "driftline-notify"
DEFAULT_RECEIVER = "default"
INHIBITED_WHILE_SERVICE_DOWN = {
    "DriftlineModelAccuracyLow", "DriftlineModelErrorHigh", "DriftlineLabelsStopped",
    "DriftlineFeatureDriftDetected", "DriftlineModelDriftDetected",
    "DriftlinePredictionDrift", "DriftlineModelEstimatedPerformanceLow",
}  # fmt: skip


def _amtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert AMTOOL is not None
    return subprocess.run([AMTOOL, *map(str, args)], capture_output=True, text=True, timeout=60)


def _route_test(
    config: Path, expected: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        f"--verify.receivers={expected}",
        *(f"{k}={v}" for k, v in sorted(labels.items())),
    )


def _alert_label_sets() -> list[tuple[str, dict[str, str]]]:
    """Each alert rule's labels as Alertmanager would see them (model filled in)."""
    sets = []
    for rule in alert_rules():
        labels = {"alertname": rule["alert"], **rule.get("labels", {})}
        # A model-level alert names its model in the description (test_alert_rules checks).
        if "$labels.model" in rule["annotations"]["description"]:
            labels["model"] = "churn"
        sets.append((f"{rule['alert']}/{labels['severity']}", labels))
    return sets


def _expected_receiver(labels: dict[str, str]) -> str:
    """Retrain-worthy alerts start jobs; other model alerts notify the PHP app."""
    if labels.get(contract.RETRAIN_LABEL) == contract.RETRAIN_VALUE:
        return RETRAIN_RECEIVER
    return NOTIFY_RECEIVER if contract.MODEL_LABEL in labels else DEFAULT_RECEIVER


def test_amtool_accepts_the_committed_config() -> None:
    result = _amtool("check-config", ALERTMANAGER_YML)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "labels"), [pytest.param(n, labels, id=n) for n, labels in _alert_label_sets()]
)
def test_each_alert_reaches_the_intended_receiver(name: str, labels: dict[str, str]) -> None:
    result = _route_test(ALERTMANAGER_YML, _expected_receiver(labels), labels)
    assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_route_verification_fails_on_a_wrong_receiver() -> None:
    """amtool's --verify.receivers really checks: a retrain alert is not for `default`."""
    labels = {"alertname": "DriftlineModelAccuracyLow", "model": "churn", "retrain": "true"}
    assert _route_test(ALERTMANAGER_YML, DEFAULT_RECEIVER, labels).returncode != 0
    assert _route_test(ALERTMANAGER_YML, NOTIFY_RECEIVER, labels).returncode != 0


def test_drift_without_accuracy_loss_notifies_but_does_not_retrain() -> None:
    labels = {"alertname": "DriftlineModelDriftDetected", "model": "churn", "severity": "warning"}
    assert _route_test(ALERTMANAGER_YML, NOTIFY_RECEIVER, labels).returncode == 0
    assert _route_test(ALERTMANAGER_YML, RETRAIN_RECEIVER, labels).returncode != 0


def test_retrain_route_groups_by_model_and_sends_resolved_with_a_token_file() -> None:
    config = load_yaml(ALERTMANAGER_YML)
    (route,) = [r for r in config["route"]["routes"] if r["receiver"] == RETRAIN_RECEIVER]
    assert route["matchers"] == [f'{contract.RETRAIN_LABEL}="{contract.RETRAIN_VALUE}"']
    assert route["group_by"] == [contract.MODEL_LABEL]
    (receiver,) = [r for r in config["receivers"] if r["name"] == RETRAIN_RECEIVER]
    (hook,) = receiver["webhook_configs"]
    assert hook["send_resolved"] is True
    assert hook["url"].endswith(contract.WEBHOOK_PATH)
    auth = hook["http_config"]["authorization"]
    assert auth["type"] == "Bearer" and auth["credentials_file"]
    assert "credentials" not in auth, "the token is read from a file, never inlined"


def test_service_down_inhibits_the_model_quality_alerts() -> None:
    config = load_yaml(ALERTMANAGER_YML)
    (rule,) = [
        r for r in config["inhibit_rules"]
        if r["source_matchers"] == ['alertname="DriftlineInferenceServiceDown"']
    ]  # fmt: skip
    assert rule["equal"] == [contract.MODEL_LABEL]
    (target,) = rule["target_matchers"]
    pattern = re.fullmatch(r'alertname=~"(.*)"', target)
    assert pattern is not None
    names = {r["alert"] for r in alert_rules()}
    inhibited = {n for n in names if re.fullmatch(pattern.group(1), n)}
    assert inhibited == INHIBITED_WHILE_SERVICE_DOWN


def test_rendered_config_passes_amtool_and_routes_the_same(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    config = render_alertmanager_config(
        tmp_path,
        receiver_url="http://127.0.0.1:18080",
        credentials_file=token,
        timing=FAST_ALERTMANAGER_TIMING,
    )
    result = _amtool("check-config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, labels in _alert_label_sets():
        assert _route_test(config, _expected_receiver(labels), labels).returncode == 0, name


def test_a_confirmed_realized_alert_inhibits_the_estimate_of_the_same_version() -> None:
    config = load_yaml(ALERTMANAGER_YML)
    (rule,) = [
        r for r in config["inhibit_rules"]
        if r["target_matchers"] == ['alertname="DriftlineModelEstimatedPerformanceLow"']
    ]  # fmt: skip
    assert rule["equal"] == [contract.MODEL_LABEL, contract.VERSION_LABEL]
    (source,) = rule["source_matchers"]
    pattern = re.fullmatch(r'alertname=~"(.*)"', source)
    assert pattern is not None
    names = {r["alert"] for r in alert_rules()}
    assert {n for n in names if re.fullmatch(pattern.group(1), n)} == {
        "DriftlineModelAccuracyLow",
        "DriftlineModelErrorHigh",
    }
