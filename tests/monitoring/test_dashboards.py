"""Grafana dashboards and provisioning: generated, schema-valid, wired to the data source."""

from __future__ import annotations

import copy
import importlib.util
import json
from types import ModuleType
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm

from driftline.tasks import TASKS
from exporter.stats.verdict import VerdictRule
from tests.monitoring.dashboard_queries import row_task
from tests.monitoring.monitoring_files import (
    DASHBOARD_DIR,
    GRAFANA_DIR,
    THRESHOLDS_YML,
    load_yaml,
    problems_in,
)

# What Grafana's SDK cannot express (dashboards/generate.py, ANNOTATIONS): the
# Prometheus annotation options, added to its JSON by the generator.
ANNOTATION_EXTRAS = {"step", "titleFormat", "textFormat", "useValueForTime"}
EXPECTED_UIDS = {
    "model-health.json": "driftline-model-health",
    "drift.json": "driftline-drift",
    "ab.json": "driftline-ab",
}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dashboards_generate", DASHBOARD_DIR / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _committed() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def _provisioned_datasource_uid() -> str:
    (ds,) = load_yaml(GRAFANA_DIR / "datasources" / "driftline.yml")["datasources"]
    assert ds["type"] == "prometheus"
    return str(ds["uid"])


def _datasource_refs(node: Any) -> list[dict[str, Any]]:
    """Every `datasource` object anywhere in a dashboard."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                found.append(value)
            else:
                found.extend(_datasource_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_datasource_refs(item))
    return found


def _panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["title"] == title)


def _query_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The panels with queries: every panel but the row headings."""
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _threshold_values(panel: dict[str, Any]) -> list[float]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [s["value"] for s in steps if s["value"] is not None]


def test_committed_json_equals_a_fresh_generation() -> None:
    generator = _generator()
    fresh = {name: generator.render(d) for name, d in generator.build_dashboards().items()}
    committed = {p.name: p.read_text() for p in sorted(DASHBOARD_DIR.glob("*.json"))}
    assert committed == fresh, "run .venv/bin/python dashboards/generate.py and commit"


