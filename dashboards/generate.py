"""Generate the driftline Grafana dashboards as JSON.

Run ``.venv/bin/python dashboards/generate.py`` after changing this file or
alerting/thresholds.yml and commit the JSON it writes next to it;
tests/monitoring/test_dashboards.py fails while the committed JSON differs from
a fresh generation. Grafana loads the JSON through
grafana/provisioning/dashboards/driftline.yml.

Queries use the recording rules of prometheus/rules/ where one exists, and the
template variables ``$model`` and ``$version`` (multi-value, so matched with
``=~``). Threshold lines sit at the alert levels of alerting/thresholds.yml, and
drift lines at the exporter's verdict thresholds (exporter/stats/verdict.py),
which the drift alerts fire from.

A row titled after a task (``Classification: ...``, ``Regression: ...``) holds
panels that only that task's versions fill: PromQL tells a regression version by
its holdout MAE series, which the exporter always exports for one and never for
a classifier. tests/monitoring/dashboard_queries.py reads the task from the title.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

from driftline.monitoring_render import alert_for, load_thresholds
from exporter.stats.verdict import VerdictRule

HERE: Final = Path(__file__).resolve().parent
DATASOURCE_UID: Final = "driftline-prometheus"
DATASOURCE: Final = {"type": "prometheus", "uid": DATASOURCE_UID}
SCHEMA_VERSION: Final = 39

Json = dict[str, Any]
MV: Final = 'model="$model", version=~"$version"'


def _steps(*levels: tuple[str, float | None]) -> Json:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in levels]}


def _target(expr: str, legend: str = "", ref: str = "A", *, instant: bool = False) -> Json:
    target: Json = {"refId": ref, "datasource": DATASOURCE, "expr": expr}
    if instant:
        target.update({"instant": True, "range": False, "format": "table"})
    else:
        target.update({"instant": False, "range": True, "legendFormat": legend or "__auto"})
    return target


def _panel(
    kind: str,
    title: str,
    description: str,
    targets: list[Json],
    *,
    unit: str = "short",
    thresholds: Json | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    stacked: bool = False,
    mappings: list[Json] | None = None,
    value_name: str = "Value",
) -> Json:
    defaults: Json = {"unit": unit}
    if minimum is not None:
        defaults["min"] = minimum
    if maximum is not None:
        defaults["max"] = maximum
    defaults["thresholds"] = thresholds or _steps(("green", None))
    if mappings:
        defaults["mappings"] = mappings
    options: Json = {}
    if kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "fillOpacity": 20 if stacked else 0,
            "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
            # Draw the alert level as a line when the panel has one.
            "thresholdsStyle": {"mode": "line" if thresholds else "off"},
        }
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    elif kind in ("stat", "bargauge"):
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "horizontal",
        }
    overrides: list[Json] = []
    transformations: list[Json] = []
    if kind == "table":
        # Instant query tables: drop the timestamp column, name and colour the value.
        transformations = [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]
        overrides = [
            {
                "matcher": {"id": "byName", "options": "Value"},
                "properties": [
                    {"id": "displayName", "value": value_name},
                    {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                ],
            }
        ]
        options = {"showHeader": True, "sortBy": [{"displayName": value_name, "desc": True}]}
    panel: Json = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": overrides},
        "options": options,
    }
    if transformations:
        panel["transformations"] = transformations
    return panel


def _row(title: str) -> Json:
    """A Grafana row: a heading across the dashboard over the panels that follow it."""
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def _layout(panels: list[Json], width: int = 12, height: int = 8) -> list[Json]:
    """Two panels per line under each row, ids in reading order (unique per dashboard)."""
    per_line = 24 // width
    y = column = 0
    for i, panel in enumerate(panels):
        panel["id"] = i + 1
        if panel["type"] == "row":
            if column:  # a half-filled line above: the row starts below it
                y, column = y + height, 0
            panel["gridPos"] = {"h": 1, "w": 24, "x": 0, "y": y}
            y += 1
            continue
        panel["gridPos"] = {"h": height, "w": width, "x": column * width, "y": y}
        column += 1
        if column == per_line:
            y, column = y + height, 0
    return panels


def _variables() -> Json:
    model = {
        "name": "model",
        "label": "Model",
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": "label_values(driftline_model_info, model)", "refId": "model"},
        "definition": "label_values(driftline_model_info, model)",
        "refresh": 2,
        "sort": 1,
        "multi": False,
        "includeAll": False,
    }
    version_query = 'label_values(driftline_model_info{model="$model"}, version)'
    version = {
        "name": "version",
        "label": "Version",
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": version_query, "refId": "version"},
        "definition": version_query,
        "refresh": 2,
        "sort": 3,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }
    return {"list": [model, version]}


def _annotations() -> Json:
    return {
        "list": [
            {
                "name": "Driftline alerts",
                "datasource": DATASOURCE,
                "enable": True,
                "iconColor": "red",
                "expr": 'ALERTS{alertstate="firing", model="$model"}',
                "step": "60s",
                "titleFormat": "{{alertname}}",
                "textFormat": "{{severity}} version={{version}} feature={{feature}}",
                "useValueForTime": False,
            },
            {
                # A version that the champion deployment serves now and did not
                # five minutes ago: a promotion (or a rollback).
                "name": "Model promotions",
                "datasource": DATASOURCE,
                "enable": True,
                "iconColor": "blue",
                "expr": (
                    'max by (model, version) (driftline_model_info{model="$model", '
                    'deployment="champion"} == 1) unless max by (model, version) '
                    '(driftline_model_info{model="$model", deployment="champion"} offset 5m == 1)'
                ),
                "step": "60s",
                "titleFormat": "Champion is now version {{version}}",
                "textFormat": "",
                "useValueForTime": False,
            },
        ]
    }


def _dashboard(uid: str, title: str, description: str, panels: list[Json]) -> Json:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["driftline"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": _variables(),
        "annotations": _annotations(),
        "links": [
            {"title": "Driftline", "type": "dashboards", "tags": ["driftline"], "asDropdown": True}
        ],
        "panels": _layout(panels),
    }


# Only a regression version has a holdout MAE, below the labelled minimum too.
HOLDOUT_MAE: Final = f"model_version:driftline_reference_mean_absolute_error:max{{{MV}}}"
WINDOW_MAE: Final = f"model_version:driftline_model_mean_absolute_error:max{{{MV}}}"


def model_health(t: dict[str, float]) -> Json:
    accuracy = _steps(("red", None), ("green", t["accuracy_min"]))
    return _dashboard(
        "driftline-model-health",
        "Driftline / Model health",
        "Live accuracy (classifiers) or error (regression models), traffic, errors and "
        "latency of the served model versions.",
        [
            _row("Classification: accuracy"),
            _panel("timeseries", "Estimated and realized accuracy",
                   "Realized: accuracy over the labelled window. Estimated: from every "
                   "prediction's calibrated probability, labelled or not, with its 95% band "
                   "(docs/estimation.md); it moves first when labels come late. The line is "
                   "the alert level of both.",
                   [_target(f"model_version:driftline_model_accuracy_ratio:max{{{MV}}}",
                            "v{{version}} realized"),
                    _target("max without (bound) (model_version_bound:driftline_model_"
                            f'estimated_accuracy_ratio:max{{{MV}, bound="estimate"}})',
                            "v{{version}} estimated", "B"),
                    _target("model_version_bound:driftline_model_estimated_accuracy_ratio:max"
                            f'{{{MV}, bound=~"lower|upper"}}',
                            "v{{version}} estimated {{bound}}", "C")],
                   unit="percentunit", minimum=0, maximum=1, thresholds=accuracy),
            _panel("timeseries", "Samples in window",
                   "Predictions and labelled predictions behind the accuracy; below the line "
                   "the accuracy alert stays silent.",
                   [_target(f"model_version_kind:driftline_window_samples:max{{{MV}}}"
                            f" unless on (model, version) {HOLDOUT_MAE}",
                            "v{{version}} {{kind}}")],
                   thresholds=_steps(("orange", None),
                                     ("green", t["accuracy_min_labelled_samples"]))),
            _row("Regression: error"),
            _panel("timeseries", "Estimated and realized MAE",
                   "MAE over the labelled window and on the version's training holdout, in "
                   "the target's unit: the two numbers the error alert compares; and the MAE "
                   "the version's error estimator expects over every prediction, labelled or "
                   "not, with its 95% band (docs/estimation.md).",
                   [_target(WINDOW_MAE, "v{{version}} window"),
                    _target(HOLDOUT_MAE, "v{{version}} holdout", "B"),
                    _target("model_version_bound:driftline_model_estimated_mean_absolute_error"
                            f":max{{{MV}}}", "v{{version}} estimated {{bound}}", "C")],
                   minimum=0),
            _panel("timeseries", "MAE relative to holdout",
                   "Window MAE divided by holdout MAE; above the line for 15 minutes, on "
                   "enough labels, the error alert fires and retraining starts.",
                   [_target(f"{WINDOW_MAE} / on (model, version) {HOLDOUT_MAE}",
                            "v{{version}}")],
                   minimum=0, thresholds=_steps(("green", None), ("red", t["mae_ratio_max"]))),
            _panel("timeseries", "Root mean squared error",
                   "RMSE over the labelled window, in the target's unit; it weighs large "
                   "misses more than the MAE does.",
                   [_target("max by (version) "
                            f"(driftline_model_root_mean_squared_error{{{MV}}})",
                            "v{{version}}")], minimum=0),
            _panel("timeseries", "R² per version",
                   "Coefficient of determination over the labelled window: 1 is perfect, 0 "
                   "no better than always predicting the mean, below 0 worse.",
                   [_target(f"max by (version) (driftline_model_r2{{{MV}}})", "v{{version}}")],
                   maximum=1),
            _panel("timeseries", "Mean error (bias)",
                   "Mean of prediction minus label over the labelled window: above 0 the "
                   "model predicts too high, below 0 too low (a target rising past it).",
                   [_target(f"max by (version) (driftline_model_mean_error{{{MV}}})",
                            "v{{version}}")]),
            _panel("timeseries", "Samples behind the error",
                   "Predictions and labelled predictions in the window of regression "
                   "versions; below the line the error alert stays silent.",
                   [_target(f"model_version_kind:driftline_window_samples:max{{{MV}}}"
                            f" and on (model, version) {HOLDOUT_MAE}",
                            "v{{version}} {{kind}}")],
                   thresholds=_steps(("orange", None),
                                     ("green", t["mae_min_labelled_samples"]))),
            _row("Serving"),
            _panel("timeseries", "Request rate",
                   "Requests per second by endpoint, over 5 minutes.",
                   [_target(f"model_version_endpoint:driftline_http_requests:rate5m{{{MV}}}",
                            "v{{version}} {{endpoint}}")], unit="reqps"),
            _panel("timeseries", "Error ratio (5xx)",
                   "Share of requests answered with a server error.",
                   [_target("model_version_endpoint:driftline_http_requests:errors_ratio_rate5m"
                            f"{{{MV}}}", "v{{version}} {{endpoint}}")],
                   unit="percentunit", minimum=0,
                   thresholds=_steps(("green", None), ("red", t["error_ratio"]))),
            _panel("timeseries", "Latency quantiles of /predict",
                   "p50, p90 and p99 from the request-duration histogram, over 5 minutes.",
                   [_target("model_version_endpoint:driftline_http_request_duration_seconds:"
                            f'histogram_quantile_rate5m{{{MV}, endpoint="/predict"}}',
                            "v{{version}} q{{quantile}}")],
                   unit="s", minimum=0,
                   thresholds=_steps(("green", None), ("red", t["latency_p99_seconds"]))),
            _panel("timeseries", "Predictions by class",
                   "Records predicted per second, by predicted class.",
                   [_target(f"model_version_class:driftline_predictions:rate5m{{{MV}}}",
                            "v{{version}} class {{class}}")], unit="reqps", stacked=True),
            _panel("timeseries", "Feedback by outcome",
                   "Ground-truth labels received per second, by outcome.",
                   [_target('sum by (outcome) (rate(driftline_feedback_total{model="$model"}'
                            "[$__rate_interval]))", "{{outcome}}")], unit="reqps", stacked=True),
            _panel("table", "Instances serving each version",
                   "Inference server instances whose workers serve each version now.",
                   [_target("count by (deployment, version) (max by (instance, deployment, "
                            'version) (driftline_model_info{model="$model"} == 1))',
                            instant=True)], value_name="Instances"),
        ],
    )  # fmt: skip


def drift(t: dict[str, float], rule: VerdictRule) -> Json:
    # PSI at or above psi_max is drift whatever the p-value; below it the KS or
    # chi-square test decides, so there is no lower line worth drawing.
    psi = _steps(("green", None), ("red", rule.psi_max))
    verdict_for = alert_for("DriftlineModelDriftDetected")
    verdict_map = [
        {"type": "value", "options": {"0": {"text": "no drift", "color": "green"},
                                      "1": {"text": "DRIFT", "color": "red"}}}
    ]  # fmt: skip
    return _dashboard(
        "driftline-drift",
        "Driftline / Drift",
        "Feature and prediction drift against the training reference, per model version.",
        [
            _panel("stat", "Drift verdict",
                   f"The exporter's per-model drift verdict; raised for {verdict_for} it fires "
                   "DriftlineModelDriftDetected, which informs and never starts retraining: "
                   "retraining starts when the labelled accuracy (or error) alert fires.",
                   [_target(f"max by (version) (driftline_model_drift_detected{{{MV}}})",
                            "v{{version}}")],
                   thresholds=_steps(("green", None), ("red", 1)), mappings=verdict_map),
            _panel("timeseries", "Drifted features",
                   "Features the drift rule flags, per version.",
                   [_target(f"model_version:driftline_feature_drift_detected:sum{{{MV}}}",
                            "v{{version}}")], minimum=0),
            _panel("timeseries", "PSI per feature",
                   "Population stability index against the reference (higher means more "
                   "drift); at the line the drift rule flags a feature whatever its p-value.",
                   [_target(f"max by (version, feature) (driftline_feature_psi{{{MV}}})",
                            "v{{version}} {{feature}}")], minimum=0, thresholds=psi),
            _panel("timeseries", "KS statistic per numeric feature",
                   "Largest gap between the window's and the reference's CDFs (0..1); from "
                   "the line up, the rule flags a numeric feature whose Holm-adjusted KS "
                   "p-value is also significant.",
                   [_target("max by (version, feature) "
                            f"(driftline_feature_ks_statistic{{{MV}}})",
                            "v{{version}} {{feature}}")], minimum=0, maximum=1,
                   thresholds=_steps(("green", None), ("orange", rule.ks_min))),
            _panel("table", "Worst features now",
                   "The ten features with the highest PSI at the end of the range.",
                   [_target(f"topk(10, max by (version, feature) (driftline_feature_psi{{{MV}}}))",
                            instant=True)], thresholds=psi, value_name="PSI"),
            _panel("timeseries", "Prediction drift",
                   "PSI of the predictions against the reference (predicted-class shares, "
                   "or predicted values of a regression model); at the line the drift rule "
                   "flags prediction drift.",
                   [_target(f"max by (version) (driftline_prediction_psi{{{MV}}})",
                            "v{{version}}")], minimum=0,
                   thresholds=_steps(("green", None), ("red", rule.prediction_psi_max))),
            _panel("timeseries", "Missing-value share per feature",
                   "Share of missing values in the window.",
                   [_target("max by (version, feature) "
                            f"(driftline_feature_missing_ratio{{{MV}}})",
                            "v{{version}} {{feature}}")], unit="percentunit", minimum=0),
            _panel("timeseries", "Unseen-category share per feature",
                   "Share of a categorical feature's values never seen in training.",
                   [_target("max by (version, feature) "
                            f"(driftline_feature_unseen_category_ratio{{{MV}}})",
                            "v{{version}} {{feature}}")], unit="percentunit", minimum=0),
            _panel("stat", "Exporter staleness",
                   "Seconds since the exporter's last fully successful cycle.",
                   [_target("max(driftline_exporter_staleness_seconds)", "staleness")],
                   unit="s",
                   thresholds=_steps(("green", None), ("red", t["exporter_stale_seconds"]))),
        ],
    )  # fmt: skip


def ab(t: dict[str, float]) -> Json:
    accuracy = _steps(("red", None), ("green", t["accuracy_min"]))
    return _dashboard(
        "driftline-ab",
        "Driftline / A/B",
        "Champion and challenger side by side: traffic, accuracy, latency, errors.",
        [
            _panel("timeseries", "Traffic split",
                   "Share of the model's predicted records each version answers.",
                   [_target(f"model_version:driftline_predictions:share_rate5m{{{MV}}}",
                            "v{{version}}")],
                   unit="percentunit", minimum=0, maximum=1, stacked=True),
            _panel("bargauge", "Accuracy now",
                   "Accuracy over each version's labelled window.",
                   [_target(f"model_version:driftline_model_accuracy_ratio:max{{{MV}}}",
                            "v{{version}}")],
                   unit="percentunit", minimum=0, maximum=1, thresholds=accuracy),
            _panel("timeseries", "Accuracy per version",
                   "Accuracy over the labelled window; the line is the alert level.",
                   [_target(f"model_version:driftline_model_accuracy_ratio:max{{{MV}}}",
                            "v{{version}}")],
                   unit="percentunit", minimum=0, maximum=1, thresholds=accuracy),
            _panel("timeseries", "Labelled samples per version",
                   "How many labelled predictions each accuracy figure rests on.",
                   [_target("model_version_kind:driftline_window_samples:max"
                            f'{{{MV}, kind="labelled"}}', "v{{version}}")],
                   thresholds=_steps(("orange", None),
                                     ("green", t["accuracy_min_labelled_samples"]))),
            _panel("timeseries", "p99 latency of /predict per version",
                   "99th percentile request duration, over 5 minutes.",
                   [_target("model_version_endpoint:driftline_http_request_duration_seconds:"
                            f'histogram_quantile_rate5m{{{MV}, endpoint="/predict", '
                            'quantile="0.99"}', "v{{version}}")],
                   unit="s", minimum=0,
                   thresholds=_steps(("green", None), ("red", t["latency_p99_seconds"]))),
            _panel("timeseries", "Error ratio per version",
                   "5xx answers over all answers, all endpoints.",
                   [_target("sum by (version) (model_version_endpoint:driftline_http_requests:"
                            f"errors_rate5m{{{MV}}}) / sum by (version) (model_version_endpoint:"
                            f"driftline_http_requests:rate5m{{{MV}}})", "v{{version}}")],
                   unit="percentunit", minimum=0,
                   thresholds=_steps(("green", None), ("red", t["error_ratio"]))),
            _panel("timeseries", "Positive-class share per version",
                   "Share of records predicted as class 1.",
                   [_target(f'model_version_class:driftline_predictions:rate5m{{{MV}, class="1"}}'
                            " / ignoring (class) "
                            f"model_version:driftline_predictions:rate5m{{{MV}}}",
                            "v{{version}}")], unit="percentunit", minimum=0, maximum=1),
            _panel("timeseries", "Drifted features per version",
                   "Features the drift rule flags, per version.",
                   [_target(f"model_version:driftline_feature_drift_detected:sum{{{MV}}}",
                            "v{{version}}")], minimum=0),
        ],
    )  # fmt: skip


def build_dashboards(
    thresholds: dict[str, float] | None = None, rule: VerdictRule | None = None
) -> dict[str, Json]:
    """File name -> dashboard JSON for every driftline dashboard."""
    t = load_thresholds() if thresholds is None else thresholds
    return {
        "model-health.json": model_health(t),
        "drift.json": drift(t, VerdictRule() if rule is None else rule),
        "ab.json": ab(t),
    }


def render(dashboard: Json) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    out_dir = Path(argv[0]) if argv else HERE
    for name, dashboard in build_dashboards().items():
        (out_dir / name).write_text(render(dashboard))
        print(f"wrote {out_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
