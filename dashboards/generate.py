"""Generate the driftline Grafana dashboards as JSON with Grafana's Python SDK.

Panels, rows, variables, links and the layout are built with
``grafana-foundation-sdk`` (Grafana's own typed builders, encoded with its JSON
encoder); the one thing it lacks is named in ``ANNOTATIONS`` below.

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

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as pm

from driftline.monitoring_render import alert_for, load_thresholds
from exporter.stats.verdict import VerdictRule

HERE: Final = Path(__file__).resolve().parent
DATASOURCE_UID: Final = "driftline-prometheus"
DATASOURCE: Final = dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
PANEL_HEIGHT: Final = 8
PANEL_WIDTH: Final = 12  # two panels per line

Json = dict[str, Any]
MV: Final = 'model="$model", version=~"$version"'


def _steps(*levels: tuple[str, float | None]) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for c, v in levels])
    )


def _target(
    expr: str, legend: str = "", ref: str = "A", *, instant: bool = False
) -> prometheus.Dataquery:
    target = prometheus.Dataquery().ref_id(ref).datasource(DATASOURCE).expr(expr)
    if instant:
        return target.instant().format(pm.PromQueryFormat.TABLE)
    return target.range().legend_format(legend or "__auto")


def _value_map(mappings: list[Json] | None) -> list[dm.ValueMap]:
    return [
        dm.ValueMap(
            options={k: dm.ValueMappingResult(text=r["text"], color=r["color"])
                     for k, r in m["options"].items()}
        )
        for m in mappings or []
    ]  # fmt: skip


def _panel(
    kind: str,
    title: str,
    description: str,
    targets: list[prometheus.Dataquery],
    *,
    unit: str = "short",
    thresholds: db.ThresholdsConfig | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    stacked: bool = False,
    mappings: list[Json] | None = None,
    value_name: str = "Value",
) -> Builder[dm.Panel]:
    panel: Any
    if kind == "timeseries":
        panel = (
            timeseries.Panel()
            .draw_style(cm.GraphDrawStyle.LINE)
            .fill_opacity(20 if stacked else 0)
            .stacking(
                cb.StackingConfig()
                .mode(cm.StackingMode.NORMAL if stacked else cm.StackingMode.NONE)
                .group("A")
            )
            # Draw the alert level as a line when the panel has one.
            .thresholds_style(
                cb.GraphThresholdsStyleConfig().mode(
                    cm.GraphTresholdsStyleMode.LINE
                    if thresholds
                    else cm.GraphTresholdsStyleMode.OFF
                )
            )
            .legend(
                cb.VizLegendOptions()
                .display_mode(cm.LegendDisplayMode.LIST)
                .placement(cm.LegendPlacement.BOTTOM)
                .show_legend(True)
            )
            .tooltip(
                cb.VizTooltipOptions()
                .mode(cm.TooltipDisplayMode.MULTI)
                .sort(cm.SortOrder.DESCENDING)
            )
        )
    elif kind in ("stat", "bargauge"):
        panel = (
            (stat.Panel() if kind == "stat" else bargauge.Panel())
            .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
            .orientation(cm.VizOrientation.HORIZONTAL)
        )
    elif kind == "table":
        # Instant query tables: drop the timestamp column, name and colour the value.
        panel = (
            table.Panel()
            .with_transformation(
                dm.DataTransformerConfig(
                    id_val="organize", options={"excludeByName": {"Time": True}}
                )
            )
            .override_by_name(
                "Value",
                [
                    dm.DynamicConfigValue(id_val="displayName", value=value_name),
                    dm.DynamicConfigValue(
                        id_val="custom.cellOptions", value={"type": "color-background"}
                    ),
                ],
            )
            .show_header(True)
            .sort_by([cb.TableSortByFieldState().display_name(value_name).desc(True)])
        )
    else:
        raise ValueError(f"no panel kind {kind!r} in this generator")
    panel = (
        panel.title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .thresholds(thresholds or _steps(("green", None)))
        .height(PANEL_HEIGHT)
        .span(PANEL_WIDTH)
    )
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    if mappings:
        panel = panel.mappings(_value_map(mappings))
    for target in targets:
        panel = panel.with_target(target)
    result: Builder[dm.Panel] = panel
    return result


def _row(title: str) -> db.Row:
    """A Grafana row: a heading across the dashboard over the panels that follow it."""
    return db.Row(title).collapsed(False)


def _label_values(name: str, label: str, query: str) -> db.QueryVariable:
    """A variable listing ``label_values(...)`` of the provisioned Prometheus."""
    return (
        db.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query({"query": query, "refId": name})
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def _variables() -> list[db.QueryVariable]:
    model = (
        _label_values("model", "Model", "label_values(driftline_model_info, model)")
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(False)
        .include_all(False)
    )
    version_query = 'label_values(driftline_model_info{model="$model"}, version)'
    version = (
        _label_values("version", "Version", version_query)
        .sort(dm.VariableSort.NUMERICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
    )
    return [model, version]


# The SDK's AnnotationQuery has `expr` but not the Prometheus annotation options
# (step, titleFormat, textFormat, useValueForTime); _dashboard adds them to the
# JSON it encodes (docs/alerting.md, "Grafana").
ANNOTATIONS: Final = (
    (
        db.AnnotationQuery()
        .name("Driftline alerts")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .expr('ALERTS{alertstate="firing", model="$model"}'),
        {"step": "60s", "titleFormat": "{{alertname}}",
         "textFormat": "{{severity}} version={{version}} feature={{feature}}",
         "useValueForTime": False},
    ),
    (
        # A version that the champion deployment serves now and did not five
        # minutes ago: a promotion (or a rollback).
        db.AnnotationQuery()
        .name("Model promotions")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("blue")
        .expr(
            'max by (model, version) (driftline_model_info{model="$model", '
            'deployment="champion"} == 1) unless max by (model, version) '
            '(driftline_model_info{model="$model", deployment="champion"} offset 5m == 1)'
        ),
        {"step": "60s", "titleFormat": "Champion is now version {{version}}", "textFormat": "",
         "useValueForTime": False},
    ),
)  # fmt: skip


def _dashboard(uid: str, title: str, description: str, panels: list[Any]) -> Json:
    board = (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["driftline"])
        .timezone("utc")
        .editable()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .version(1)
        .time("now-6h", "now")
        .link(
            db.DashboardLink("Driftline")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(["driftline"])
            .as_dropdown(True)
        )
    )
    for variable in _variables():
        board = board.with_variable(variable)
    for annotation, _ in ANNOTATIONS:
        board = board.annotation(annotation)
    for i, panel in enumerate(panels, start=1):
        panel = panel.id(i)
        board = board.with_row(panel) if isinstance(panel, db.Row) else board.with_panel(panel)
    doc: Json = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    doc["editable"] = False  # the SDK's editable() only switches it on
    for entry, (_, extra) in zip(doc["annotations"]["list"], ANNOTATIONS, strict=True):
        entry.update(extra)
    return doc


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
