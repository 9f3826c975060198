"""Alert and recording rules: promtool checks, unit tests, catalog names, label contract."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from driftline import alert_contract as contract
from driftline.monitoring_render import parse_duration, render_prometheus_config
from driftline.runbooks import runbook_url
from tests.monitoring.monitoring_files import (
    RULE_TEST_DIR,
    RUNBOOKS_MD,
    THRESHOLDS_YML,
    alert_rules,
    load_yaml,
    problems_in,
    recording_rules,
    rule_files,
)
from tests.monitoring.monitoring_stack import PROMTOOL

pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package) missing")

# Decided in alerting/rules/driftline-alerts.yml (header comment) and docs/alerting.md.
RETRAIN_ALERTS = {"DriftlineModelAccuracyLow", "DriftlineModelErrorHigh"}
# Alerts about the pipeline as a whole rather than one model.
NOT_MODEL_LEVEL = {"DriftlineExporterDown", "DriftlineExporterStale", "DriftlineReceiverDown"}
VERSION_LEVEL = {
    "DriftlineModelAccuracyLow", "DriftlineModelErrorHigh", "DriftlineLabelsStopped",
    "DriftlineModelEstimatedPerformanceLow",
    "DriftlineFeatureDriftDetected", "DriftlineModelDriftDetected",
    "DriftlinePredictionDrift", "DriftlineHighErrorRatio", "DriftlineHighLatencyP99",
}  # fmt: skip
FEATURE_LEVEL = {"DriftlineFeatureDriftDetected"}
# Drift alerts fire from the exporter's verdict series and carry no threshold of their own.
VERDICT_SERIES = {
    "DriftlineFeatureDriftDetected": "driftline_feature_drift_detected",
    "DriftlineModelDriftDetected": "driftline_model_drift_detected",
    "DriftlinePredictionDrift": "driftline_prediction_drift_detected",
}
# thresholds.yml key -> the (alert, severity or a metric its expression reads) whose
# expression must contain its value.
THRESHOLD_USES: dict[str, list[tuple[str, str | None]]] = {
    "accuracy_min": [
        ("DriftlineModelAccuracyLow", None),
        ("DriftlineModelEstimatedPerformanceLow", "estimated_accuracy_ratio"),
    ],
    "accuracy_min_labelled_samples": [("DriftlineModelAccuracyLow", None)],
    "mae_ratio_max": [
        ("DriftlineModelErrorHigh", None),
        ("DriftlineModelEstimatedPerformanceLow", "estimated_mean_absolute_error"),
    ],
    "mae_min_labelled_samples": [("DriftlineModelErrorHigh", None)],
    "estimated_min_samples": [("DriftlineModelEstimatedPerformanceLow", None)],
    "labels_stale_seconds": [("DriftlineLabelsStopped", None)],
    "error_ratio": [("DriftlineHighErrorRatio", None)],
    "error_min_request_rate": [("DriftlineHighErrorRatio", None)],
    "latency_p99_seconds": [("DriftlineHighLatencyP99", None)],
    "exporter_stale_seconds": [("DriftlineExporterStale", None)],
}


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=120)


def _rule_tests() -> list[dict[str, Any]]:
    return [t for path in sorted(RULE_TEST_DIR.glob("*.yml")) for t in load_yaml(path)["tests"]]


def test_promtool_check_rules_accepts_every_rule_file() -> None:
    result = _promtool("check", "rules", *rule_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = _promtool("test", "rules", *sorted(RULE_TEST_DIR.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("for_scale", [0.5, 2.0], ids=["for-halved", "for-doubled"])
def test_unit_tests_fail_when_the_for_boundary_moves(tmp_path: Path, for_scale: float) -> None:
    """The boundary checks are real: rules with another `for:` must fail them."""
    render_prometheus_config(tmp_path, {}, for_scale=for_scale)
    tests_dir = tmp_path / "alerting" / "tests"
    shutil.copytree(RULE_TEST_DIR, tests_dir)
    result = _promtool("test", "rules", *sorted(tests_dir.glob("*.yml")))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for test in _rule_tests():
        for case in test.get("alert_rule_test", []):
            (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names - firing == set(), "alerts never expected to fire"
    assert names - silent == set(), "alerts never expected to stay silent"


def _minutes(text: str) -> float:
    return parse_duration(text) / 60


def test_every_alert_is_tested_one_step_either_side_of_its_for_boundary() -> None:
    """A silent check one evaluation step before a firing one, in the same test case."""
    bracketed: set[str] = set()
    for path in sorted(RULE_TEST_DIR.glob("*.yml")):
        step = _minutes(load_yaml(path)["evaluation_interval"])
        for test in load_yaml(path)["tests"]:
            cases = test.get("alert_rule_test", [])
            silent = {
                (c["alertname"], _minutes(c["eval_time"])) for c in cases if not c.get("exp_alerts")
            }
            for case in cases:
                if case.get("exp_alerts"):
                    name, at = case["alertname"], _minutes(case["eval_time"])
                    if (name, at - step) in silent:
                        bracketed.add(name)
    assert {rule["alert"] for rule in alert_rules()} - bracketed == set()


def test_every_recording_rule_has_an_expression_test() -> None:
    tested = {case["expr"] for t in _rule_tests() for case in t.get("promql_expr_test", [])}
    assert {rule["record"] for rule in recording_rules()} - tested == set()


def test_rule_expressions_use_only_catalog_metrics_and_labels() -> None:
    problems = [
        p
        for rule in alert_rules() + recording_rules()
        for p in problems_in(rule["expr"], rule.get("alert") or rule["record"])
    ]
    assert problems == []


def test_recording_rule_names_follow_level_metric_operations() -> None:
    for rule in recording_rules():
        level, metric, operations = rule["record"].split(":")
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", level), rule["record"]
        assert metric.startswith("driftline_"), rule["record"]
        assert re.fullmatch(r"[a-z0-9_]+", operations), rule["record"]
        # The level names exactly the labels the expression keeps.
        by_clause = re.match(r"\s*(sum|max) by \(([^)]*)\)", rule["expr"])
        if by_clause:
            kept = [label.strip() for label in by_clause.group(2).split(",")]
            assert sorted(kept) == sorted(level.split("_")), rule["record"]


def test_alerts_carry_severity_for_and_retrain_labels() -> None:
    retrain = set()
    for rule in alert_rules():
        name, labels = rule["alert"], rule.get("labels", {})
        assert re.fullmatch(r"Driftline([A-Z][a-z0-9]*|PSI|KS|P99)+", name), name
        assert labels.get(contract.SEVERITY_LABEL) in contract.SEVERITIES, name
        assert "for" in rule, name
        if contract.RETRAIN_LABEL in labels:
            assert labels[contract.RETRAIN_LABEL] == contract.RETRAIN_VALUE, name
            retrain.add(name)
    assert retrain == RETRAIN_ALERTS


def test_firing_alerts_in_unit_tests_carry_the_contract_labels() -> None:
    """promtool compares labels exactly, so the expected ones are what Prometheus sends."""
    seen = set()
    for test in _rule_tests():
        for case in test.get("alert_rule_test", []):
            for alert in case.get("exp_alerts") or []:
                labels, name = alert["exp_labels"], case["alertname"]
                seen.add(name)
                assert contract.SEVERITY_LABEL in labels, name
                if name not in NOT_MODEL_LEVEL:
                    assert labels.get(contract.MODEL_LABEL), name
                if name in VERSION_LEVEL:
                    assert labels.get(contract.VERSION_LABEL), name
                if name in FEATURE_LEVEL:
                    assert labels.get(contract.FEATURE_LABEL), name
                assert (labels.get(contract.RETRAIN_LABEL) == "true") == (name in RETRAIN_ALERTS)
    assert seen == {rule["alert"] for rule in alert_rules()}


def test_annotations_follow_one_pattern() -> None:
    for rule in alert_rules():
        name, notes = rule["alert"], rule["annotations"]
        assert set(notes) == {"summary", "description", "runbook_url"}, name
        assert "{{" not in notes["summary"] and notes["summary"].endswith("."), name
        assert notes["summary"].count(". ") == 0, f"{name}: summary is one sentence"
        if name not in NOT_MODEL_LEVEL:
            assert "$labels.model" in notes["description"], name
        if name in FEATURE_LEVEL:
            assert "$labels.feature" in notes["description"], name
        assert notes["runbook_url"] == runbook_url(name), name


def test_rendered_rules_point_runbook_links_at_the_configured_base(tmp_path: Path) -> None:
    base = "https://wiki.example.org/ops/driftline-runbooks"
    render_prometheus_config(tmp_path, {}, runbook_base_url=base)
    rendered = [
        rule
        for path in sorted((tmp_path / "alerting" / "rules").glob("*.yml"))
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert rendered
    for rule in rendered:
        assert rule["annotations"]["runbook_url"] == f"{base}#{rule['alert'].lower()}"
    with pytest.raises(ValueError, match="absolute"):
        render_prometheus_config(tmp_path, {}, runbook_base_url="docs/runbooks.md")


def test_drift_alerts_fire_from_the_verdict_series_only() -> None:
    """No drift threshold in the rules: `== 1` on the exporter's verdict, nothing else."""
    rules = {r["alert"]: r for r in alert_rules() if r["alert"] in VERDICT_SERIES}
    assert set(rules) == set(VERDICT_SERIES)
    for name, series in VERDICT_SERIES.items():
        expr = " ".join(rules[name]["expr"].split())
        assert re.fullmatch(rf"max by \([a-z, ]+\) \({series}\) == 1", expr), expr
    drift_metrics = re.compile(r"driftline_(feature|prediction)_(psi|ks|chi2)")
    for rule in alert_rules():
        assert not drift_metrics.search(rule["expr"]), rule["alert"]


