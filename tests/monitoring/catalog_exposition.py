"""A small /metrics server that exposes every catalog metric with plausible values.

It stands in for the inference servers, the drift exporter and the PHP
receiver where those are not the thing under test (dashboard query checks,
the alert delivery test). Names, types and labels come from
driftline/metric_catalog.py, so every metric of a component is present, but
for the figures of the other task (``ExpositionState.task``), which the
exporter never exports for a version. Counters and histograms grow with wall
time so that rate() has data; the drift-related gauges follow
``ExpositionState.drifting``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product

from driftline import metric_catalog as catalog
from driftline.tasks import Task

FEATURES = ("tenure_months", "monthly_charges", "contract_type")
ENDPOINTS = ("/predict", "/feedback")
STATUSES = ("200", "500")
CLASSES = ("0", "1")
BATCH_SIZE_BUCKETS = (1.0, 2.0, 5.0, 10.0, 50.0, 100.0)
# Figures the exporter has for one task only (exporter/collector.py).
ONLY_FOR: dict[str, Task] = {
    **dict.fromkeys(
        ("driftline_model_accuracy_ratio", "driftline_model_precision_ratio",
         "driftline_model_recall_ratio", "driftline_model_f1_ratio",
         "driftline_model_roc_auc_ratio", "driftline_model_class_precision_ratio",
         "driftline_model_class_recall_ratio", "driftline_model_class_f1_ratio",
         "driftline_model_estimated_accuracy_ratio", "driftline_model_estimated_precision_ratio",
         "driftline_model_estimated_recall_ratio", "driftline_model_estimated_f1_ratio",
         "driftline_model_estimated_roc_auc_ratio", "driftline_reference_calibration_error"),
        "classification",
    ),
    **dict.fromkeys(
        ("driftline_model_mean_absolute_error", "driftline_model_root_mean_squared_error",
         "driftline_model_r2", "driftline_model_mean_error",
         "driftline_reference_mean_absolute_error", "driftline_prediction_ks_statistic",
         "driftline_prediction_ks_p_value", "driftline_model_estimated_mean_absolute_error",
         "driftline_model_estimated_root_mean_squared_error"),
        "regression",
    ),
}  # fmt: skip


@dataclass
class ExpositionState:
    """What the exposition says; tests flip ``drifting`` while it is served."""

    model: str = "churn"
    versions: tuple[str, ...] = ("3",)  # serving: the version served; exporter: all watched
    task: Task = "classification"  # the model's: which performance figures it has
    drifting: bool = False
    started: float = field(default_factory=time.time)


def _label_values(metric: catalog.MetricSpec, state: ExpositionState) -> dict[str, tuple[str, ...]]:
    outcomes = {
        "driftline_feedback_total": catalog.FEEDBACK_OUTCOMES,
        "driftline_model_reloads_total": catalog.RELOAD_OUTCOMES,
        "driftline_webhooks_total": catalog.WEBHOOK_OUTCOMES,
    }
    return {
        "model": (state.model,),
        "version": state.versions,
        "endpoint": ENDPOINTS,
        "status": STATUSES,
        "class": CLASSES if state.task == "classification" else (catalog.REGRESSION_CLASS,),
        "feature": FEATURES,
        "kind": catalog.WINDOW_KINDS,
        "bound": catalog.ESTIMATE_BOUNDS,
        "stage": catalog.EXPORTER_STAGES,
        "state": catalog.JOB_STATES,
        "outcome": outcomes.get(metric.name, ("ok",)),
        "run_id": ("run-a",),
    }


def _gauge_value(name: str, labels: dict[str, str], state: ExpositionState, now: float) -> float:
    drifting = state.drifting and labels.get("version") == state.versions[0]
    feature_drift = drifting and labels.get("feature") == "tenure_months"
    by_name = {
        "driftline_model_info": 1.0,
        "driftline_model_load_duration_seconds": 0.4,
        "driftline_feature_psi": 0.4 if feature_drift else 0.03,
        "driftline_feature_ks_statistic": 0.35 if feature_drift else 0.04,
        "driftline_feature_ks_p_value": 1e-6 if feature_drift else 0.6,
        "driftline_feature_chi2_statistic": 3.1,
        "driftline_feature_chi2_p_value": 0.4,
        "driftline_feature_unseen_category_ratio": 0.01,
        "driftline_feature_missing_ratio": 0.02,
        "driftline_feature_samples": 480.0,
        "driftline_feature_drift_detected": 1.0 if feature_drift else 0.0,
        "driftline_prediction_psi": 0.02,
        "driftline_model_drift_detected": 1.0 if drifting else 0.0,
        "driftline_model_drifted_features": 1.0 if drifting else 0.0,
        "driftline_model_accuracy_ratio": 0.82,
        "driftline_model_precision_ratio": 0.7,
        "driftline_model_recall_ratio": 0.6,
        "driftline_model_f1_ratio": 0.65,
        "driftline_model_roc_auc_ratio": 0.86,
        "driftline_model_class_precision_ratio": 0.68,
        "driftline_model_class_recall_ratio": 0.62,
        "driftline_model_class_f1_ratio": 0.65,
        "driftline_prediction_ks_statistic": 0.03,
        "driftline_prediction_ks_p_value": 0.2,
        "driftline_model_mean_absolute_error": 21000.0,
        "driftline_model_root_mean_squared_error": 29000.0,
        "driftline_model_r2": 0.81,
        "driftline_model_mean_error": -1500.0,
        "driftline_reference_mean_absolute_error": 20000.0,
        "driftline_model_estimated_accuracy_ratio": {"lower": 0.78, "upper": 0.86}.get(
            labels.get("bound", ""), 0.82
        ),
        "driftline_model_estimated_mean_absolute_error": {"lower": 19000.0, "upper": 23000.0}.get(
            labels.get("bound", ""), 21000.0
        ),
        "driftline_model_estimated_samples": 500.0,
        "driftline_reference_calibration_error": 0.012,
        "driftline_window_samples": 500.0 if labels.get("kind") == "predictions" else 250.0,
        "driftline_window_last_label_timestamp_seconds": now - 30,
        "driftline_reference_info": 1.0,
        "driftline_exporter_last_run_timestamp_seconds": now - 5,
        "driftline_exporter_last_success_timestamp_seconds": now - 5,
        "driftline_exporter_run_duration_seconds": 0.8,
        "driftline_exporter_staleness_seconds": 5.0,
        "driftline_retrain_jobs": 1.0 if labels.get("state") == "succeeded" else 0.0,
        "driftline_retrain_last_job_duration_seconds": 42.0,
    }
    return by_name.get(name, 1.0)


def _fmt_labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def render(component: catalog.Component, state: ExpositionState, now: float | None = None) -> str:
    """The text exposition of every catalog metric of ``component``."""
    now = time.time() if now is None else now
    elapsed = max(now - state.started, 0.0) + 1.0
    lines: list[str] = []
    for metric in catalog.METRICS:
        if metric.component != component or ONLY_FOR.get(metric.name, state.task) != state.task:
            continue
        lines.append(f"# HELP {metric.name} {metric.help}")
        lines.append(f"# TYPE {metric.name} {metric.type}")
        values = _label_values(metric, state)
        for combo in product(*(values[label] for label in metric.labels)):
            labels = dict(zip(metric.labels, combo, strict=True))
            if metric.type == "counter":
                # 5xx and unhappy outcomes stay rare, so ratios look realistic.
                rate = 0.2 if labels.get("status") == "500" else 4.0
                lines.append(f"{metric.name}{_fmt_labels(labels)} {rate * elapsed:.3f}")
            elif metric.type == "gauge":
                value = _gauge_value(metric.name, labels, state, now)
                lines.append(f"{metric.name}{_fmt_labels(labels)} {value!r}")
            else:
                lines.extend(_histogram(metric.name, labels, elapsed))
    return "\n".join(lines) + "\n"


def _histogram(name: str, labels: dict[str, str], elapsed: float) -> list[str]:
    if name.endswith("_seconds"):
        buckets: tuple[float, ...] = catalog.LATENCY_BUCKETS_SECONDS
        observation = 0.0008  # about a millisecond, like a logistic regression
    else:
        buckets, observation = BATCH_SIZE_BUCKETS, 4.0
    count = 5.0 * elapsed
    out = []
    for le in buckets:
        # Nine in ten observations at the typical value, the rest in the next bucket up.
        below = count if le >= observation * 2 else (0.9 * count if le >= observation else 0.0)
        out.append(f"{name}_bucket{_fmt_labels({**labels, 'le': repr(le)})} {below:.3f}")
    out.append(f"{name}_bucket{_fmt_labels({**labels, 'le': '+Inf'})} {count:.3f}")
    out.append(f"{name}_sum{_fmt_labels(labels)} {count * observation * 1.1:.6f}")
    out.append(f"{name}_count{_fmt_labels(labels)} {count:.3f}")
    return out


@contextmanager
def serving_exposition(component: catalog.Component, state: ExpositionState) -> Iterator[str]:
    """Serve ``render(component, state)`` at /metrics on a free loopback port; yield host:port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = render(component, state).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # Prometheus may be stopped in the middle of a scrape: nobody left to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