def _through_the_sdk_model(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The dashboard parsed into Grafana's SDK types and encoded again."""
    model = dm.Dashboard.from_json(copy.deepcopy(dashboard))
    encoded: dict[str, Any] = json.loads(json.dumps(model, cls=JSONEncoder))
    return encoded


def test_dashboards_are_what_grafanas_sdk_types_hold_with_fixed_unique_uids() -> None:
    """Instead of a hand-written schema: a field the SDK does not know would be lost."""
    dashboards = _committed()
    assert {name: d["uid"] for name, d in dashboards.items()} == EXPECTED_UIDS
    for name, dashboard in dashboards.items():
        expected = copy.deepcopy(dashboard)
        for annotation in expected["annotations"]["list"]:
            for key in ANNOTATION_EXTRAS:
                del annotation[key]
        assert _through_the_sdk_model(dashboard) == expected, name
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name


def test_the_sdk_round_trip_catches_an_unknown_field() -> None:
    broken = copy.deepcopy(_committed()["drift.json"])
    broken["panels"][0]["fieldConfig"]["defaults"]["thresholdz"] = {}
    assert _through_the_sdk_model(broken) != broken


def test_rows_are_open_and_every_panel_names_its_datasource_uid() -> None:
    """A collapsed row holds its panels inside it, out of reach of the query checks."""
    for name, dashboard in _committed().items():
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                assert panel["collapsed"] is False and panel["panels"] == [], name
            else:
                assert panel["datasource"]["uid"], (name, panel["title"])


def test_every_query_uses_the_provisioned_datasource() -> None:
    uid = _provisioned_datasource_uid()
    for name, dashboard in _committed().items():
        refs = _datasource_refs(dashboard)
        assert refs, name
        assert all(ref == {"type": "prometheus", "uid": uid} for ref in refs), name


def test_provisioning_loads_dashboards_from_files() -> None:
    (provider,) = load_yaml(GRAFANA_DIR / "dashboards" / "driftline.yml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


def test_model_and_version_variables_and_annotations() -> None:
    for name, dashboard in _committed().items():
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert set(variables) == {"model", "version"}, name
        assert variables["version"]["multi"] and variables["version"]["includeAll"]
        assert "$model" in variables["version"]["query"]["query"]
        annotations = {a["name"] for a in dashboard["annotations"]["list"]}
        assert annotations == {"Driftline alerts", "Model promotions"}, name
        for panel in _query_panels(dashboard):
            for target in panel["targets"]:
                expr = target["expr"]
                if "driftline_exporter_" not in expr:  # the exporter is model-independent
                    assert 'model="$model"' in expr, (name, panel["title"])
                if "version=" in expr:
                    assert 'version=~"$version"' in expr, (name, panel["title"])


def test_queries_use_only_catalog_metrics_and_recorded_series() -> None:
    problems = []
    for name, dashboard in _committed().items():
        exprs = [t["expr"] for p in _query_panels(dashboard) for t in p["targets"]]
        exprs += [a["expr"] for a in dashboard["annotations"]["list"]]
        for expr in exprs:
            problems += problems_in(expr, name)
    assert problems == []


def test_threshold_lines_sit_at_the_alert_levels() -> None:
    t = load_yaml(THRESHOLDS_YML)
    health, drift, ab = (_committed()[n] for n in ("model-health.json", "drift.json", "ab.json"))
    assert _threshold_values(_panel(health, "Estimated and realized accuracy")) == [
        t["accuracy_min"]
    ]
    assert _threshold_values(_panel(ab, "Accuracy per version")) == [t["accuracy_min"]]
    assert _threshold_values(_panel(health, "Samples in window")) == [
        t["accuracy_min_labelled_samples"]
    ]
    assert _threshold_values(_panel(health, "MAE relative to holdout")) == [t["mae_ratio_max"]]
    assert _threshold_values(_panel(health, "Samples behind the error")) == [
        t["mae_min_labelled_samples"]
    ]
    assert _threshold_values(_panel(health, "Error ratio (5xx)")) == [t["error_ratio"]]
    assert _threshold_values(_panel(health, "Latency quantiles of /predict")) == [
        t["latency_p99_seconds"]
    ]
    # Drift lines sit at the verdict's thresholds, which the drift alerts fire from.
    rule = VerdictRule()
    assert _threshold_values(_panel(drift, "PSI per feature")) == [rule.psi_max]
    assert _threshold_values(_panel(drift, "KS statistic per numeric feature")) == [rule.ks_min]
    assert _threshold_values(_panel(drift, "Prediction drift")) == [rule.prediction_psi_max]
    assert _threshold_values(_panel(drift, "Exporter staleness")) == [t["exporter_stale_seconds"]]
    for dashboard in (health, drift, ab):
        for panel in dashboard["panels"]:
            if panel["type"] == "timeseries" and _threshold_values(panel):
                style = panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"]
                assert style == "line", panel["title"]


def test_model_health_has_a_row_per_task() -> None:
    """The query checks learn a panel's task from its row's title (dashboard_queries.py)."""
    rows = [p["title"] for p in _committed()["model-health.json"]["panels"] if p["type"] == "row"]
    assert sorted(filter(None, map(row_task, rows))) == sorted(TASKS)


def test_required_panels_exist() -> None:
    titles = {name: {p["title"] for p in d["panels"]} for name, d in _committed().items()}
    assert {
        "Estimated and realized accuracy",
        "Samples in window",
        "Request rate",
        "Error ratio (5xx)",
        "Latency quantiles of /predict",
        "Predictions by class",
        "Estimated and realized MAE",
        "MAE relative to holdout",
        "Root mean squared error",
        "R² per version",
        "Mean error (bias)",
        "Samples behind the error",
    } <= titles["model-health.json"]
    assert {
        "PSI per feature",
        "KS statistic per numeric feature",
        "Worst features now",
        "Prediction drift",
        "Missing-value share per feature",
        "Drift verdict",
    } <= titles["drift.json"]
    assert {"Traffic split", "Accuracy per version", "p99 latency of /predict per version"} <= (
        titles["ab.json"]
    )
