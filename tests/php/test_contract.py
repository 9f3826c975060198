"""PHP's copy of the shared names equals the Python source of truth, and the
receiver's /metrics exposes exactly the catalog's receiver metrics."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftline import (
    alert_contract,
    config,
    metric_catalog,
    registry_contract,
    retrain_contract,
    tasks,
)
from tests.php.conftest import PHP_DIR, Receiver, alert, notification


def _php_constants(expression: str) -> Any:
    code = f"require '{PHP_DIR}/src/autoload.php'; echo json_encode({expression});"
    out = subprocess.run(["php", "-r", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_php_contract_constants_equal_the_python_ones() -> None:
    php = _php_constants(
        "(new ReflectionClass(Driftline\\Contract\\SharedContract::class))->getConstants()"
    )
    receiver_metrics = [m for m in metric_catalog.METRICS if m.component == "receiver"]
    python = {
        "RETRAIN_LABEL": alert_contract.RETRAIN_LABEL,
        "RETRAIN_VALUE": alert_contract.RETRAIN_VALUE,
        "MODEL_LABEL": alert_contract.MODEL_LABEL,
        "VERSION_LABEL": alert_contract.VERSION_LABEL,
        "FEATURE_LABEL": alert_contract.FEATURE_LABEL,
        "SEVERITY_LABEL": alert_contract.SEVERITY_LABEL,
        "WEBHOOK_PAYLOAD_VERSION": alert_contract.WEBHOOK_PAYLOAD_VERSION,
        "WEBHOOK_PATH": alert_contract.WEBHOOK_PATH,
        "WEBHOOK_TOKEN_FILE_ENV": alert_contract.WEBHOOK_TOKEN_FILE_ENV,
        "OUTCOME_SCHEMA": retrain_contract.OUTCOME_SCHEMA,
        "OUTCOME_SCHEMA_VERSION": retrain_contract.OUTCOME_SCHEMA_VERSION,
        "OUTCOME_STATUSES": list(retrain_contract.STATUSES),
        "OUTCOME_BETTER": list(retrain_contract.BETTER),
        "OUTCOME_MARGIN_KINDS": list(retrain_contract.MARGIN_KINDS),
        "GATE_METRICS": {
            task: dataclasses.asdict(metric)
            for task, metric in retrain_contract.GATE_METRICS.items()
        },
        "TASK_PARAM": tasks.TASK_PARAM,
        "DEFAULT_TASK": tasks.DEFAULT_TASK,
        "CHAMPION_ALIAS": registry_contract.CHAMPION_ALIAS,
        "CHALLENGER_ALIAS": registry_contract.CHALLENGER_ALIAS,
        "CHAMPION_HISTORY_TAG": registry_contract.CHAMPION_HISTORY_TAG,
        "PROMOTION_DECISION_TAG": registry_contract.PROMOTION_DECISION_TAG,
        "DEFAULT_MODEL_NAME": config.DEFAULT_MODEL_NAME,
        "METRIC_WEBHOOKS": "driftline_webhooks_total",
        "METRIC_JOBS": "driftline_retrain_jobs",
        "METRIC_LAST_JOB_DURATION": "driftline_retrain_last_job_duration_seconds",
        "WEBHOOK_OUTCOMES": list(metric_catalog.WEBHOOK_OUTCOMES),
        "JOB_STATES": list(metric_catalog.JOB_STATES),
    }
    assert php == python
    # The three metric names PHP spells out are the catalog's receiver metrics, no more, no less.
    assert {php[k] for k in ("METRIC_WEBHOOKS", "METRIC_JOBS", "METRIC_LAST_JOB_DURATION")} == {
        m.name for m in receiver_metrics
    }
    # And the job states PHP stores are the queue's states.
    assert _php_constants(
        "array_map(fn($s) => $s->value, Driftline\\Queue\\JobState::cases())"
    ) == list(metric_catalog.JOB_STATES)


def test_php_help_texts_are_the_catalog_ones() -> None:
    php_help = _php_constants("Driftline\\Metrics\\ReceiverMetrics::HELP")
    assert php_help == {m.name: m.help for m in metric_catalog.METRICS if m.component == "receiver"}


def test_metrics_endpoint_names_types_and_labels_follow_the_catalog(receiver: Receiver) -> None:
    receiver.post_alerts(notification(alert()))
    receiver.post_alerts(notification(alert()))
    receiver.post_alerts(notification(alert()), token="wrong")
    with receiver.db() as db:
        db.execute("UPDATE jobs SET state = 'succeeded', started_at = 100.0, finished_at = 112.5")

    answer = receiver.get("/metrics")

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = answer.body.decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    expected = {m for m in metric_catalog.METRICS if m.component == "receiver"}
    # prometheus_client drops the _total suffix from a counter family's name.
    assert {f.name for f in families.values()} == {m.name.removesuffix("_total") for m in expected}
    for spec in expected:
        family = families[spec.name.removesuffix("_total")]
        assert family.type == spec.type, spec.name
        assert family.documentation == spec.help, spec.name
        for sample in family.samples:
            assert sample.name == spec.name
            assert tuple(sample.labels) == spec.labels, spec.name
    webhooks = {s.labels["outcome"]: s.value for s in families["driftline_webhooks"].samples}
    assert webhooks == {o: 0.0 for o in metric_catalog.WEBHOOK_OUTCOMES} | {
        "queued": 1.0,
        "duplicate": 1.0,
        "unauthorized": 1.0,
    }
    jobs = {s.labels["state"]: s.value for s in families["driftline_retrain_jobs"].samples}
    assert jobs == {"queued": 0.0, "running": 0.0, "succeeded": 1.0, "failed": 0.0}
    assert families["driftline_retrain_last_job_duration_seconds"].samples[0].value == 12.5


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_metrics_pass_promtool_check_metrics(receiver: Receiver) -> None:
    receiver.post_alerts(notification(alert()))
    text = receiver.get("/metrics").body

    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
