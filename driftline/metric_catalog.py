"""Every Prometheus metric driftline exposes: the one list that code, rules,
dashboards and docs/metrics.md are checked against.

Names follow Prometheus conventions: a ``driftline_`` prefix, base units
(seconds, ratios in 0..1), ``_total`` for counters, ``_info`` for constant-1
info gauges. Label values are bounded: features by the model schema, versions
by retention, classes by the model, outcomes and stages by the enums below
(outcomes that code outside the metrics names too come from driftline/outcomes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from driftline.outcomes import LABEL_OUTCOMES
from driftline.outcomes import RELOAD_OUTCOMES as RELOAD_OUTCOMES  # the catalog's own name too

MetricType = Literal["counter", "gauge", "histogram"]
Component = Literal["serving", "exporter", "receiver"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: MetricType
    labels: tuple[str, ...]
    help: str
    component: Component


# Latency buckets from 0.25 ms to 5 s: a single logistic regression answers in
# well under a millisecond, a cold model load or a stalled disk in seconds.
LATENCY_BUCKETS_SECONDS: Final = (
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip

# An inference server worker holds the counts of its request path in memory and
# writes them this often (serving/metrics.py, ServingMetrics.flush).
SERVING_FLUSH_SECONDS: Final = 0.1

# Predictions per ingestion transaction (a 1 MiB chunk of journal holds ~1,500-3,000).
BATCH_SIZE_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

# Bounded label values.
# Each label's outcome, and "invalid" once for a rejected feedback request.
FEEDBACK_OUTCOMES: Final = (*LABEL_OUTCOMES, "invalid")
EXPORTER_STAGES: Final = ("registry", "store", "compute")
WINDOW_KINDS: Final = ("predictions", "labelled")
WEBHOOK_OUTCOMES: Final = (
    "queued", "duplicate", "cooldown", "resolved", "ignored", "unauthorized", "rejected",
)  # fmt: skip
JOB_STATES: Final = ("queued", "running", "succeeded", "failed")
# The ``bound`` of an estimated figure (docs/estimation.md): the estimate itself and
# the two ends of its band.
ESTIMATE_BOUNDS: Final = ("estimate", "lower", "upper")
# The ``class`` of driftline_predictions_total for every prediction of a regression
# version, which has no classes; parenthesised so it does not read as a class name.
REGRESSION_CLASS: Final = "(regression)"

_MV = ("model", "version")
_MVF = ("model", "version", "feature")
_MVC = ("model", "version", "class")
_MVB = ("model", "version", "bound")

METRICS: Final[tuple[MetricSpec, ...]] = (
    # --- inference server (serving/), multiprocess-safe under gunicorn -------------
    MetricSpec(
        "driftline_http_requests_total",
        "counter",
        ("model", "version", "endpoint", "status"),
        "HTTP requests answered, by endpoint and status code.",
        "serving",
    ),
    MetricSpec(
        "driftline_http_request_duration_seconds",
        "histogram",
        ("model", "version", "endpoint"),
        "Time from request start to response, in seconds.",
        "serving",
    ),
    MetricSpec(
        "driftline_predictions_total",
        "counter",
        ("model", "version", "class"),
        "Records predicted, by predicted class; a regression version's under "
        f'class="{REGRESSION_CLASS}".',
        "serving",
    ),
    MetricSpec(
        "driftline_feedback_total",
        "counter",
        ("model", "outcome"),
        "Ground-truth labels received, by outcome.",
        "serving",
    ),
    MetricSpec(
        "driftline_model_info",
        "gauge",
        ("model", "version", "run_id"),
        "1 for the model version a live worker serves.",
        "serving",
    ),
    MetricSpec(
        "driftline_model_load_duration_seconds",
        "gauge",
        _MV,
        "How long loading the served model version took.",
        "serving",
    ),
    MetricSpec(
        "driftline_model_reloads_total",
        "counter",
        ("model", "outcome"),
        "Registry checks for a new champion, by outcome.",
        "serving",
    ),
    MetricSpec(
        "driftline_prediction_log_commit_duration_seconds",
        "histogram",
        (),
        "Time of one transaction moving journaled predictions into the prediction log.",
        "serving",
    ),
    MetricSpec(
        "driftline_prediction_log_batch_size",
        "histogram",
        (),
        "Predictions per transaction moving the journal into the prediction log.",
        "serving",
    ),
    MetricSpec(
        "driftline_prediction_journal_backlog_bytes",
        "gauge",
        (),
        "Journaled predictions not in the prediction log yet, in bytes, after the last "
        "ingestion round.",
        "serving",
    ),
    # --- drift exporter (exporter/), one process --------------------------------------
    MetricSpec(
        "driftline_feature_psi",
        "gauge",
        _MVF,
        "Population stability index of a feature against the reference.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_ks_statistic",
        "gauge",
        _MVF,
        "Two-sample Kolmogorov-Smirnov statistic of a numeric feature.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_ks_p_value",
        "gauge",
        _MVF,
        "P-value of the two-sample KS test (lower means stronger evidence of drift).",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_chi2_statistic",
        "gauge",
        _MVF,
        "Chi-square statistic of a categorical feature against the reference.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_chi2_p_value",
        "gauge",
        _MVF,
        "P-value of the chi-square test (lower means stronger evidence of drift).",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_unseen_category_ratio",
        "gauge",
        _MVF,
        "Share of a categorical feature's values never seen in training.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_missing_ratio",
        "gauge",
        _MVF,
        "Share of missing values of a feature in the window.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_samples",
        "gauge",
        _MVF,
        "Non-missing values of a feature in the window.",
        "exporter",
    ),
    MetricSpec(
        "driftline_feature_drift_detected",
        "gauge",
        _MVF,
        "1 when the drift rule flags this feature, else 0.",
        "exporter",
    ),
    MetricSpec(
        "driftline_prediction_psi",
        "gauge",
        _MV,
        "PSI of the predictions against the reference: the predicted-class shares of a "
        "classifier, the predicted values (binned like a numeric feature) of a regression model.",
        "exporter",
    ),
    MetricSpec(
        "driftline_prediction_ks_statistic",
        "gauge",
        _MV,
        "Two-sample Kolmogorov-Smirnov statistic of a regression model's predicted values "
        "against its holdout's.",
        "exporter",
    ),
    MetricSpec(
        "driftline_prediction_ks_p_value",
        "gauge",
        _MV,
        "P-value of the KS test of a regression model's predicted values (lower means "
        "stronger evidence of drift).",
        "exporter",
    ),
    MetricSpec(
        "driftline_prediction_drift_detected",
        "gauge",
        _MV,
        "1 when the drift rule flags the predictions themselves (prediction drift), else 0.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_drift_detected",
        "gauge",
        _MV,
        "1 when the per-model drift verdict is raised, else 0.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_drifted_features",
        "gauge",
        _MV,
        "Features the drift rule flags.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_accuracy_ratio",
        "gauge",
        _MV,
        "Accuracy over the labelled predictions of the window.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_precision_ratio",
        "gauge",
        _MV,
        "Precision over the labelled window: of the positive class (the model's last) for a "
        "binary classifier, the macro average over classes for a multiclass one.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_recall_ratio",
        "gauge",
        _MV,
        "Recall over the labelled window: of the positive class (the model's last) for a "
        "binary classifier, the macro average over classes for a multiclass one.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_f1_ratio",
        "gauge",
        _MV,
        "F1 score over the labelled window: of the positive class (the model's last) for a "
        "binary classifier, the macro average over classes for a multiclass one.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_class_precision_ratio",
        "gauge",
        _MVC,
        "Precision of one class (one-vs-rest) over the labelled window; multiclass only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_class_recall_ratio",
        "gauge",
        _MVC,
        "Recall of one class (one-vs-rest) over the labelled window; multiclass only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_class_f1_ratio",
        "gauge",
        _MVC,
        "F1 score of one class (one-vs-rest) over the labelled window; multiclass only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_roc_auc_ratio",
        "gauge",
        _MV,
        "ROC AUC over the labelled window, when both classes are present.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_mean_absolute_error",
        "gauge",
        _MV,
        "Mean absolute error over the labelled window, in the target's unit; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_root_mean_squared_error",
        "gauge",
        _MV,
        "Root mean squared error over the labelled window, in the target's unit; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_r2",
        "gauge",
        _MV,
        "Coefficient of determination (R², 1 is perfect, below 0 is worse than the mean) over "
        "the labelled window; regression only, absent when every label is the same.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_mean_error",
        "gauge",
        _MV,
        "Mean of prediction minus label (bias; above 0: predicts too high) over the labelled "
        "window, in the target's unit; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_reference_mean_absolute_error",
        "gauge",
        _MV,
        "Mean absolute error of the version on its training holdout (a retrained version: on "
        "the retraining's recent holdout; reference profile), in the target's unit: what the "
        "labelled window's is compared with; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_accuracy_ratio",
        "gauge",
        _MVB,
        "Accuracy estimated from the window's calibrated probabilities, labelled or not, and "
        "its 95% band; binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_precision_ratio",
        "gauge",
        _MVB,
        "Precision of the positive class estimated from the window's calibrated probabilities, "
        "and its 95% band; binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_recall_ratio",
        "gauge",
        _MVB,
        "Recall of the positive class estimated from the window's calibrated probabilities, "
        "and its 95% band; binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_f1_ratio",
        "gauge",
        _MVB,
        "F1 score of the positive class estimated from the window's calibrated probabilities, "
        "and its 95% band; binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_roc_auc_ratio",
        "gauge",
        _MVB,
        "ROC AUC expected from the window's served scores and calibrated probabilities, and "
        "its 95% band; binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_mean_absolute_error",
        "gauge",
        _MVB,
        "Mean absolute error estimated by the version's error estimator over the window, "
        "labelled or not, and its 95% band, in the target's unit; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_root_mean_squared_error",
        "gauge",
        _MVB,
        "Root mean squared error estimated by the version's error estimator over the window, "
        "and its 95% band, in the target's unit; regression only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_model_estimated_samples",
        "gauge",
        _MV,
        "Predictions of the window the estimated figures cover (those with a served "
        "probability, or a predicted value).",
        "exporter",
    ),
    MetricSpec(
        "driftline_reference_calibration_error",
        "gauge",
        _MV,
        "Expected calibration error of the version's probability calibrator on its holdout, "
        "out of fold; part of every estimated band. Binary classifiers only.",
        "exporter",
    ),
    MetricSpec(
        "driftline_window_samples",
        "gauge",
        ("model", "version", "kind"),
        "Predictions in the current window, and how many of them have labels.",
        "exporter",
    ),
    MetricSpec(
        "driftline_window_last_label_timestamp_seconds",
        "gauge",
        _MV,
        "Unix time of the newest label received for this version.",
        "exporter",
    ),
    MetricSpec(
        "driftline_reference_info",
        "gauge",
        ("model", "version", "run_id"),
        "1 for each reference profile the exporter compares against.",
        "exporter",
    ),
    MetricSpec(
        "driftline_exporter_last_run_timestamp_seconds",
        "gauge",
        (),
        "Unix time the last computation cycle finished.",
        "exporter",
    ),
    MetricSpec(
        "driftline_exporter_last_success_timestamp_seconds",
        "gauge",
        (),
        "Unix time the last fully successful computation cycle finished.",
        "exporter",
    ),
    MetricSpec(
        "driftline_exporter_run_duration_seconds",
        "gauge",
        (),
        "Duration of the last computation cycle.",
        "exporter",
    ),
    MetricSpec(
        "driftline_exporter_staleness_seconds",
        "gauge",
        (),
        "Seconds since the last fully successful cycle; grows while the store is down.",
        "exporter",
    ),
    MetricSpec(
        "driftline_exporter_errors_total",
        "counter",
        ("stage",),
        "Failed computation steps, by stage.",
        "exporter",
    ),
    # --- PHP webhook receiver (php/) --------------------------------------------------
    MetricSpec(
        "driftline_webhooks_total",
        "counter",
        ("outcome",),
        "Alertmanager notifications received, by outcome.",
        "receiver",
    ),
    MetricSpec(
        "driftline_retrain_jobs", "gauge", ("state",), "Retraining jobs by state.", "receiver"
    ),
    MetricSpec(
        "driftline_retrain_last_job_duration_seconds",
        "gauge",
        (),
        "Duration of the last finished retraining job.",
        "receiver",
    ),
)

BY_NAME: Final = {m.name: m for m in METRICS}


def spec(name: str) -> MetricSpec:
    """The catalog entry for ``name``; a KeyError names a metric nobody declared."""
    return BY_NAME[name]


def series_names(metric: MetricSpec) -> tuple[str, ...]:
    """The sample names a metric produces in the text exposition format."""
    if metric.type == "histogram":
        return (f"{metric.name}_bucket", f"{metric.name}_sum", f"{metric.name}_count")
    return (metric.name,)