def test_runbooks_have_the_four_sections_for_every_alert() -> None:
    text = RUNBOOKS_MD.read_text()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    by_title = {s.splitlines()[0].strip(): s for s in sections}
    for name in {rule["alert"] for rule in alert_rules()}:
        assert name in by_title, f"docs/runbooks.md has no '## {name}'"
        headings = re.findall(r"^### (.+)$", by_title[name], flags=re.M)
        assert headings == ["Meaning", "Impact", "Diagnosis", "Mitigation"], name


def _numbers(expr: str) -> set[float]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    return {
        float(n)
        for n in re.findall(r"(?<![\w.:])\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.:])", without_strings)
    }


def test_rule_thresholds_equal_the_thresholds_file() -> None:
    thresholds = load_yaml(THRESHOLDS_YML)
    assert set(thresholds) == set(THRESHOLD_USES), "every threshold has a known use"
    rules = alert_rules()
    for key, uses in THRESHOLD_USES.items():
        for alert, severity in uses:
            matching = [
                r for r in rules
                if r["alert"] == alert
                and (severity in (None, r["labels"]["severity"]) or str(severity) in r["expr"])
            ]  # fmt: skip
            assert matching, (key, alert, severity)
            for rule in matching:
                assert float(thresholds[key]) in _numbers(rule["expr"]), (key, alert)
